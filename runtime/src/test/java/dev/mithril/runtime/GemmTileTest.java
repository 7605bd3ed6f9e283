package dev.mithril.runtime;

import static dev.mithril.runtime.GemmShapesTest.assertClose;
import static dev.mithril.runtime.GemmShapesTest.toDouble;

import org.junit.jupiter.api.Test;

/**
 * The paths of {@link GemmKernel#tile} that write C directly from the accumulators: alpha 1 with beta 0, 1 or
 * another value (the first k block then goes through the tile buffer, later ones accumulate in place), k spanning
 * several k blocks, whole 8-row tiles next to row tails, and edge panels one or two vectors wide, full or partial
 * (n = 3V + V, 3V + 2V, 3V + V + 3, ...), with bias, residual, accumulation and activation on the last k block;
 * the float64 kernel's whole tiles likewise.
 */
class GemmTileTest {
    private static final int V = GemmKernel.V, NR = GemmKernel.NR, KC = GemmTuning.KC;
    private static final int[] MS = {8, 16, 21, 64};
    private static final int[] NS = {NR, NR + V, NR + 2 * V, 2 * NR + V + 3, 2 * NR + 2 * V - 1, V};
    private static final int[] KS = {1, KC + 1, 2 * KC + 37};

    @Test void plainSumsOverSeveralKBlocks() {
        long seed = 900;
        for (int m : MS) for (int n : NS) for (int k : KS) {
            float[] a = Ref.randomArray(seed++, m * k), b = Ref.randomArray(seed++, k * n), c0 = Ref.randomArray(seed++, m * n);
            double[] ref = Ref.gemm(false, false, m, n, k, a, 0, k, b, 0, n);
            for (float beta : new float[] {0f, 1f, -0.5f}) {
                float[] c = c0.clone();
                Gemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, beta, c, 0, n);
                double[] exp = new double[m * n];
                for (int i = 0; i < m * n; i++) exp[i] = ref[i] + beta * c0[i];
                assertClose(exp, toDouble(c), 1e-5, "sgemm " + m + "x" + n + "x" + k + " beta " + beta);
            }
        }
    }

    @Test void epilogueResidualAndAccumulateOnDirectTiles() {
        long seed = 1900;
        for (int m : MS) for (int n : NS) for (int k : KS) {
            float[] x = Ref.randomArray(seed++, m * k), w = Ref.randomArray(seed++, n * k), bias = Ref.randomArray(seed++, n);
            float[] res = Ref.randomArray(seed++, m * n), c0 = Ref.randomArray(seed++, m * n);
            PackedWeights pw = Gemm.pack(w, 0, n, k);
            double[] ref = Ref.gemm(false, true, m, n, k, x, 0, k, w, 0, k);
            for (boolean accumulate : new boolean[] {false, true}) {
                float[] c = c0.clone();
                Gemm.linear(x, 0, m, pw, bias, Epilogue.BIAS_TANH, res, 0, accumulate, c, 0);
                double[] exp = new double[m * n];
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        int idx = i * n + j;
                        exp[idx] = Math.tanh(ref[idx] + bias[j] + res[idx] + (accumulate ? c0[idx] : 0));
                    }
                }
                assertClose(exp, toDouble(c), 2e-5, "linear " + m + "x" + n + "x" + k + " accumulate " + accumulate);
            }
        }
    }

    @Test void float64DirectTilesAndEpilogue() {
        int nr = GemmKernel64.NR;
        long seed = 2900;
        for (int m : MS) for (int n : new int[] {nr, 2 * nr + 5, 3 * nr}) for (int k : KS) {
            double[] a = GemmShapesTest.random(seed++, m * k), b = GemmShapesTest.random(seed++, k * n), c0 = GemmShapesTest.random(seed++, m * n);
            double[] w = GemmShapesTest.random(seed++, n * k), bias = GemmShapesTest.random(seed++, n), res = GemmShapesTest.random(seed++, m * n);
            double[] ab = new double[m * n], aw = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0, t = 0;
                    for (int p = 0; p < k; p++) {
                        s += a[i * k + p] * b[p * n + j];
                        t += a[i * k + p] * w[j * k + p];
                    }
                    ab[i * n + j] = s;
                    aw[i * n + j] = t;
                }
            }
            for (double beta : new double[] {0, 1, -0.5}) {
                double[] c = c0.clone(), exp = new double[m * n];
                Gemm.dgemm(false, false, m, n, k, 1.0, a, 0, k, b, 0, n, beta, c, 0, n);
                for (int i = 0; i < m * n; i++) exp[i] = ab[i] + beta * c0[i];
                assertClose(exp, c, 1e-12, "dgemm " + m + "x" + n + "x" + k + " beta " + beta);
            }
            PackedWeights pw = Gemm.pack(w, 0, n, k);
            for (boolean accumulate : new boolean[] {false, true}) {
                double[] c = c0.clone(), exp = new double[m * n];
                Gemm.linear(a, 0, m, pw, bias, Epilogue.BIAS_TANH, res, 0, accumulate, c, 0);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        int idx = i * n + j;
                        exp[idx] = Math.tanh(aw[idx] + bias[j] + res[idx] + (accumulate ? c0[idx] : 0));
                    }
                }
                assertClose(exp, c, 1e-12, "float64 linear " + m + "x" + n + "x" + k + " accumulate " + accumulate);
            }
        }
    }
}
