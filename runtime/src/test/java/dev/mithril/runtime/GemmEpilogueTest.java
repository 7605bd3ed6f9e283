package dev.mithril.runtime;

import static dev.mithril.runtime.GemmShapesTest.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Fused bias, residual, accumulate and activation in {@code Gemm.linear} and {@code sgemm}/{@code dgemm}, both precisions. */
class GemmEpilogueTest {
    @Test void linearWithResidualAndAccumulateFloatAndDouble() {
        long seed = 500;
        int[][] shapes = {{1, 5, 3}, {1, 97, 33}, {9, 49, 17}, {13, 97, 401}, {40, 50, 60}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            double[] x = random(seed++, 3 + m * k), w = random(seed++, n * k), bias = random(seed++, n);
            double[] res = random(seed++, 2 + m * n), old = random(seed++, 1 + m * n);
            PackedWeights pf = Gemm.pack(toFloat(w), 0, n, k), pd = Gemm.pack(w, 0, n, k);
            assertEquals(DType.F32, pf.dtype());
            assertEquals(DType.F64, pd.dtype());
            for (Epilogue ep : new Epilogue[] {Epilogue.NONE, Epilogue.BIAS, Epilogue.BIAS_RELU, Epilogue.TANH, Epilogue.BIAS_SIGMOID}) {
                for (int mode = 0; mode < 3; mode++) { // 0: plain, 1: + residual, 2: accumulate into c
                    boolean withRes = mode == 1, acc = mode == 2;
                    double[] exp = new double[1 + m * n];
                    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                        double v = 0;
                        for (int p = 0; p < k; p++) v += x[3 + i * k + p] * w[j * k + p];
                        if (ep.hasBias()) v += bias[j];
                        if (withRes) v += res[2 + i * n + j];
                        if (acc) v += old[1 + i * n + j];
                        exp[1 + i * n + j] = GemmKernel64.activation(ep, v);
                    }
                    String what = ep + " mode " + mode + " " + m + "x" + n + "x" + k;
                    double[] cd = old.clone();
                    Gemm.linear(x, 3, m, pd, ep.hasBias() ? bias : null, ep, withRes ? res : null, 2, acc, cd, 1);
                    assertClose(copyRange(exp, 1), copyRange(cd, 1), 1e-12, "float64 " + what);
                    assertEquals(old[0], cd[0], "float64 " + what + " wrote before c");
                    float[] cf = toFloat(old);
                    Gemm.linear(toFloat(x), 3, m, pf, ep.hasBias() ? toFloat(bias) : null, ep, withRes ? toFloat(res) : null, 2, acc, cf, 1);
                    assertClose(copyRange(exp, 1), copyRange(toDouble(cf), 1), 1e-5, "float32 " + what);
                }
            }
        }
    }

    @Test void sgemmAndDgemmWithBiasAndActivation() {
        int m = 21, n = 35, k = 19;
        double[] a = random(1, k * m), b = random(2, n * k), bias = random(3, n);
        double[] exp = new double[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double v = 0;
            for (int p = 0; p < k; p++) v += a[p * m + i] * b[j * k + p]; // A^T * B^T
            exp[i * n + j] = Math.max(0, 0.5 * v + bias[j]);
        }
        double[] cd = new double[m * n];
        Gemm.dgemm(true, true, m, n, k, 0.5, a, 0, m, b, 0, k, 0.0, cd, 0, n, bias, Epilogue.BIAS_RELU);
        assertClose(exp, cd, 1e-12, "dgemm BIAS_RELU");
        float[] cf = new float[m * n];
        Gemm.sgemm(true, true, m, n, k, 0.5f, toFloat(a), 0, m, toFloat(b), 0, k, 0f, cf, 0, n, toFloat(bias), Epilogue.BIAS_RELU);
        assertClose(exp, toDouble(cf), 1e-5, "sgemm BIAS_RELU");
    }

    @Test void zeroDepthLeavesTheEpilogueOfBetaC() {
        double[] c = {1, -2, 3, -4}, bias = {0.5, 0.25};
        Gemm.linear(new double[0], 0, 2, Gemm.pack(new double[0], 0, 2, 0), bias, Epilogue.BIAS_RELU, null, 0, true, c, 0);
        assertArrayEquals(new double[] {1.5, 0, 3.5, 0}, c);
    }

    @Test void misuseIsRejectedClearly() {
        PackedWeights pf = Gemm.pack(new float[6], 0, 2, 3);
        float[] c = new float[4];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.linear(new float[6], 0, 2, pf, null, Epilogue.NONE, c, 0, false, c, 0));
        assertTrue(e.getMessage().contains("accumulate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.linear(new float[6], 0, 2, pf, null, Epilogue.NONE, new float[3], 0, false, c, 0));
        assertTrue(e.getMessage().contains("residual") && e.getMessage().contains("needs 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.linear(new double[6], 0, 2, pf, null, Epilogue.NONE, new double[4], 0));
        assertTrue(e.getMessage().contains("float32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.dgemm(false, false, 1, 1, 1, 1, new double[1], 0, 1,
                new double[1], 0, 1, 0, new double[1], 0, 1, null, Epilogue.GELU));
        assertTrue(e.getMessage().contains("GELU") && e.getMessage().contains("float64"), e.getMessage());
    }
}
