package dev.mithril.runtime;

import static dev.mithril.runtime.GemmShapesTest.assertClose;
import static dev.mithril.runtime.GemmShapesTest.random;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * Packing of B and the products that pack it as they go ({@code GemmBlocks.runPackingB}), float64 and float32. Whole
 * transposed panels go through 8 x 8 register transposes in float64 ({@code GemmPacking.transpose8}) and gathers in
 * float32, partial ones and untransposed B element by element. A product with one row block packs each k block of
 * each panel into a small buffer just before its tiles; one with several packs into the whole buffer on the first
 * row block. Checked against the layout's definition and a plain double loop.
 */
class GemmPackingTest {
    private static final int NR64 = GemmKernel64.NR, NR32 = GemmKernel.NR;

    /** The packed layout by definition: row q of panel j holds op(B)[q][j*nr + c], zero past column n. */
    private static double[] expectedPacking(boolean transB, int k, int n, double[] b, int bOff, int ldb, int nr) {
        double[] p = new double[GemmPacking.packedSize(k, n, nr)];
        for (int j = 0; j < GemmPacking.panels(n, nr); j++) {
            for (int q = 0; q < k; q++) {
                for (int c = 0; c < nr; c++) {
                    int col = j * nr + c;
                    p[j * k * nr + q * nr + c] = col >= n ? 0.0 : transB ? b[bOff + col * ldb + q] : b[bOff + q * ldb + col];
                }
            }
        }
        return p;
    }

    @Test void float64PanelsMatchTheirDefinition() {
        long seed = 900;
        for (boolean transB : new boolean[] {false, true}) {
            for (int k : new int[] {1, 7, 8, 9, 64, 131}) {
                for (int n : new int[] {1, 23, 24, 25, 48, 71}) {
                    int ldb = (transB ? k : n) + 5, bOff = 3;
                    double[] b = random(seed++, bOff + (transB ? n : k) * ldb);
                    double[] exp = expectedPacking(transB, k, n, b, bOff, ldb, NR64);
                    String what = "transB=" + transB + " k=" + k + " n=" + n;
                    double[] p = new double[exp.length];
                    java.util.Arrays.fill(p, Double.NaN); // the padding must be written, not assumed
                    GemmPacking.packB(transB, k, n, b, bOff, ldb, p);
                    assertArrayEquals(exp, p, what);

                    // the same panels k block by k block, in place and at the start of a slice buffer
                    int kb = Math.max(1, k / 3 + 1);
                    double[] pieces = new double[exp.length], slice = new double[kb * NR64];
                    for (int j = 0; j < GemmPacking.panels(n, NR64); j++) {
                        for (int q0 = 0; q0 < k; q0 += kb) {
                            int q1 = Math.min(k, q0 + kb);
                            GemmPacking.packB(transB, k, n, b, bOff, ldb, pieces, j, q0, q1);
                            java.util.Arrays.fill(slice, Double.NaN);
                            GemmPacking.packSlice(transB, q1 - q0, n, b, bOff + (transB ? q0 : q0 * ldb), ldb, slice, j);
                            for (int q = q0; q < q1; q++) {
                                for (int c = 0; c < NR64; c++) {
                                    assertEquals(exp[j * k * NR64 + q * NR64 + c], slice[(q - q0) * NR64 + c],
                                            what + " slice of panel " + j + " row " + q + " column " + c);
                                }
                            }
                        }
                    }
                    assertArrayEquals(exp, pieces, what + " in k blocks");
                }
            }
        }
    }

