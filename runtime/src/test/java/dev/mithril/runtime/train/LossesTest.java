package dev.mithril.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Losses against numbers from PyTorch 1.13 and against central finite differences in F64. The PyTorch
 * numbers come from (float64 throughout):
 * <pre>
 * logits = torch.tensor([[1.0, -0.5, 2.0, 0.3], [0.2, 0.1, -1.0, 3.0], [-2.0, 0.0, 0.5, 1.5]], requires_grad=True)
 * F.cross_entropy(logits, torch.tensor([2, -1, 0]), ignore_index=-1, label_smoothing=0.2, reduction=red).backward()
 * probs = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 1.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
 * F.cross_entropy(logits, probs, label_smoothing=0.1).backward()
 * x = torch.tensor([[-3.0, 0.5], [20.0, -40.0]]); y = torch.tensor([[0.0, 1.0], [1.0, 0.3]])
 * F.binary_cross_entropy_with_logits(x, y).backward()
 * </pre>
 */
class LossesTest {
    private static final double[] LOGITS = {1.0, -0.5, 2.0, 0.3, 0.2, 0.1, -1.0, 3.0, -2.0, 0.0, 0.5, 1.5};

    private static void assertAll(double[] expected, Tensor actual, double tol) {
        for (int i = 0; i < expected.length; i++) {
            double a = actual.dtype() == DType.F64 ? actual.doubles()[i] : actual.data()[i];
            assertEquals(expected[i], a, tol, "element " + i);
        }
    }

    @Test void crossEntropyWithIgnoreIndexAndLabelSmoothingMatchesPyTorch() {
        Tensor logits = Tensor.of(LOGITS.clone(), 3, 4);
        Tensor target = Tensor.ofLongs(new long[] {2, -1, 0}, 3);
        LossResult mean = CrossEntropy.mean().ignoreIndex(-1).labelSmoothing(0.2).forward(logits, target);
        assertEquals(2.166687069277963, mean.value(), 1e-14);
        assertAll(new double[] {0.08766343061010148, 0.00013860931490345535, -0.11874904384070462, 0.03094700391569962, 0, 0, 0, 0,
                -0.4156867587832653, 0.04381606181332629, 0.08845850487744589, 0.2834121920924932}, mean.gradient(), 1e-15);
        LossResult sum = CrossEntropy.sum().ignoreIndex(-1).labelSmoothing(0.2).forward(logits, target);
        assertEquals(4.333374138555926, sum.value(), 1e-14);
        assertAll(new double[] {0.17532686122020297, 0.0002772186298069107, -0.23749808768140923, 0.06189400783139924, 0, 0, 0, 0,
                -0.8313735175665306, 0.08763212362665258, 0.17691700975489177, 0.5668243841849864}, sum.gradient(), 1e-15);
        // F32 logits give the same to float precision, with an F32 gradient.
        float[] f = new float[12];
        for (int i = 0; i < 12; i++) f[i] = (float) LOGITS[i];
        LossResult f32 = CrossEntropy.mean().ignoreIndex(-1).labelSmoothing(0.2).forward(Tensor.of(f, 3, 4), target);
        assertEquals(DType.F32, f32.gradient().dtype());
        assertEquals(2.166687069277963, f32.value(), 1e-6);
    }

    @Test void crossEntropyWithProbabilitiesMatchesPyTorch() {
        Tensor probs = Tensor.of(new double[] {0.1, 0.2, 0.3, 0.4, 0, 0, 1, 0, 0.25, 0.25, 0.25, 0.25}, 3, 4);
        LossResult r = CrossEntropy.mean().labelSmoothing(0.1).forward(Tensor.of(LOGITS.clone(), 3, 4), probs);
        assertEquals(2.574585553125115, r.value(), 1e-14);
        assertAll(new double[] {0.036775620406734336, -0.051574260456731025, 0.10583397077286363, -0.09103533072286693,
                0.009539117532295924, 0.007838328961897194, -0.3029502545799206, 0.28557280808572755, -0.07712450585551016,
                -0.03745595879111581, -0.007694330081702755, 0.12227479472832872}, r.gradient(), 1e-15);
    }

    @Test void bceWithLogitsIsStableAndMatchesPyTorch() {
        LossResult r = BceWithLogits.mean().forward(Tensor.of(new double[] {-3, 0.5, 20, -40}, 2, 2),
                Tensor.of(new double[] {0, 1, 1, 0.3}, 2, 2));
        assertEquals(3.1306660844537504, r.value(), 1e-14);
        assertAll(new double[] {0.011856468294391695, -0.09438516719953635, -5.152884230419374e-10, -0.075}, r.gradient(), 1e-15);
        // A logit of 1000 would overflow exp in the naive form.
        assertEquals(1000.0, BceWithLogits.sum().forward(Tensor.of(new double[] {1000}, 1), Tensor.of(new double[] {0}, 1)).value(), 1e-9);
    }

