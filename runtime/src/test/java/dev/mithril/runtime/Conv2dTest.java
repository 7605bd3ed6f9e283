package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import dev.mithril.runtime.Conv2d.Algorithm;
import dev.mithril.runtime.ConvRef.Conv;
import java.util.List;
import org.junit.jupiter.api.Test;

class Conv2dTest {
    /** n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups */
    private static final List<Conv> CASES = List.of(
            new Conv(1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1),          // everything 1
            new Conv(2, 3, 7, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),          // same-size 3x3
            new Conv(3, 5, 11, 13, 7, 3, 2, 2, 1, 1, 0, 1, 2, 1),        // primes, stride and dilation mixed
            new Conv(2, 4, 17, 19, 6, 5, 5, 2, 2, 3, 3, 2, 2, 2),        // pad 3, dilation 2, two groups
            new Conv(3, 6, 9, 10, 6, 3, 3, 1, 2, 1, 1, 1, 1, 6),         // depthwise
            new Conv(2, 6, 8, 9, 12, 3, 3, 2, 2, 1, 1, 1, 1, 3),         // groups 3, channel multiplier 4
            new Conv(5, 3, 23, 29, 17, 7, 7, 2, 2, 3, 3, 1, 1, 1),       // ResNet stem shape, small
            new Conv(2, 33, 33, 32, 18, 1, 1, 1, 1, 0, 0, 1, 1, 1),      // 1x1 in place (big planes)
            new Conv(7, 16, 3, 3, 20, 1, 1, 1, 1, 0, 0, 1, 1, 1),        // 1x1, batched columns
            new Conv(4, 9, 6, 5, 10, 1, 1, 2, 2, 0, 0, 1, 1, 1),         // 1x1 stride 2 (downsample)
            new Conv(9, 20, 4, 4, 35, 3, 3, 1, 1, 1, 1, 1, 1, 1),        // small planes batched into one GEMM
            new Conv(6, 4, 16, 16, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2),        // chunks of 4 images, the last one partial, two groups
            new Conv(2, 3, 4, 4, 2, 4, 4, 3, 3, 0, 0, 1, 1, 1),          // kernel as large as the input
            new Conv(1, 2, 5, 5, 3, 3, 3, 1, 1, 3, 3, 1, 1, 1));         // padding larger than needed: border outputs see only padding

