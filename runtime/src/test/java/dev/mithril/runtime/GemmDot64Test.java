package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The float64 dot-product path ({@link GemmDot64}: {@code A * B^T} with B read in place, up to
 * {@link GemmDot64#MAX_M} rows), through {@code Gemm.dgemm} and the packed float64 {@code linear}, against a plain
 * double loop: every block shape (4 x 5, the rows below in 1 x 5, the columns past the last 5 in 4 x 1 and single dot
 * products), both block orders (10 columns of depth 100 keep B in L1, of depth 600 not), depths below, at and past a
 * vector's lanes (the tails), beta 0 over NaN, 1 and another value, each with alpha 1 and another, leading
 * dimensions and offsets, 1 and 2 threads.
 */
class GemmDot64Test {
    private static final int[] MS = {1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32};
    private static final int[] KS = {1, 7, 8, 9, 100, 255, 257, 600};
    private static final double[] BETAS = {0.0, 1.0, -0.5};
    private static int threadsBefore;

    @BeforeAll static void saveThreads() { threadsBefore = Parallel.threads(); }

    @AfterAll static void restoreThreads() { Parallel.setThreads(threadsBefore); }

    private static double[] random(long seed, int n) {
        Random r = new Random(seed);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.nextDouble() * 2 - 1;
        return a;
    }

    /** sum over p of a[i][p] * b[j][p], row strides lda and ldb. */
    private static double dot(double[] a, int aOff, int lda, double[] b, int bOff, int ldb, int i, int j, int k) {
        double s = 0;
        for (int p = 0; p < k; p++) s += a[aOff + i * lda + p] * b[bOff + j * ldb + p];
        return s;
    }

    private static void close(double expected, double actual, String what) {
        assertEquals(expected, actual, 1e-12 * Math.max(1, Math.abs(expected)), what);
    }

    @ParameterizedTest @ValueSource(ints = {1, 2})
    void everyBlockShapeAndRemainder(int threads) {
        Parallel.setThreads(threads);
        long seed = 1;
        int calls = 0;
        assertEquals(32, GemmDot64.MAX_M, "the rows below cover the dot path's range");
        for (int m : MS) {
            for (int n = 1; n <= 12; n++) {
                for (int k : KS) {
                    int lda = k + 3, ldb = k + 1, ldc = n + 2, aOff = 5, bOff = 2, cOff = 1;
                    double[] a = random(seed++, aOff + m * lda), b = random(seed++, bOff + n * ldb), c = random(seed++, cOff + m * ldc);
                    // alpha 1 with beta 0: the 4 x 5 blocks store straight into C; otherwise through a block of sums
                    double alpha = (calls / BETAS.length) % 2 == 0 ? 1 : 0.75, beta = BETAS[calls++ % BETAS.length];
                    if (beta == 0.0) Arrays.fill(c, Double.NaN); // must be ignored, not multiplied by 0
                    double[] c0 = c.clone();
                    Gemm.dgemm(false, true, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
                    String what = threads + " thread(s): dgemm A * B^T m=" + m + " n=" + n + " k=" + k + " beta=" + beta;
                    for (int idx = 0; idx < c.length; idx++) {
                        int i = (idx - cOff) / ldc, j = (idx - cOff) % ldc;
                        if (idx < cOff || i >= m || j >= n) {
                            assertEquals(Double.doubleToLongBits(c0[idx]), Double.doubleToLongBits(c[idx]), what + ": wrote outside C at " + idx);
                            continue;
                        }
                        double exp = alpha * dot(a, aOff, lda, b, bOff, ldb, i, j, k) + (beta == 0.0 ? 0.0 : beta * c0[idx]);
                        close(exp, c[idx], what + " at (" + i + ", " + j + ")");
                    }
                }
            }
        }
    }

    /** Packed float64 layers at and around the dot path's routing: bias, residual, activations and accumulation. */
    @ParameterizedTest @ValueSource(ints = {1, 2})
    void packedLinearLayersWithEpilogues(int threads) {
        Parallel.setThreads(threads);
        long seed = 300;
        for (int m : new int[] {1, 2, 3, 7, 32, 33}) {
            for (int n : new int[] {1, 10, GemmKernel64.NR, GemmKernel64.NR + 1}) {
                for (int k : new int[] {9, 256, 301}) {
                    double[] x = random(seed++, 2 + m * k), w = random(seed++, n * k), bias = random(seed++, n);
                    double[] res = random(seed++, m * n), c0 = random(seed++, m * n);
                    PackedWeights pw = Gemm.pack(w, 0, n, k);
                    double[] y = new double[m * n], acc = c0.clone(), t = new double[m * n];
                    Arrays.fill(y, Double.NaN);
                    Arrays.fill(t, Double.NaN);
                    Gemm.linear(x, 2, m, pw, bias, Epilogue.BIAS_RELU, res, 0, false, y, 0);
                    Gemm.linear(x, 2, m, pw, null, Epilogue.NONE, null, 0, true, acc, 0);
                    Gemm.linear(x, 2, m, pw, bias, Epilogue.BIAS_TANH, t, 0);
                    String what = threads + " thread(s): float64 linear m=" + m + " n=" + n + " k=" + k;
                    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                        double d = dot(x, 2, k, w, 0, k, i, j, k);
                        int idx = i * n + j;
                        close(Math.max(0, d + bias[j] + res[idx]), y[idx], what + " relu at (" + i + ", " + j + ")");
                        close(c0[idx] + d, acc[idx], what + " accumulate at (" + i + ", " + j + ")");
                        close(Math.tanh(d + bias[j]), t[idx], what + " tanh at (" + i + ", " + j + ")");
                    }
                }
            }
        }
    }

    /** The classifier's shape called until the blocks are compiled, every call checked against the same reference. */
    @Test
    void compiledBlocksAgreeWithTheReference() {
        Parallel.setThreads(1);
        int m = 32, n = 10, k = 256;
        double[] x = random(7, m * k), w = random(8, n * k), exp = new double[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) exp[i * n + j] = dot(x, 0, k, w, 0, k, i, j, k);
        PackedWeights pw = Gemm.pack(w, 0, n, k);
        for (int call = 0; call < 1500; call++) {
            double[] y = new double[m * n];
            Arrays.fill(y, Double.NaN);
            if (call % 2 == 0) Gemm.linear(x, 0, m, pw, null, Epilogue.NONE, y, 0);
            else Gemm.dgemm(false, true, m, n, k, 1.0, x, 0, k, w, 0, k, 0.0, y, 0, n);
            for (int i = 0; i < y.length; i++) close(exp[i], y[i], "call " + call + ", element " + i);
        }
    }

    /**
     * Wide products copy A's rows onto cache lines, as in float32 ({@link GemmDot#LINE_UP_N} columns on one thread,
     * {@link GemmDot#LINE_UP_N_PARALLEL} on two): against a plain double loop with offsets, a leading dimension past
     * k and depths that leave every remainder of 8; and no bit changes against a product one column narrower, which is
     * not copied, in the columns of their common 4 x 5 blocks (after 400 calls of both).
     */
    @ParameterizedTest @ValueSource(ints = {1, 2})
    void rowsLinedUpForWideProducts(int threads) {
        Parallel.setThreads(threads);
        int wide = threads == 1 ? GemmDot.LINE_UP_N : GemmDot.LINE_UP_N_PARALLEL;
        long seed = 800;
        for (int m : new int[] {1, 5, 32}) {
            for (int k : new int[] {1, 9, 300}) {
                int lda = k + 3, aOff = 2, ldb = k + 1, bOff = 1, ldc = wide + 2, cOff = 3;
                double[] a = random(seed++, aOff + m * lda), b = random(seed++, bOff + wide * ldb), c0 = random(seed++, cOff + m * ldc);
                double[] c = c0.clone(), narrow = c0.clone();
                // the bits are compared once the blocks are compiled: a lane reduction may add in another order in
                // the interpreter
                boolean bits = m == 32 && k == 300;
                for (int call = 0; call < (bits ? 400 : 1); call++) {
                    System.arraycopy(c0, 0, c, 0, c.length);
                    Gemm.dgemm(false, true, m, wide, k, 1.0, a, aOff, lda, b, bOff, ldb, -0.5, c, cOff, ldc);
                    System.arraycopy(c0, 0, narrow, 0, c.length);
                    Gemm.dgemm(false, true, m, wide - 1, k, 1.0, a, aOff, lda, b, bOff, ldb, -0.5, narrow, cOff, ldc);
                }
                String what = threads + " thread(s), " + m + " x " + wide + " x " + k;
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < wide; j++) {
                        int at = cOff + i * ldc + j;
                        close(dot(a, aOff, lda, b, bOff, ldb, i, j, k) - 0.5 * c0[at], c[at], what + " at " + i + "," + j);
                        if (bits && j < (wide - 1) / 5 * 5) {
                            assertEquals(narrow[at], c[at], 0.0, what + ": " + i + "," + j + " with and without the copy");
                        }
                    }
                }
            }
        }
    }
}