    @Test void simpleLossesAgainstPlainFormulas() {
        Tensor p = Tensor.of(new double[] {1, -2, 0.5, 3}, 2, 2), t = Tensor.of(new double[] {0.5, -2, 1.5, 1}, 2, 2);
        LossResult mse = MseLoss.mean().forward(p, t);
        assertEquals((0.25 + 0 + 1 + 4) / 4, mse.value(), 1e-15);
        assertAll(new double[] {0.25, 0, -0.5, 1}, mse.gradient(), 1e-15);
        assertEquals(0.25 + 1 + 4, MseLoss.sum().forward(p, t).value(), 1e-15);
        LossResult l1 = L1Loss.mean().forward(p, t);
        assertEquals((0.5 + 0 + 1 + 2) / 4, l1.value(), 1e-15);
        assertAll(new double[] {0.25, 0, -0.25, 0.25}, l1.gradient(), 0);
        Tensor logp = Tensor.of(new double[] {-0.1, -2.5, -1.2, -0.4, -3, -0.05}, 3, 2);
        LossResult nll = NllLoss.mean().forward(logp, Tensor.ofLongs(new long[] {1, -100, 0}, 3));
        assertEquals((2.5 + 3) / 2, nll.value(), 1e-15);
        assertAll(new double[] {0, -0.5, 0, 0, -0.5, 0}, nll.gradient(), 0);
    }

