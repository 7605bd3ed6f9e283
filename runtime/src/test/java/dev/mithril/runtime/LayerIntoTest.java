package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The {@code ...Into} forms of the layer kernels that training code calls with planned buffers (pooling gradients,
 * batch and layer norm forward and backward, fused attention, embedding): each equals its allocating form
 * (to rounding) when its destinations are prefix views of longer storage that holds NaN (so a kernel that added into its output
 * instead of writing it, or read or wrote past the view, would show), and refuses a destination of the wrong shape.
 */
class LayerIntoTest {
    private static final int TAIL = 13;

    /** A destination as generated code has it: a view of a longer array, all NaN before the call. */
    private static Tensor dirty(DType dt, int... shape) {
        int n = Tensor.checkedSize("test", shape);
        if (dt == DType.F64) {
            double[] d = new double[n + TAIL];
            Arrays.fill(d, Double.NaN);
            return Tensor.view(d, shape);
        }
        float[] f = new float[n + TAIL];
        Arrays.fill(f, Float.NaN);
        return Tensor.view(f, shape);
    }

    private static Tensor random(DType dt, long seed, int... shape) { return NumericCheck.randn(dt, seed, shape); }

    /**
     * {@code actual}'s view equals {@code expected} (to a few units in the last place: a vector reduction adds its lanes
     * in another order before and after the JIT compiles it, so two calls of one kernel may differ in the last bit), and
     * the storage past the view is still NaN.
     */
    private static void assertWritten(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        int n = expected.size();
        boolean f64 = expected.dtype() == DType.F64;
        double tol = f64 ? 1e-13 : 2e-6;
        for (int i = 0; i < n; i++) {
            double e = f64 ? expected.doubles()[i] : expected.data()[i], a = f64 ? actual.doubles()[i] : actual.data()[i];
            assertTrue(Math.abs(e - a) <= tol * Math.max(1, Math.abs(e)), what + " at " + i + ": expected " + e + " but was " + a);
        }
        int length = f64 ? actual.doubles().length : actual.data().length;
        for (int i = n; i < length; i++) {
            assertTrue(Double.isNaN(f64 ? actual.doubles()[i] : actual.data()[i]), what + ": wrote past the view at " + i);
        }
    }