    @Test void float32ForwardMatchesReferenceWithEveryAlgorithm() {
        long seed = 10;
        for (Conv p : CASES) {
            Tensor x = Tensor.random(seed++, p.x()), w = Tensor.random(seed++, p.wt()), b = Tensor.random(seed++, p.o());
            double[] ref = ConvRef.forward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), ConvRef.toDouble(b.data()));
            Tensor y = conv(x, w, b, p);
            assertArrayEquals(p.out(), y.shape(), p.toString());
            ConvRef.assertClose(ref, y.data(), 1e-5, "conv2d " + p);
            for (Algorithm a : Algorithm.values()) {
                Tensor out = Tensor.zeros(p.out());
                java.util.Arrays.fill(out.data(), Float.NaN); // Into must overwrite, not accumulate
                Conv2d.conv2dInto(x, w, a == Algorithm.DIRECT ? null : b, p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups(), a, out);
                double[] exp = a == Algorithm.DIRECT
                        ? ConvRef.forward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), null) : ref;
                ConvRef.assertClose(exp, out.data(), 1e-5, "conv2dInto " + a + " " + p);
            }
        }
    }

    @Test void float32GradientsMatchReferenceWithEveryAlgorithm() {
        long seed = 100;
        for (Conv p : CASES) {
            Tensor x = Tensor.random(seed++, p.x()), w = Tensor.random(seed++, p.wt()), gy = Tensor.random(seed++, p.out());
            double[][] ref = ConvRef.backward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), ConvRef.toDouble(gy.data()));
            Tensor gx = Conv2d.conv2dBackwardInput(gy, w, p.x(), p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups());
            Tensor gw = Conv2d.conv2dBackwardWeight(gy, x, p.wt(), p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups());
            ConvRef.assertClose(ref[0], gx.data(), 1e-5, "grad input " + p);
            ConvRef.assertClose(ref[1], gw.data(), 1e-5, "grad weight " + p);
            for (Algorithm a : Algorithm.values()) {
                Tensor gx2 = Tensor.zeros(p.x()), gw2 = Tensor.zeros(p.wt());
                java.util.Arrays.fill(gx2.data(), Float.NaN);
                java.util.Arrays.fill(gw2.data(), Float.NaN);
                Conv2d.conv2dBackwardInputInto(gy, w, p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups(), a, gx2);
                Conv2d.conv2dBackwardWeightInto(gy, x, p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups(), a, gw2);
                ConvRef.assertClose(ref[0], gx2.data(), 1e-5, "grad input " + a + " " + p);
                ConvRef.assertClose(ref[1], gw2.data(), 1e-5, "grad weight " + a + " " + p);
            }
            double[] gb = new double[p.o()];
            int ohw = p.oh() * p.ow();
            for (int i = 0; i < gy.size(); i++) gb[i / ohw % p.o()] += gy.data()[i];
            ConvRef.assertClose(gb, Conv2d.conv2dBackwardBias(gy).data(), 1e-6, "grad bias " + p);
        }
    }

    @Test void float64MatchesReferenceWithEveryAlgorithm() {
        long seed = 200;
        for (Conv p : CASES) {
            double[] xd = ConvRef.randomDoubles(seed++, Ref.size(p.x())), wd = ConvRef.randomDoubles(seed++, Ref.size(p.wt()));
            double[] bd = ConvRef.randomDoubles(seed++, p.o()), gyd = ConvRef.randomDoubles(seed++, Ref.size(p.out()));
            Tensor x = Tensor.of(xd, p.x()), w = Tensor.of(wd, p.wt()), b = Tensor.of(bd, p.o()), gy = Tensor.of(gyd, p.out());
            Tensor y = conv(x, w, b, p);
            assertEquals(DType.F64, y.dtype());
            double[] fref = ConvRef.forward(p, xd, wd, bd);
            ConvRef.assertClose(fref, y.doubles(), 1e-12, "conv2d f64 " + p);
            double[][] ref = ConvRef.backward(p, xd, wd, gyd);
            ConvRef.assertClose(ref[0], Conv2d.conv2dBackwardInput(gy, w, p.x(), p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups()).doubles(),
                    1e-12, "grad input f64 " + p);
            ConvRef.assertClose(ref[1], Conv2d.conv2dBackwardWeight(gy, x, p.wt(), p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups()).doubles(),
                    1e-12, "grad weight f64 " + p);
            for (Algorithm a : Algorithm.values()) {
                Tensor out = Tensor.zeros(DType.F64, p.out()), gx = Tensor.zeros(DType.F64, p.x()), gw = Tensor.zeros(DType.F64, p.wt());
                java.util.Arrays.fill(out.doubles(), Double.NaN);
                java.util.Arrays.fill(gx.doubles(), Double.NaN);
                java.util.Arrays.fill(gw.doubles(), Double.NaN);
                Conv2d.conv2dInto(x, w, b, p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups(), a, out);
                Conv2d.conv2dBackwardInputInto(gy, w, p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups(), a, gx);
                Conv2d.conv2dBackwardWeightInto(gy, x, p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups(), a, gw);
                ConvRef.assertClose(fref, out.doubles(), 1e-12, "conv2dInto f64 " + a + " " + p);
                ConvRef.assertClose(ref[0], gx.doubles(), 1e-12, "grad input f64 " + a + " " + p);
                ConvRef.assertClose(ref[1], gw.doubles(), 1e-12, "grad weight f64 " + a + " " + p);
            }
        }
    }

    /** Central differences of L = sum(conv2d(x, w, b) * r) against the analytic gradients, in float64. */
    @Test void gradientsMatchFiniteDifferences() {
        List<Conv> small = List.of(
                new Conv(2, 2, 5, 4, 3, 3, 2, 2, 1, 1, 1, 1, 2, 1),
                new Conv(1, 4, 6, 6, 4, 3, 3, 1, 2, 3, 1, 2, 1, 2),
                new Conv(2, 3, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3));
        long seed = 300;
        double eps = 1e-6;
        for (Conv p : small) {
            double[] xd = ConvRef.randomDoubles(seed++, Ref.size(p.x())), wd = ConvRef.randomDoubles(seed++, Ref.size(p.wt()));
            double[] bd = ConvRef.randomDoubles(seed++, p.o()), r = ConvRef.randomDoubles(seed++, Ref.size(p.out()));
            Tensor gy = Tensor.of(r, p.out());
            double[] gx = Conv2d.conv2dBackwardInput(gy, Tensor.of(wd, p.wt()), p.x(), p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups()).doubles();
            double[] gw = Conv2d.conv2dBackwardWeight(gy, Tensor.of(xd, p.x()), p.wt(), p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups()).doubles();
            double[] gb = Conv2d.conv2dBackwardBias(gy).doubles();
            double[][] params = {xd, wd, bd}, grads = {gx, gw, gb};
            for (int t = 0; t < 3; t++) {
                double[] v = params[t];
                for (int i = 0; i < v.length; i++) {
                    double old = v[i];
                    v[i] = old + eps;
                    double up = loss(p, xd, wd, bd, r);
                    v[i] = old - eps;
                    double down = loss(p, xd, wd, bd, r);
                    v[i] = old;
                    double numeric = (up - down) / (2 * eps);
                    assertEquals(numeric, grads[t][i], 1e-6, "d/d" + "xwb".charAt(t) + "[" + i + "] " + p);
                }
            }
        }
    }

    private static double loss(Conv p, double[] x, double[] w, double[] b, double[] r) {
        double[] y = conv(Tensor.of(x, p.x()), Tensor.of(w, p.wt()), Tensor.of(b, p.o()), p).doubles();
        double s = 0;
        for (int i = 0; i < y.length; i++) s += y[i] * r[i];
        return s;
    }

    @Test void chooseAndOutputShape() {
        assertArrayEquals(new int[] {32, 64, 112, 112}, Conv2d.outputShape(new int[] {32, 3, 224, 224}, new int[] {64, 3, 7, 7}, 2, 2, 3, 3, 1, 1, 1));
        assertArrayEquals(new int[] {1, 128, 28, 28}, Conv2d.outputShape(new int[] {1, 64, 56, 56}, new int[] {128, 64, 1, 1}, 2, 2, 0, 0, 1, 1, 1));
        assertArrayEquals(new int[] {1, 1, 2, 2}, Conv2d.outputShape(new int[] {1, 1, 10, 7}, new int[] {1, 1, 3, 3}, 3, 2, 0, 0, 2, 2, 1));
        assertEquals(Algorithm.DIRECT, Conv2d.choose(new int[] {1, 32, 56, 56}, new int[] {32, 1, 3, 3}, 1, 1, 1, 1, 1, 1, 32));
        assertEquals(Algorithm.IM2COL_GEMM, Conv2d.choose(new int[] {1, 64, 56, 56}, new int[] {64, 64, 3, 3}, 1, 1, 1, 1, 1, 1, 1));
    }

    @Test void badShapesNameTheKernelAndTheShapes() {
        Tensor x = Tensor.zeros(1, 4, 8, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.conv2d(x, Tensor.zeros(6, 3, 3, 3), null, 1, 1, 0, 0, 1, 1, 1));
        assertTrue(e.getMessage().startsWith("Conv2d.conv2d:"), e.getMessage());
        assertTrue(e.getMessage().contains("[1, 4, 8, 8]") && e.getMessage().contains("[6, 3, 3, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conv2d.conv2d(x, Tensor.zeros(6, 1, 3, 3), null, 1, 1, 0, 0, 1, 1, 4));
        assertTrue(e.getMessage().contains("output channels 6 not divisible by groups"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conv2d.conv2d(x, Tensor.zeros(2, 4, 9, 9), null, 1, 1, 0, 0, 1, 1, 1));
        assertTrue(e.getMessage().contains("output would be 0x0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conv2d.conv2d(x, Tensor.zeros(2, 4, 3, 3), Tensor.zeros(3), 1, 1, 0, 0, 1, 1, 1));
        assertTrue(e.getMessage().contains("bias has shape [3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conv2d.conv2d(x.reshape(4, 8, 8), Tensor.zeros(2, 4, 3, 3), null, 1, 1, 0, 0, 1, 1, 1));
        assertTrue(e.getMessage().contains("rank 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conv2d.conv2d(x, Tensor.zeros(2, 4, 3, 3), null, 0, 1, 0, 0, 1, 1, 1));
        assertTrue(e.getMessage().contains("stride"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conv2d.conv2d(x, Tensor.zeros(DType.F64, 2, 4, 3, 3), null, 1, 1, 0, 0, 1, 1, 1));
        assertTrue(e.getMessage().contains("mixed dtypes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.conv2dBackwardInput(Tensor.zeros(1, 2, 5, 5), Tensor.zeros(2, 4, 3, 3), new int[] {1, 4, 8, 8}, 1, 1, 0, 0, 1, 1, 1));
        assertTrue(e.getMessage().startsWith("Conv2d.conv2dBackwardInput:") && e.getMessage().contains("gradOut has shape [1, 2, 5, 5]"), e.getMessage());
    }

    private static Tensor conv(Tensor x, Tensor w, Tensor b, Conv p) {
        return Conv2d.conv2d(x, w, b, p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups());
    }
}