    /** Every loss's gradient against central differences of its value, on [B, T, C]-shaped F64 input. */
    @Test void gradientsMatchFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(7);
        int b = 2, tt = 3, c = 5;
        double[] z = new double[b * tt * c], probs = new double[b * tt * c], unit = new double[b * tt * c];
        for (int i = 0; i < z.length; i++) {
            z[i] = r.nextDouble() * 4 - 2;
            probs[i] = r.nextDouble();
            unit[i] = r.nextDouble() * 4 - 2;
        }
        long[] idx = new long[b * tt];
        for (int i = 0; i < idx.length; i++) idx[i] = i == 4 ? -100 : r.nextInt(c);
        Tensor classes = Tensor.ofLongs(idx, b, tt);
        check(x -> CrossEntropy.mean().labelSmoothing(0.15).forward(x, classes), z, b, tt, c);
        check(x -> CrossEntropy.sum().forward(x, Tensor.of(probs, b, tt, c)), z, b, tt, c);
        check(x -> NllLoss.mean().forward(x, classes), z, b, tt, c);
        check(x -> MseLoss.mean().forward(x, Tensor.of(unit, b, tt, c)), z, b, tt, c);
        check(x -> L1Loss.sum().forward(x, Tensor.of(unit, b, tt, c)), z, b, tt, c);
        check(x -> BceWithLogits.mean().forward(x, Tensor.of(probs, b, tt, c)), z, b, tt, c);
    }

    private static void check(Function<Tensor, LossResult> loss, double[] z, int... shape) {
        Tensor g = loss.apply(Tensor.of(z.clone(), shape)).gradient();
        double h = 1e-6;
        for (int i = 0; i < z.length; i++) {
            double[] up = z.clone(), down = z.clone();
            up[i] += h;
            down[i] -= h;
            double fd = (loss.apply(Tensor.of(up, shape)).value() - loss.apply(Tensor.of(down, shape)).value()) / (2 * h);
            assertEquals(fd, g.doubles()[i], 1e-7, "d loss / d x[" + i + "]");
        }
    }

    /**
     * Float32 logits with class indices take the direct float path: the same loss and gradient as the float64 path on
     * the same values (to float precision), over class counts that are and are not multiples of the vector width, with
     * ignored positions, smoothing, both reductions and both index dtypes; {@code forwardInto} writes over whatever the
     * gradient buffer held.
     */
    @Test void float32CrossEntropyEqualsTheFloat64Path() {
        SplittableRandom r = new SplittableRandom(11);
        for (int c : new int[] {1, 5, 16, 37, 1003}) {
            int rows = 13;
            float[] f = new float[rows * c];
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i] = (float) (r.nextDouble() * 20 - 10);
            long[] y = new long[rows];
            int[] y32 = new int[rows];
            for (int i = 0; i < rows; i++) y32[i] = (int) (y[i] = i % 4 == 1 ? -100 : r.nextInt(c));
            for (CrossEntropy loss : new CrossEntropy[] {CrossEntropy.mean(), CrossEntropy.sum().labelSmoothing(0.1),
                    CrossEntropy.mean().labelSmoothing(0.3)}) {
                for (Tensor target : new Tensor[] {Tensor.ofLongs(y, rows), Tensor.ofInts(y32, rows)}) {
                    String what = loss + " C=" + c + " " + target.dtype();
                    LossResult expected = loss.forward(Tensor.of(d.clone(), rows, c), Tensor.ofLongs(y, rows));
                    LossResult actual = loss.forward(Tensor.of(f.clone(), rows, c), target);
                    assertEquals(DType.F32, actual.gradient().dtype(), what);
                    assertEquals(expected.value(), actual.value(), 2e-6 * Math.abs(expected.value()), what + ": loss");
                    assertAll(expected.gradient().doubles(), actual.gradient(), 2e-7);
                    float[] dirty = new float[f.length];
                    java.util.Arrays.fill(dirty, Float.NaN);
                    Tensor into = Tensor.of(dirty, rows, c);
                    assertEquals(actual.value(), loss.forwardInto(Tensor.of(f.clone(), rows, c), target, into), 0, what + ": forwardInto's loss");
                    org.junit.jupiter.api.Assertions.assertArrayEquals(actual.gradient().data(), into.data(), what + ": forwardInto's gradient");
                }
            }
        }
        var e = assertThrows(IllegalArgumentException.class,
                () -> CrossEntropy.mean().forwardInto(Tensor.zeros(3, 4), Tensor.ofLongs(new long[] {0, 1, 2}, 3), Tensor.zeros(3, 5)));
        assertTrue(e.getMessage().contains("gradient must be F32 [3, 4]"), e.getMessage());
    }

    /**
     * Confident logits (a spread of 200, as a language model's far-off classes reach) make most of a float32
     * gradient row smaller than the smallest normal float. Those entries are written as exactly 0, since subnormal
     * inputs slow the GEMMs reading this gradient tenfold. Every other entry equals the float64 gradient, and no
     * entry is subnormal.
     */
    @Test void float32CrossEntropyGradientHasNoSubnormals() {
        SplittableRandom r = new SplittableRandom(12);
        int rows = 9, c = 1003;
        float[] f = new float[rows * c];
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i] = (float) (r.nextDouble() * 200 - 100);
        long[] y = new long[rows];
        for (int i = 0; i < rows; i++) y[i] = r.nextInt(c);
        LossResult expected = CrossEntropy.mean().forward(Tensor.of(d, rows, c), Tensor.ofLongs(y, rows));
        float[] g = CrossEntropy.mean().forward(Tensor.of(f, rows, c), Tensor.ofLongs(y, rows)).gradient().data();
        double[] e = expected.gradient().doubles();
        int flushed = 0;
        for (int i = 0; i < g.length; i++) {
            assertTrue(g[i] == 0f || Math.abs(g[i]) >= Float.MIN_NORMAL, "subnormal gradient " + g[i] + " at " + i);
            if (Math.abs(e[i]) < Float.MIN_NORMAL) {
                assertEquals(0f, g[i], 0, "at " + i + " (float64: " + e[i] + ")");
                if (e[i] != 0) flushed++;
            } else {
                assertEquals(e[i], g[i], 1e-6 * Math.abs(e[i]) + 1e-30, "at " + i);
            }
        }
        assertTrue(flushed > rows * c / 10, "only " + flushed + " entries below the smallest normal: the case proves little");
    }

    /** A loss without a direct form copies its gradient into the caller's buffer. */
    @Test void forwardIntoOfOtherLossesCopies() {
        Tensor x = Tensor.of(new double[] {1, -2, 0.5, 3}, 2, 2), t = Tensor.of(new double[] {0, 1, 1, 2}, 2, 2);
        Tensor into = Tensor.of(new double[] {9, 9, 9, 9}, 2, 2);
        LossResult r = MseLoss.mean().forward(x, t);
        assertEquals(r.value(), MseLoss.mean().forwardInto(x, t, into), 0);
        org.junit.jupiter.api.Assertions.assertArrayEquals(r.gradient().doubles(), into.doubles());
    }

    @Test void badTargetsAreNamed() {
        Tensor logits = Tensor.of(LOGITS.clone(), 3, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> CrossEntropy.mean().forward(logits, Tensor.ofLongs(new long[] {0, 4, 1}, 3)));
        assertTrue(e.getMessage().contains("target 4 at position 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CrossEntropy.mean().forward(logits, Tensor.ofLongs(new long[] {0, 1}, 2)));
        assertTrue(e.getMessage().contains("[3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MseLoss.mean().forward(logits, Tensor.zeros(DType.F64, 4, 3)));
    }
}