    @Test
    void poolingGradientsWriteTheirBuffer() {
        for (DType dt : List.of(DType.F32, DType.F64)) {
            int[] xs = {2, 3, 11, 7};
            Tensor x = random(dt, 1, xs);
            // ResNet's stem pooling (overlapping windows, padding) and a dilated, strided one.
            for (int[] p : new int[][] {{3, 3, 2, 2, 1, 1, 1, 1}, {2, 3, 3, 1, 0, 1, 2, 1}}) {
                int[] os = Pool2d.maxPool2dOutputShape(xs, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
                Tensor g = random(dt, 2, os);
                Tensor gx = dirty(dt, xs);
                Pool2d.maxPool2dBackwardInto(g, x, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], gx);
                assertWritten(Pool2d.maxPool2dBackward(g, x, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]), gx, "max pool " + Arrays.toString(p) + " " + dt);
            }
            int[] os = Pool2d.avgPool2dOutputShape(xs, 3, 2, 2, 1, 1, 0);
            Tensor g = random(dt, 3, os), gx = dirty(dt, xs);
            Pool2d.avgPool2dBackwardInto(g, 3, 2, 2, 1, 1, 0, gx);
            assertWritten(Pool2d.avgPool2dBackward(g, xs, 3, 2, 2, 1, 1, 0), gx, "avg pool " + dt);
            Tensor ga = random(dt, 4, 2, 3, 3, 2), gxa = dirty(dt, xs);
            Pool2d.adaptiveAvgPool2dBackwardInto(ga, gxa);
            assertWritten(Pool2d.adaptiveAvgPool2dBackward(ga, xs), gxa, "adaptive avg pool " + dt);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Pool2d.avgPool2dBackwardInto(random(dt, 5, 2, 3, 5, 3), 3, 2, 2, 1, 1, 0, dirty(dt, 2, 3, 11, 8)));
            assertTrue(e.getMessage().contains("gradOut"), e.getMessage());
        }
    }

    @Test
    void batchNormWritesOutputStatisticsAndGradients() {
        for (DType dt : List.of(DType.F32, DType.F64)) {
            int[] xs = {3, 5, 4, 7};
            Tensor x = random(dt, 6, xs), w = random(dt, 7, 5), b = random(dt, 8, 5), dy = random(dt, 9, xs);
            Tensor rm = random(dt, 10, 5), rv = NumericCheck.of(dt, new double[] {0.5, 1, 2, 0.25, 3}, 5), rm2 = rm.copy(), rv2 = rv.copy();
            Norms.Result expected = Norms.batchNormTraining(x, w, b, rm, rv, 0.1, 1e-5);
            Norms.Result into = new Norms.Result(dirty(dt, xs), dirty(dt, 5), dirty(dt, 5));
            Norms.batchNormTrainingInto(x, w, b, rm2, rv2, 0.1, 1e-5, into);
            assertWritten(expected.out(), into.out(), "batch norm out " + dt);
            assertWritten(expected.mean(), into.mean(), "batch norm mean " + dt);
            assertWritten(expected.invStd(), into.invStd(), "batch norm invStd " + dt);
            assertWritten(rm, rm2, "running mean " + dt);
            assertWritten(rv, rv2, "running var " + dt);

            Norms.Grads g = Norms.batchNormBackward(dy, x, w, expected.mean(), expected.invStd());
            Tensor dx = dirty(dt, xs), dw = dirty(dt, 5);
            Norms.batchNormBackwardInputInto(dy, x, w, expected.mean(), expected.invStd(), dx);
            Norms.batchNormBackwardWeightInto(dy, x, expected.mean(), expected.invStd(), dw);
            assertWritten(g.dx(), dx, "batch norm dx " + dt);
            assertWritten(g.dWeight(), dw, "batch norm dWeight " + dt);

            Tensor eval = dirty(dt, xs);
            Norms.batchNormInferenceInto(x, rm, rv, w, b, 1e-5, eval);
            assertWritten(Norms.batchNormInference(x, rm, rv, w, b, 1e-5), eval, "batch norm inference " + dt);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Norms.batchNormBackwardWeightInto(dy, x, expected.mean(), expected.invStd(), dirty(dt, 4)));
            assertTrue(e.getMessage().contains("dWeight"), e.getMessage());
        }
    }

    @Test
    void layerNormWritesOutputStatisticsAndGradients() {
        for (DType dt : List.of(DType.F32, DType.F64)) {
            // Rows of 3 x 13 values: not a multiple of the vector width, normalized over two trailing dimensions.
            int[] xs = {2, 5, 3, 13}, norm = {3, 13};
            Tensor x = random(dt, 12, xs), w = random(dt, 13, norm), b = random(dt, 14, norm), dy = random(dt, 15, xs);
            Norms.Result expected = Norms.layerNorm(x, norm, w, b, 1e-5);
            Norms.Result into = new Norms.Result(dirty(dt, xs), dirty(dt, 2, 5), dirty(dt, 2, 5));
            Norms.layerNormInto(x, 39, w, b, 1e-5, into);
            assertWritten(expected.out(), into.out(), "layer norm out " + dt);
            assertWritten(expected.mean(), into.mean(), "layer norm mean " + dt);
            assertWritten(expected.invStd(), into.invStd(), "layer norm invStd " + dt);
            Tensor inference = dirty(dt, xs);
            Norms.layerNormInto(x, 39, w, b, 1e-5, new Norms.Result(inference, null, null));
            assertWritten(expected.out(), inference, "layer norm without statistics " + dt);

            Norms.Grads g = Norms.layerNormBackward(dy, x, norm, w, expected.mean(), expected.invStd());
            Tensor dx = dirty(dt, xs), dw = dirty(dt, norm);
            Norms.layerNormBackwardInputInto(dy, x, 39, w, expected.mean(), expected.invStd(), dx);
            Norms.layerNormBackwardWeightInto(dy, x, 39, expected.mean(), expected.invStd(), dw);
            assertWritten(g.dx(), dx, "layer norm dx " + dt);
            assertWritten(g.dWeight(), dw, "layer norm dWeight " + dt);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Norms.layerNormInto(x, 26, w, b, 1e-5, new Norms.Result(dirty(dt, xs), null, null)));
            assertTrue(e.getMessage().contains("hold exactly 26 values"), e.getMessage());
        }
    }

    @Test
    void fusedAttentionWritesOutputLogSumExpAndGradient() {
        for (DType dt : List.of(DType.F32, DType.F64)) {
            int b = 2, t = 37, heads = 3, hd = 5, c = heads * hd; // 37 positions: more than one key block, not a multiple of it
            Tensor qkv = random(dt, 16, b, t, 3 * c), dOut = random(dt, 17, b, t, c);
            Attention.Result expected = Attention.forwardFused(qkv, heads);
            Attention.Result into = new Attention.Result(dirty(dt, b, t, c), dirty(dt, b, heads, t));
            Attention.forwardFusedInto(qkv, heads, into);
            assertWritten(expected.out(), into.out(), "attention out " + dt);
            assertWritten(expected.lse(), into.lse(), "attention lse " + dt);
            Tensor dqkv = dirty(dt, b, t, 3 * c);
            Attention.backwardFusedInto(qkv, heads, expected.out(), expected.lse(), dOut, dqkv);
            assertWritten(Attention.backwardFused(qkv, heads, expected.out(), expected.lse(), dOut), dqkv, "attention dqkv " + dt);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Attention.forwardFusedInto(qkv, heads, new Attention.Result(dirty(dt, b, t, c), dirty(dt, b, t, heads))));
            assertTrue(e.getMessage().contains("lse must be [2, 3, 37]"), e.getMessage());
        }
    }

    @Test
    void embeddingWritesRowsAndTableGradient() {
        SplittableRandom r = new SplittableRandom(18);
        long[] ids = new long[2 * 9];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(6); // repeated ids: their gradients add
        Tensor idT = Tensor.ofLongs(ids, 2, 9);
        for (DType dt : List.of(DType.F32, DType.F64)) {
            Tensor table = random(dt, 19, 11, 7), dOut = random(dt, 20, 2, 9, 7);
            Tensor out = dirty(dt, 2, 9, 7);
            Embedding.forwardInto(idT, table, out);
            assertWritten(Embedding.forward(idT, table), out, "embedding " + dt);
            Tensor dTable = dirty(dt, 11, 7);
            Embedding.backwardInto(idT, dOut, dTable);
            assertWritten(Embedding.backward(idT, dOut, 11), dTable, "embedding gradient " + dt);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Embedding.forwardInto(idT, table, dirty(dt, 2, 9, 6)));
            assertTrue(e.getMessage().contains("out is"), e.getMessage());
        }
    }
}
