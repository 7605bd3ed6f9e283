package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GemmTest {
    private static final int[] MS = {1, 2, 7, 32, 33, 129};
    private static final int[][] NK = {{1, 1}, {13, 7}, {31, 97}, {97, 31}, {16, 300}, {67, 257}};

    @Test void allTransposeCombinationsWithAlphaBetaAndLeadingDims() {
        long seed = 1;
        for (int m : MS) {
            for (int[] nk : NK) {
                int n = nk[0], k = nk[1];
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                    int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
                    int lda = aCols + 3, ldb = bCols + 1, ldc = n + 5, aOff = 2, bOff = 5, cOff = 3;
                    float[] a = Ref.randomArray(seed++, aOff + aRows * lda);
                    float[] b = Ref.randomArray(seed++, bOff + bRows * ldb);
                    float[] c = Ref.randomArray(seed++, cOff + m * ldc);
                    float[] c0 = c.clone();
                    float alpha = 0.75f, beta = -0.5f;
                    Gemm.sgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
                    double[] ref = Ref.gemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb);
                    Ref.assertClose(expected(ref, alpha, beta, c0, cOff, ldc, m, n), c, 1e-5, String.format("sgemm ta=%b tb=%b m=%d n=%d k=%d", ta, tb, m, n, k));
                }
            }
        }
    }

    /** {@code alpha * ref + beta * c0} over the m x n matrix at {@code cOff} (row stride ldc), c0 elsewhere. */
    static float[] expected(double[] ref, float alpha, float beta, float[] c0, int cOff, int ldc, int m, int n) {
        float[] exp = c0.clone();
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            exp[cOff + i * ldc + j] = (float) (alpha * ref[i * n + j] + beta * c0[cOff + i * ldc + j]);
        }
        return exp;
    }

    @Test void betaZeroIgnoresNaNInC() {
        int m = 33, n = 31, k = 13;
        float[] a = Ref.randomArray(1, m * k), b = Ref.randomArray(2, k * n), c = new float[m * n];
        Arrays.fill(c, Float.NaN);
        Gemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        double[] ref = Ref.gemm(false, false, m, n, k, a, 0, k, b, 0, n);
        float[] exp = new float[m * n];
        for (int i = 0; i < exp.length; i++) exp[i] = (float) ref[i];
        Ref.assertClose(exp, c, 1e-5, "beta=0 with NaN in C");
        // k == 0: C = beta * C
        float[] c2 = {1, 2, 3, 4};
        Gemm.sgemm(false, false, 2, 2, 0, 1f, new float[0], 0, 1, new float[2], 0, 2, 2f, c2, 0, 2);
        assertArrayEquals(new float[] {2, 4, 6, 8}, c2);
    }

    @Test void largeMultiBlockProduct() {
        int m = 200, n = 300, k = 600; // several MC and KC blocks and panels, runs in parallel
        float[] a = Ref.randomArray(3, m * k), b = Ref.randomArray(4, n * k), c = new float[m * n];
        Gemm.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, c, 0, n);
        double[] ref = Ref.gemm(false, true, m, n, k, a, 0, k, b, 0, k);
        float[] exp = new float[m * n];
        for (int i = 0; i < exp.length; i++) exp[i] = (float) ref[i];
        Ref.assertClose(exp, c, 1e-5, "large");
    }

    /**
     * float64 with several row blocks (240 rows each at most) and k blocks ({@link GemmTuning#KC64} deep), B transposed
     * and not, beta on the old C, one and two threads: against a double-precision reference, and the same bits on
     * either thread count.
     */
    @Test void float64MultiBlockProduct() {
        int m = 500, n = 130, k = 450, before = Parallel.threads(); // 3 row blocks, 3 k blocks, 6 panels (the last partial)
        assertTrue(k > 2 * GemmTuning.KC64 && m > 2 * GemmTuning.MC_ROWS, "the shape must span several blocks");
        java.util.Random r = new java.util.Random(5);
        double[] a = new double[m * k], b = new double[k * n], c0 = new double[m * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextDouble() - 0.5;
        for (int i = 0; i < b.length; i++) b[i] = r.nextDouble() - 0.5;
        for (int i = 0; i < c0.length; i++) c0[i] = r.nextDouble() - 0.5;
        double[] bt = new double[n * k];
        for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) bt[j * k + p] = b[p * n + j];
        double[] exp = new double[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double sum = 0;
            for (int p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
            exp[i * n + j] = 0.75 * sum - 2.0 * c0[i * n + j];
        }
        double[][] got = new double[4][];
        try {
            for (int t = 1; t <= 2; t++) {
                Parallel.setThreads(t);
                for (int tb = 0; tb < 2; tb++) {
                    double[] c = c0.clone();
                    if (tb == 0) Gemm.dgemm(false, false, m, n, k, 0.75, a, 0, k, b, 0, n, -2.0, c, 0, n);
                    else Gemm.dgemm(false, true, m, n, k, 0.75, a, 0, k, bt, 0, k, -2.0, c, 0, n);
                    for (int i = 0; i < c.length; i++) {
                        assertEquals(exp[i], c[i], 1e-12 * Math.max(1, Math.abs(exp[i])),
                                "dgemm " + m + "x" + n + "x" + k + (tb == 1 ? " B transposed" : "") + " on " + t + " thread(s), element " + i);
                    }
                    got[(t - 1) * 2 + tb] = c;
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
        assertArrayEquals(got[0], got[2], "the same bits on one and two threads");
        assertArrayEquals(got[1], got[3], "the same bits on one and two threads, B transposed");
    }

    /**
     * Wide enough that two threads split the columns and each task has several row blocks, which the task right of
     * the split walks starting half-way down: every element is still computed once, bit-identical to one thread.
     */
    @Test void columnSplitWithSeveralRowBlocks() {
        int m = 300, n = 1100, k = 200, before = Parallel.threads();
        float[] a = Ref.randomArray(11, m * k), b = Ref.randomArray(12, n * k);
        float[][] cs = {new float[m * n], new float[m * n]};
        try {
            for (int t = 1; t <= 2; t++) {
                Parallel.setThreads(t);
                Arrays.fill(cs[t - 1], Float.NaN);
                Gemm.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, cs[t - 1], 0, n);
            }
        } finally {
            Parallel.setThreads(before);
        }
        assertArrayEquals(cs[0], cs[1]);
        double[] ref = Ref.gemm(false, true, m, n, k, a, 0, k, b, 0, k);
        float[] exp = new float[m * n];
        for (int i = 0; i < exp.length; i++) exp[i] = (float) ref[i];
        Ref.assertClose(exp, cs[1], 1e-5, "300x1100x200 on 2 threads");
    }

    /**
     * Rows of C too wide for row blocks of 64 rows in L2 go by groups of column panels, each through all the rows
     * (float32: more than 42 panels per task, float64: more than 42 of its 24-column panels): plain and pre-packed,
     * one and two threads (two threads split 94 panels into two wide tasks by columns, or the rows), against a
     * double-precision reference, every group, row block and k block included.
     */
    @Test void wideProductsGoByPanelGroups() {
        int m = 150, n = 4500, k = 600, before = Parallel.threads(); // k: several blocks at either float32 depth
        float[] x = Ref.randomArray(21, m * k), w = Ref.randomArray(22, n * k), bias = Ref.randomArray(23, n);
        double[] ref = Ref.gemm(false, true, m, n, k, x, 0, k, w, 0, k);
        float[] exp = new float[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) exp[i * n + j] = (float) Math.max(0, ref[i * n + j] + bias[j]);
        PackedWeights pw = Gemm.pack(w, 0, n, k);
        int md = 100, nd = 1500, kd = 450; // several k blocks of GemmTuning.KC64
        double[] ad = new double[md * kd], bd = new double[kd * nd], expd = new double[md * nd];
        for (int i = 0; i < ad.length; i++) ad[i] = x[i] - 0.25;
        for (int i = 0; i < bd.length; i++) bd[i] = w[i] * 0.5;
        for (int i = 0; i < md; i++) for (int j = 0; j < nd; j++) {
            double sum = 0;
            for (int p = 0; p < kd; p++) sum += ad[i * kd + p] * bd[p * nd + j];
            expd[i * nd + j] = sum;
        }
        float[][] plain = new float[2][];
        try {
            for (int t = 1; t <= 2; t++) {
                Parallel.setThreads(t);
                float[] c = new float[m * n], cp = new float[m * n];
                Arrays.fill(c, Float.NaN);
                Arrays.fill(cp, Float.NaN);
                Gemm.linear(x, 0, m, n, k, w, 0, bias, Epilogue.BIAS_RELU, c, 0);
                Gemm.linear(x, 0, m, pw, bias, Epilogue.BIAS_RELU, cp, 0);
                Ref.assertClose(exp, c, 1e-5, "plain 150x4500x600 on " + t + " thread(s)");
                Ref.assertClose(exp, cp, 1e-5, "pre-packed 150x4500x600 on " + t + " thread(s)");
                plain[t - 1] = c;
                double[] cd = new double[md * nd];
                Arrays.fill(cd, Double.NaN);
                Gemm.dgemm(false, false, md, nd, kd, 1.0, ad, 0, kd, bd, 0, nd, 0.0, cd, 0, nd);
                for (int i = 0; i < cd.length; i++) {
                    assertEquals(expd[i], cd[i], 1e-12 * Math.max(1, Math.abs(expd[i])), "dgemm 100x1500x450 on " + t + " thread(s), element " + i);
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
        assertArrayEquals(plain[0], plain[1], "one and two threads compute each element the same way");
    }

    @Test void linearEpiloguesPackedAndUnpacked() {
        long seed = 50;
        for (int m : MS) {
            for (int[] nk : NK) {
                int n = nk[0], k = nk[1];
                float[] x = Ref.randomArray(seed++, 1 + m * k), w = Ref.randomArray(seed++, 2 + n * k), bias = Ref.randomArray(seed++, n);
                double[] ref = Ref.gemm(false, true, m, n, k, x, 1, k, w, 2, k);
                PackedWeights pw = Gemm.pack(w, 2, n, k);
                assertEquals(n, pw.n());
                assertEquals(k, pw.k());
                for (Epilogue ep : Epilogue.values()) {
                    float[] exp = new float[m * n];
                    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                        double v = ref[i * n + j] + (ep.hasBias() ? bias[j] : 0);
                        exp[i * n + j] = (float) activation(ep, v);
                    }
                    float[] c1 = new float[m * n + 4], c2 = new float[m * n + 4];
                    Arrays.fill(c1, Float.NaN);
                    Gemm.linear(x, 1, m, pw, ep.hasBias() ? bias : null, ep, c1, 4);
                    Gemm.linear(x, 1, m, n, k, w, 2, ep.hasBias() ? bias : null, ep, c2, 4);
                    String what = ep + " m=" + m + " n=" + n + " k=" + k;
                    Ref.assertClose(exp, Arrays.copyOfRange(c1, 4, c1.length), 1e-5, "packed " + what);
                    Ref.assertClose(exp, Arrays.copyOfRange(c2, 4, c2.length), 1e-5, "unpacked " + what);
                }
            }
        }
    }

    /**
     * A packed B larger than the buffer kept for it is done in pieces (column blocks when op(B) is at least as wide as it
     * is deep, else k blocks added into C): every transpose, alpha and beta, every epilogue applied once at the end, on
     * a threshold small enough that shapes of a few hundred split into several pieces of both kinds.
     */
    @Test void productsLargerThanTheKeptPackingBufferRunInPieces() {
        int[][] shapes = {{100, 150, 70}, {97, 70, 150}, {129, 1000, 3}, {130, 3, 1000}, {200, 301, 301}};
        long seed = 900;
        for (int[] sh : shapes) {
            int m = sh[0], n = sh[1], k = sh[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
                float[] a = Ref.randomArray(seed++, 1 + (ta ? k : m) * lda), b = Ref.randomArray(seed++, 2 + (tb ? n : k) * ldb);
                float[] bias = Ref.randomArray(seed++, n), c0 = Ref.randomArray(seed++, 3 + m * ldc);
                double[] ref = Ref.gemm(ta, tb, m, n, k, a, 1, lda, b, 2, ldb);
                for (Epilogue ep : new Epilogue[] {Epilogue.NONE, Epilogue.BIAS_RELU, Epilogue.TANH}) {
                    float alpha = 0.5f, beta = ep == Epilogue.NONE ? -0.75f : 0.25f;
                    float[] exp = c0.clone(), c = c0.clone();
                    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                        int idx = 3 + i * ldc + j;
                        exp[idx] = (float) activation(ep, alpha * ref[i * n + j] + beta * c0[idx] + (ep.hasBias() ? bias[j] : 0));
                    }
                    Gemm.sgemm(ta, tb, m, n, k, alpha, a, 1, lda, b, 2, ldb, beta, c, 3, ldc, ep.hasBias() ? bias : null, ep, 48 * 48);
                    Ref.assertClose(exp, c, 1e-5, String.format("in pieces: %s ta=%b tb=%b m=%d n=%d k=%d", ep, ta, tb, m, n, k));
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(false, false, 100, 100, 100, 1f, new float[10000], 0, 100,
                new float[10000], 0, 100, 0f, new float[10000], 0, 100, null, Epilogue.NONE, 100));
    }

    private static double activation(Epilogue ep, double v) {
        return switch (ep) {
            case NONE, BIAS -> v;
            case RELU, BIAS_RELU -> Math.max(0, v);
            case GELU, BIAS_GELU -> 0.5 * v * (1 + Ref.erf(v / Math.sqrt(2)));
            case SIGMOID, BIAS_SIGMOID -> 1 / (1 + Math.exp(-v));
            case TANH, BIAS_TANH -> Math.tanh(v);
        };
    }

    @Test void badArgumentsAreRejectedClearly() {
        float[] small = new float[5];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 3, 1f, small, 0, 3, new float[6], 0, 2, 0f, new float[4], 0, 2));
        assertTrue(e.getMessage().contains("A") && e.getMessage().contains("needs 6"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 3, 1f, new float[6], 0, 2, new float[6], 0, 2, 0f, new float[4], 0, 2));
        assertTrue(e.getMessage().contains("leading dimension"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.linear(new float[4], 0, 2, 2, 2, new float[4], 0, null, Epilogue.BIAS_RELU, new float[4], 0));
        assertTrue(e.getMessage().contains("bias"), e.getMessage());
    }
}
