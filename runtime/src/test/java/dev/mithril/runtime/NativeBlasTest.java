package dev.mithril.runtime;

import static dev.mithril.runtime.GemmShapesTest.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The OpenBLAS path gives what the Java path gives; skipped (with the reason) where the library is missing. */
class NativeBlasTest {
    @Test void nativeEqualsJava() {
        Assumptions.assumeTrue(NativeBlas.available(), () -> "skipped: " + NativeBlas.loadError());
        int m = 37, n = 53, k = 71;
        double[] a = random(11, k * m), b = random(12, k * n), bias = random(13, n), res = random(14, m * n);
        boolean before = Gemm.usingNative();
        try {
            float[][] s = new float[2][];
            double[][] d = new double[2][], l = new double[2][];
            float[][] lf = new float[2][];
            PackedWeights pd = Gemm.pack(b, 0, n, k), pf = Gemm.pack(toFloat(b), 0, n, k);
            for (int nat = 0; nat < 2; nat++) {
                assertEquals(nat == 1, Gemm.useNative(nat == 1));
                assertEquals(nat == 1, Gemm.implementation().contains("OpenBLAS"), Gemm.implementation());
                s[nat] = toFloat(random(15, m * n));
                Gemm.sgemm(true, false, m, n, k, 0.5f, toFloat(a), 0, m, toFloat(b), 0, n, 2f, s[nat], 0, n);
                d[nat] = random(15, m * n);
                Gemm.dgemm(true, false, m, n, k, 0.5, a, 0, m, b, 0, n, 2.0, d[nat], 0, n, bias, Epilogue.BIAS_TANH);
                l[nat] = random(16, m * n);
                Gemm.linear(copy(a, m * k), 0, m, pd, bias, Epilogue.BIAS_RELU, res, 0, true, l[nat], 0);
                lf[nat] = new float[m * n];
                Gemm.linear(toFloat(copy(a, m * k)), 0, m, pf, toFloat(bias), Epilogue.BIAS, lf[nat], 0);
            }
            assertClose(toDouble(s[0]), toDouble(s[1]), 1e-5, "sgemm");
            assertClose(d[0], d[1], 1e-12, "dgemm");
            assertClose(l[0], l[1], 1e-12, "linear float64");
            assertClose(toDouble(lf[0]), toDouble(lf[1]), 1e-5, "linear float32");
        } finally {
            Gemm.useNative(before);
        }
    }

    private static double[] copy(double[] a, int n) { return java.util.Arrays.copyOf(a, n); }
}
