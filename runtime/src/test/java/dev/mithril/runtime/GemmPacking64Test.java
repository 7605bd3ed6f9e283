package dev.mithril.runtime;

import static dev.mithril.runtime.GemmShapesTest.assertClose;
import static dev.mithril.runtime.GemmShapesTest.random;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * Float64 packing of B and the products that pack it as they go: whole transposed panels go through 8 x 8 register
 * transposes ({@code GemmPacking.transpose8}), partial ones and untransposed B element by element; a product with one
 * row block packs each k block of each panel into a small buffer just before its tiles, one with several packs into
 * the whole buffer on the first row block. Checked against the layout's definition and a plain double loop.
 */
class GemmPacking64Test {
    private static final int NR = GemmKernel64.NR;

    /** The packed layout by definition: row q of panel j holds op(B)[q][j*NR + c], zero past column n. */
    private static double[] expectedPacking(boolean transB, int k, int n, double[] b, int bOff, int ldb) {
        double[] p = new double[GemmPacking.packedSize(k, n, NR)];
        for (int j = 0; j < GemmPacking.panels(n, NR); j++) {
            for (int q = 0; q < k; q++) {
                for (int c = 0; c < NR; c++) {
                    int col = j * NR + c;
                    p[j * k * NR + q * NR + c] = col >= n ? 0.0 : transB ? b[bOff + col * ldb + q] : b[bOff + q * ldb + col];
                }
            }
        }
        return p;
    }

    @Test void packedPanelsMatchTheirDefinition() {
        long seed = 900;
        for (boolean transB : new boolean[] {false, true}) {
            for (int k : new int[] {1, 7, 8, 9, 64, 131}) {
                for (int n : new int[] {1, 23, 24, 25, 48, 71}) {
                    int ldb = (transB ? k : n) + 5, bOff = 3;
                    double[] b = random(seed++, bOff + (transB ? n : k) * ldb);
                    double[] exp = expectedPacking(transB, k, n, b, bOff, ldb);
                    String what = "transB=" + transB + " k=" + k + " n=" + n;
                    double[] p = new double[exp.length];
                    java.util.Arrays.fill(p, Double.NaN); // the padding must be written, not assumed
                    GemmPacking.packB(transB, k, n, b, bOff, ldb, p);
                    assertArrayEquals(exp, p, what);

                    // the same panels k block by k block, in place and at the start of a slice buffer
                    int kb = Math.max(1, k / 3 + 1);
                    double[] pieces = new double[exp.length], slice = new double[kb * NR];
                    for (int j = 0; j < GemmPacking.panels(n, NR); j++) {
                        for (int q0 = 0; q0 < k; q0 += kb) {
                            int q1 = Math.min(k, q0 + kb);
                            GemmPacking.packB(transB, k, n, b, bOff, ldb, pieces, j, q0, q1);
                            java.util.Arrays.fill(slice, Double.NaN);
                            GemmPacking.packSlice(transB, q1 - q0, n, b, bOff + (transB ? q0 : q0 * ldb), ldb, slice, j);
                            for (int q = q0; q < q1; q++) {
                                for (int c = 0; c < NR; c++) {
                                    assertEquals(exp[j * k * NR + q * NR + c], slice[(q - q0) * NR + c],
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
    @Test void productsThatPackAsTheyGo() {
        int before = Parallel.threads();
        long seed = 950;
        try {
            for (int m : new int[] {33, 50, 300}) {
                int n = 77, k = 450;
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
}
