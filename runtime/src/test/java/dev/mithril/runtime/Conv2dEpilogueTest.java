package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The fused tail of a residual block, {@code act(conv(x) + bias + residual)}, equals the three steps done one by one. */
class Conv2dEpilogueTest {
    /** {@code relu(conv2d(x, w, b) + r)} the slow way. */
    private static Tensor reference(Tensor x, Tensor w, Tensor b, Tensor r, int stride, int pad, int groups, boolean relu) {
        Tensor y = Conv2d.conv2d(x, w, b, stride, stride, pad, pad, 1, 1, groups);
        float[] d = y.data();
        for (int i = 0; i < d.length; i++) {
            float v = d[i] + (r == null ? 0f : r.data()[i]);
            d[i] = relu ? Math.max(v, 0f) : v;
        }
        return y;
    }

    private static float maxDiff(Tensor a, Tensor b) {
        float m = 0;
        for (int i = 0; i < a.size(); i++) m = Math.max(m, Math.abs(a.data()[i] - b.data()[i]));
        return m;
    }

    @Test
    void residualAndReluMatchTheStepsOnEveryKernelPath() {
        // [n, c, h, w, out, kernel, stride, pad, groups]: one big plane (GEMM into the output), small planes batched
        // (scatter), one small plane (transposed GEMM), a 1x1 stride-1 conv read in place, a depthwise conv (direct kernel).
        int[][] cases = {{1, 8, 40, 40, 16, 3, 1, 1, 1}, {4, 8, 9, 9, 12, 3, 1, 1, 1}, {1, 16, 7, 7, 8, 3, 1, 1, 1},
                {1, 8, 16, 16, 32, 1, 1, 0, 1}, {2, 8, 10, 10, 8, 3, 2, 1, 8}};
        long seed = 1;
        for (int[] c : cases) {
            Tensor x = Tensor.randn(seed++, c[0], c[1], c[2], c[3]);
            Tensor w = Tensor.randn(seed++, c[4], c[1] / c[8], c[5], c[5]);
            Tensor b = Tensor.randn(seed++, c[4]);
            int[] shape = Conv2d.outputShape(x.shape(), w.shape(), c[6], c[6], c[7], c[7], 1, 1, c[8]);
            Tensor r = Tensor.randn(seed++, shape);
            for (boolean relu : new boolean[] {false, true}) {
                for (Tensor residual : new Tensor[] {null, r}) {
                    for (Tensor bias : new Tensor[] {null, b}) {
                        Tensor expected = reference(x, w, bias, residual, c[6], c[7], c[8], relu);
                        Tensor out = Tensor.zeros(shape);
                        java.util.Arrays.fill(out.data(), Float.NaN); // old contents must not leak in
                        Conv2d.conv2dInto(x, w, bias, c[6], c[6], c[7], c[7], 1, 1, c[8], residual, relu ? Epilogue.RELU : Epilogue.NONE, out);
                        String what = java.util.Arrays.toString(c) + " relu=" + relu + " residual=" + (residual != null) + " bias=" + (bias != null);
                        assertTrue(maxDiff(expected, out) < 1e-4f, what + ": differs by " + maxDiff(expected, out));
                        if (relu) for (float v : out.data()) assertTrue(v >= 0f, what);
                    }
                }
            }
        }
    }

    @Test
    void allocatingFormAndFloat64Agree() {
        Tensor x = Tensor.randn(7, 2, 4, 6, 6), w = Tensor.randn(8, 5, 4, 3, 3), r = Tensor.randn(9, 2, 5, 6, 6);
        Tensor y = Conv2d.conv2d(x, w, null, 1, 1, 1, 1, 1, 1, 1, r, Epilogue.RELU);
        assertEquals(0f, maxDiff(reference(x, w, null, r, 1, 1, 1, true), y), 1e-4f);
        Tensor y64 = Conv2d.conv2d(x.toF64(), w.toF64(), null, 1, 1, 1, 1, 1, 1, 1, r.toF64(), Epilogue.RELU);
        assertEquals(0f, maxDiff(y, y64.toF32()), 1e-4f);
    }

    @Test
    void badEpiloguesAreRefusedByName() {
        Tensor x = Tensor.randn(1, 1, 2, 5, 5), w = Tensor.randn(2, 3, 2, 3, 3);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.conv2d(x, w, null, 1, 1, 0, 0, 1, 1, 1, null, Epilogue.BIAS_RELU));
        assertTrue(e.getMessage().contains("BIAS_RELU"), e.getMessage());
        var shape = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.conv2d(x, w, null, 1, 1, 0, 0, 1, 1, 1, Tensor.zeros(1, 3, 4, 4), Epilogue.NONE));
        assertTrue(shape.getMessage().contains("residual"), shape.getMessage());
    }
}
