package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * SGEMM and DGEMM against a plain double-precision reference on shapes that hit every edge of the blocking: one row
 * or column, primes, row tails that take the 4-row and the padded full kernel, partial vectors and panels, several
 * k blocks; all transpose variants, alpha/beta, offsets and leading dimensions.
 */
class GemmShapesTest {
    private static final int[] MS = {1, 3, 5, 9, 12, 13, 17, 50};
    private static final int[][] NK = {{1, 1}, {7, 3}, {17, 29}, {49, 5}, {97, 101}, {16, 401}};

    @Test void sgemmAndDgemmAllVariants() {
        long seed = 100;
        for (int m : MS) {
            for (int[] nk : NK) {
                int n = nk[0], k = nk[1];
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                    int lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 3, ldc = n + 1, aOff = 1, bOff = 4, cOff = 2;
                    double[] a = random(seed++, aOff + (ta ? k : m) * lda), b = random(seed++, bOff + (tb ? n : k) * ldb);
                    double[] c = random(seed++, cOff + m * ldc);
                    double alpha = 1.25, beta = t == 3 ? 0 : -0.5;
                    double[] exp = c.clone();
                    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int p = 0; p < k; p++) s += a[aOff + (ta ? p * lda + i : i * lda + p)] * b[bOff + (tb ? j * ldb + p : p * ldb + j)];
                        exp[cOff + i * ldc + j] = alpha * s + beta * c[cOff + i * ldc + j];
                    }
                    String what = String.format("ta=%b tb=%b m=%d n=%d k=%d", ta, tb, m, n, k);
                    double[] cd = c.clone();
                    Gemm.dgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, cd, cOff, ldc);
                    assertClose(exp, cd, 1e-12, "dgemm " + what);
                    float[] cf = toFloat(c);
                    Gemm.sgemm(ta, tb, m, n, k, (float) alpha, toFloat(a), aOff, lda, toFloat(b), bOff, ldb, (float) beta, cf, cOff, ldc);
                    assertClose(exp, toDouble(cf), 1e-5, "sgemm " + what);
                }
            }
        }
    }

    @Test void resultDoesNotDependOnTheThreadCount() {
        int m = 203, n = 311, k = 450; // several row blocks, k blocks and panels
        float[] a = Ref.randomArray(7, m * k), b = Ref.randomArray(8, k * n);
        double[] ad = toDouble(a), bd = toDouble(b);
        int before = Parallel.threads();
        float[][] cs = new float[3][m * n];
        double[][] ds = new double[3][m * n];
        try {
            for (int t = 1; t <= 3; t++) {
                Parallel.setThreads(t);
                Gemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, cs[t - 1], 0, n);
                Gemm.dgemm(false, false, m, n, k, 1.0, ad, 0, k, bd, 0, n, 0.0, ds[t - 1], 0, n);
            }
        } finally {
            Parallel.setThreads(before);
        }
        // Threads split rows and panels only; every element sums its k blocks in the same order.
        assertArrayEquals(cs[0], cs[1]);
        assertArrayEquals(cs[0], cs[2]);
        assertArrayEquals(ds[0], ds[1]);
        assertArrayEquals(ds[0], ds[2]);
        double[] ref = Ref.gemm(false, false, m, n, k, a, 0, k, b, 0, n);
        assertClose(ref, toDouble(cs[0]), 1e-5, "sgemm 203x311x450");
        assertClose(ref, ds[0], 1e-12, "dgemm 203x311x450");
    }

    @Test void skinnyLinearLayersOfTheMlp() {
        int[][] layers = {{784, 1024}, {1024, 512}, {512, 256}, {256, 10}};
        long seed = 300;
        for (int batch : new int[] {1, 7, 32}) {
            for (int[] l : layers) {
                int k = l[0], n = l[1];
                float[] x = Ref.randomArray(seed++, batch * k), w = Ref.randomArray(seed++, n * k), bias = Ref.randomArray(seed++, n);
                float[] c = new float[batch * n];
                Gemm.linear(x, 0, batch, Gemm.pack(w, 0, n, k), bias, Epilogue.BIAS_RELU, c, 0);
                double[] ref = Ref.gemm(false, true, batch, n, k, x, 0, k, w, 0, k);
                double[] exp = new double[batch * n];
                for (int i = 0; i < batch; i++) for (int j = 0; j < n; j++) exp[i * n + j] = Math.max(0, ref[i * n + j] + bias[j]);
                assertClose(exp, toDouble(c), 1e-5, "linear " + batch + "x" + k + "->" + n);
            }
        }
    }

    static double[] random(long seed, int n) {
        Random r = new Random(seed);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.nextDouble() * 2 - 1;
        return a;
    }

    static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** |actual - expected| <= tol * max(1, max |expected|) everywhere. */
    static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double max = 1;
        for (double e : expected) max = Math.max(max, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            if (!(err <= tol * max)) fail(what + ": at " + i + " expected " + expected[i] + " but got " + actual[i] + " (tol " + tol * max + ")");
        }
    }

    static double[] copyRange(double[] a, int from) { return Arrays.copyOfRange(a, from, a.length); }
}