    /**
     * Products past the dot path's 32 rows that fit one row block (slices packed per k block) and that need several
     * (the whole buffer packed on the first), several k blocks deep and several panels wide, with offsets, leading
     * dimensions, beta and a bias epilogue, on 1 and 2 threads (each thread packs the panels it computes).
     */
    @Test void float64ProductsThatPackAsTheyGo() {
        int before = Parallel.threads();
        long seed = 950;
        try {
            for (int[] mn : new int[][] {{33, 77}, {50, 77}, {300, 77}, {300, 20}}) { // 20 columns: one panel, rows split
                int m = mn[0], n = mn[1], k = 450;
                assertTrue(k > 2 * GemmTuning.KC64 && 300 > GemmTuning.MC_ROWS, "several k blocks; 300 rows, several row blocks");
                for (boolean transB : new boolean[] {false, true}) {
                    int lda = k + 1, ldb = (transB ? k : n) + 2, ldc = n + 3, aOff = 2, bOff = 5, cOff = 1;
                    double[] a = random(seed++, aOff + m * lda), b = random(seed++, bOff + (transB ? n : k) * ldb);
                    double[] c0 = random(seed++, cOff + m * ldc), bias = random(seed++, n);
                    double[] exp = c0.clone();
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int p = 0; p < k; p++) s += a[aOff + i * lda + p] * b[bOff + (transB ? j * ldb + p : p * ldb + j)];
                            exp[cOff + i * ldc + j] = Math.max(0, 0.5 * s - 0.25 * c0[cOff + i * ldc + j] + bias[j]);
                        }
                    }
                    double[][] got = new double[2][];
                    for (int t = 1; t <= 2; t++) {
                        Parallel.setThreads(t);
                        double[] c = c0.clone();
                        Gemm.dgemm(false, transB, m, n, k, 0.5, a, aOff, lda, b, bOff, ldb, -0.25, c, cOff, ldc, bias, Epilogue.BIAS_RELU);
                        assertClose(exp, c, 1e-12, "dgemm m=" + m + " transB=" + transB + " on " + t + " thread(s)");
                        got[t - 1] = c;
                    }
                    assertArrayEquals(got[0], got[1], "the same bits on 1 and 2 threads, m=" + m + " transB=" + transB);
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /**
     * A blocks as slivers by definition: column q of sliver s holds op(A)[i0 + s*MR + r][p0 + q], zero past row i0 + mc.
     * Row-major float32 slivers of whole MR rows go through 8 x 16 register transposes (16 k steps at a time, the rest
     * element by element); every element of the block must be written, which the NaN fill checks.
     */
    @Test void float32AndFloat64SliversMatchTheirDefinition() {
        int mr = GemmKernel.MR;
        long seed = 2100;
        for (boolean transA : new boolean[] {false, true}) {
            for (int mc : new int[] {1, mr - 1, mr, mr + 3, 4 * mr}) {
                for (int kc : new int[] {1, 15, 16, 17, 33, 64, 131}) {
                    int i0 = 5, p0 = 3, rows = i0 + mc + 2, cols = p0 + kc + 4;
                    int lda = (transA ? rows : cols) + 3, aOff = 7;
                    double[] a = random(seed++, aOff + (transA ? cols : rows) * lda);
                    int slivers = (mc + mr - 1) / mr;
                    double[] exp = new double[slivers * kc * mr];
                    for (int sv = 0; sv < slivers; sv++) {
                        for (int q = 0; q < kc; q++) {
                            for (int r = 0; r < mr; r++) {
                                int i = i0 + sv * mr + r, p = p0 + q;
                                exp[sv * kc * mr + q * mr + r] = sv * mr + r >= mc ? 0.0 : transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                            }
                        }
                    }
                    assertSlivers(transA, a, aOff, lda, i0, mc, p0, kc, exp, "transA=" + transA + " mc=" + mc + " kc=" + kc);
                }
            }
        }
    }

    /**
     * Transposed A whose block ends the array (the last rows of op(A), the last k steps, no padding after them): the
     * copies that move more floats per k step than a sliver has rows must not read past A nor write past the block.
     */
    @Test void transposedSliversThatEndTheArray() {
        int mr = GemmKernel.MR;
        long seed = 2300;
        for (int mc : new int[] {mr, 2 * mr, 2 * mr + 1}) {
            for (int kc : new int[] {1, 2, 5, 17}) {
                int m = mc + 4, k = kc + 3, i0 = m - mc, p0 = k - kc, lda = m, aOff = 2;
                double[] a = random(seed++, aOff + k * lda); // stored k x m, nothing after its last element
                int slivers = (mc + mr - 1) / mr;
                double[] exp = new double[slivers * kc * mr];
                for (int sv = 0; sv < slivers; sv++) {
                    for (int q = 0; q < kc; q++) {
                        for (int r = 0; r < mr; r++) {
                            int i = i0 + sv * mr + r;
                            exp[sv * kc * mr + q * mr + r] = sv * mr + r >= mc ? 0.0 : a[aOff + (p0 + q) * lda + i];
                        }
                    }
                }
                assertSlivers(true, a, aOff, lda, i0, mc, p0, kc, exp, "mc=" + mc + " kc=" + kc);
            }
        }
    }

    /** The block packed in float32 and in float64 into destinations of exactly its size, filled with NaN first. */
    private static void assertSlivers(boolean transA, double[] a, int aOff, int lda, int i0, int mc, int p0, int kc, double[] exp,
                                      String what) {
        float[] a32 = GemmShapesTest.toFloat(a), d32 = new float[exp.length];
        java.util.Arrays.fill(d32, Float.NaN);
        GemmPacking.packA(transA, a32, aOff, lda, i0, mc, p0, kc, d32);
        assertArrayEquals(GemmShapesTest.toDouble(GemmShapesTest.toFloat(exp)), GemmShapesTest.toDouble(d32), "float32 " + what);
        double[] d64 = new double[exp.length];
        java.util.Arrays.fill(d64, Double.NaN);
        GemmPacking.packA(transA, a, aOff, lda, i0, mc, p0, kc, d64);
        assertArrayEquals(exp, d64, "float64 " + what);
    }

    @Test void float32PanelsMatchTheirDefinition() {
        long seed = 1900;
        for (boolean transB : new boolean[] {false, true}) {
            for (int k : new int[] {1, 15, 16, 17, 131}) {
                for (int n : new int[] {1, 47, 48, 49, 96, 101}) {
                    int ldb = (transB ? k : n) + 5, bOff = 3;
                    float[] b = GemmShapesTest.toFloat(random(seed++, bOff + (transB ? n : k) * ldb));
                    double[] exp = expectedPacking(transB, k, n, GemmShapesTest.toDouble(b), bOff, ldb, NR32);
                    String what = "float32 transB=" + transB + " k=" + k + " n=" + n;
                    float[] p = new float[exp.length + 7];
                    java.util.Arrays.fill(p, Float.NaN);
                    GemmPacking.packB(transB, k, n, b, bOff, ldb, p, 7);
                    assertArrayEquals(exp, GemmShapesTest.toDouble(java.util.Arrays.copyOfRange(p, 7, p.length)), what);

                    int kb = Math.max(1, k / 3 + 1);
                    float[] pieces = new float[exp.length], slice = new float[5 + kb * NR32];
                    for (int j = 0; j < GemmPacking.panels(n, NR32); j++) {
                        for (int q0 = 0; q0 < k; q0 += kb) {
                            int q1 = Math.min(k, q0 + kb);
                            GemmPacking.packB(transB, k, n, b, bOff, ldb, pieces, 0, j, q0, q1);
                            java.util.Arrays.fill(slice, Float.NaN);
                            GemmPacking.packSlice(transB, q1 - q0, n, b, bOff + (transB ? q0 : q0 * ldb), ldb, slice, 5, j);
                            for (int q = q0; q < q1; q++) {
                                for (int c = 0; c < NR32; c++) {
                                    assertEquals(exp[j * k * NR32 + q * NR32 + c], slice[5 + (q - q0) * NR32 + c],
                                            what + " slice of panel " + j + " row " + q + " column " + c);
                                }
                            }
                        }
                    }
                    assertArrayEquals(exp, GemmShapesTest.toDouble(pieces), what + " in k blocks");
                }
            }
        }
    }

    /**
     * Float32 products on the packed path (past {@code GemmDot}'s 96 rows, or A transposed) with one row block and
     * with several, k past two of the deepest k blocks, on 1 and 2 threads: against a plain double loop, and the same
     * bits on both thread counts.
     */
    @Test void float32ProductsThatPackAsTheyGo() {
        int before = Parallel.threads();
        long seed = 1950;
        try {
            for (int[] mn : new int[][] {{40, 101}, {100, 101}, {300, 101}, {300, 40}}) { // 40 columns: one panel
                int m = mn[0], n = mn[1], k = 2 * Math.max(GemmTuning.KC, GemmTuning.KC_LINED) + 88;
                assertTrue(k > 2 * Math.max(GemmTuning.KC, GemmTuning.KC_LINED) && 300 > GemmTuning.MC_ROWS, "several k and row blocks");
                for (int t = 0; t < 4; t++) {
                    boolean transA = (t & 1) != 0, transB = (t & 2) != 0;
                    int lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 2, ldc = n + 3, aOff = 2, bOff = 5, cOff = 1;
                    double[] a = random(seed++, aOff + (transA ? k : m) * lda), b = random(seed++, bOff + (transB ? n : k) * ldb);
                    double[] c0 = random(seed++, cOff + m * ldc);
                    float[] af = GemmShapesTest.toFloat(a), bf = GemmShapesTest.toFloat(b);
                    double[] exp = c0.clone();
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int p = 0; p < k; p++) {
                                s += (double) af[aOff + (transA ? p * lda + i : i * lda + p)] * bf[bOff + (transB ? j * ldb + p : p * ldb + j)];
                            }
                            exp[cOff + i * ldc + j] = 0.5 * s - 0.25 * (float) c0[cOff + i * ldc + j];
                        }
                    }
                    float[][] got = new float[2][];
                    for (int threads = 1; threads <= 2; threads++) {
                        Parallel.setThreads(threads);
                        float[] c = GemmShapesTest.toFloat(c0);
                        Gemm.sgemm(transA, transB, m, n, k, 0.5f, af, aOff, lda, bf, bOff, ldb, -0.25f, c, cOff, ldc);
                        String what = "sgemm m=" + m + " transA=" + transA + " transB=" + transB + " on " + threads + " thread(s)";
                        assertClose(exp, GemmShapesTest.toDouble(c), 1e-5, what);
                        got[threads - 1] = c;
                    }
                    assertArrayEquals(got[0], got[1], "the same bits on 1 and 2 threads, m=" + m + " t=" + t);
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /**
     * Products that pack B as they go, split over threads in vectors of columns: each task packs its own columns into
     * panels of its own (the second of two tasks over 160 columns starts at column 80, inside the first's second
     * panel), with a bias and ReLU applied at the task's own columns. On 2 and 3 threads against a plain double loop,
     * and to the bit against one thread; again on a fresh thread whose packing buffer has no room for the tasks' own
     * panels, which splits by whole panels instead.
     */
    @Test void float32ProductsSplitByVectorsOfColumns() throws Exception {
        int before = Parallel.threads();
        long seed = 2300;
        try {
            for (int[] mn : new int[][] {{300, 160}, {100, 160}, {300, 203}, {260, 37 + 48 * 3}}) {
                int m = mn[0], n = mn[1], k = 300;
                boolean transB = n % 2 == 0;
                int lda = k + 1, ldb = (transB ? k : n) + 2, ldc = n + 3, aOff = 2, bOff = 5, cOff = 1;
                float[] af = GemmShapesTest.toFloat(random(seed++, aOff + m * lda));
                float[] bf = GemmShapesTest.toFloat(random(seed++, bOff + (transB ? n : k) * ldb));
                float[] bias = GemmShapesTest.toFloat(random(seed++, n));
                double[] exp = new double[cOff + m * ldc];
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double sum = 0;
                        for (int p = 0; p < k; p++) sum += (double) af[aOff + i * lda + p] * bf[bOff + (transB ? j * ldb + p : p * ldb + j)];
                        exp[cOff + i * ldc + j] = Math.max(0, sum + bias[j]);
                    }
                }
                float[] one = null;
                for (int threads = 1; threads <= 3; threads++) {
                    Parallel.setThreads(threads);
                    float[] c = new float[cOff + m * ldc];
                    Gemm.sgemm(false, transB, m, n, k, 1f, af, aOff, lda, bf, bOff, ldb, 0f, c, cOff, ldc, bias, Epilogue.BIAS_RELU);
                    String what = "m=" + m + " n=" + n + " transB=" + transB + " on " + threads + " thread(s)";
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double e = exp[cOff + i * ldc + j], g = c[cOff + i * ldc + j];
                            assertEquals(e, g, 1e-4 * (1 + Math.abs(e)), what + " at (" + i + ", " + j + ")");
                        }
                    }
                    if (threads == 1) one = c;
                    else assertArrayEquals(one, c, "the same bits as on one thread, " + what);
                    if (threads == 2) {
                        float[] fresh = new float[cOff + m * ldc];
                        int exact = GemmPacking.packedSize(k, n, GemmKernel.NR); // no room past it: whole panels
                        Thread th = new Thread(() -> Gemm.sgemm(false, transB, m, n, k, 1f, af, aOff, lda, bf, bOff, ldb, 0f,
                                fresh, cOff, ldc, bias, Epilogue.BIAS_RELU, exact));
                        th.start();
                        th.join();
                        assertArrayEquals(one, fresh, "split by whole panels on a fresh thread, " + what);
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }
}
