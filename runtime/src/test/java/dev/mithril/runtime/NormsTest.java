package dev.mithril.runtime;

import static dev.mithril.runtime.NumericCheck.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NormsTest {
    private static final int[][] BN_SHAPES = {{2, 3, 5, 7}, {1, 4, 3, 3}, {5, 2}, {3, 17, 1, 1}, {2, 1, 33, 2}};

    /** Per-channel mean and biased variance of x [N, C, inner...] in double. */
    private static double[][] channelStats(double[] x, int[] s) {
        int n = s[0], c = s[1], inner = x.length / (n * c);
        double[] mean = new double[c], var = new double[c];
        for (int ch = 0; ch < c; ch++) {
            for (int b = 0; b < n; b++) for (int i = 0; i < inner; i++) mean[ch] += x[(b * c + ch) * inner + i];
            mean[ch] /= n * inner;
            for (int b = 0; b < n; b++) for (int i = 0; i < inner; i++) var[ch] += Math.pow(x[(b * c + ch) * inner + i] - mean[ch], 2);
            var[ch] /= n * inner;
        }
        return new double[][] {mean, var};
    }

    private static double[] bnApply(double[] x, int[] s, double[] mean, double[] var, double[] w, double[] bias, double eps) {
        int n = s[0], c = s[1], inner = x.length / (n * c);
        double[] y = new double[x.length];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < inner; i++) {
                    int p = (b * c + ch) * inner + i;
                    y[p] = (x[p] - mean[ch]) / Math.sqrt(var[ch] + eps) * w[ch] + bias[ch];
                }
        return y;
    }

    @ParameterizedTest @EnumSource(value = DType.class, names = {"F32", "F64"})
    void batchNormTrainingMatchesReferenceAndUpdatesRunningStatsLikePyTorch(DType dt) {
        long seed = 1;
        for (int[] s : BN_SHAPES) {
            int c = s[1], count = Ref.size(s) / c;
            String what = dt + " " + Arrays.toString(s);
            Tensor x = randn(dt, seed++, s), w = randn(dt, seed++, c), b = randn(dt, seed++, c);
            double[] rm0 = values(randn(dt, seed++, c)), rv0 = values(randn(dt, seed++, c));
            for (int i = 0; i < c; i++) rv0[i] = Math.abs(rv0[i]) + 0.5;
            Tensor rm = of(dt, rm0, c), rv = of(dt, rv0, c);
            Norms.Result r = Norms.batchNormTraining(x, w, b, rm, rv, 0.1, 1e-5);
            double[][] st = channelStats(values(x), s);
            assertClose(bnApply(values(x), s, st[0], st[1], values(w), values(b), 1e-5), r.out(), tol(dt, 1e-5), what + " out");
            assertClose(st[0], r.mean(), tol(dt, 1e-6), what + " mean");
            double[] inv = new double[c], erm = new double[c], erv = new double[c];
            for (int i = 0; i < c; i++) {
                inv[i] = 1 / Math.sqrt(st[1][i] + 1e-5);
                // torch.nn.functional.batch_norm: running = (1 - momentum) * running + momentum * stat, var unbiased.
                erm[i] = 0.9 * rm0[i] + 0.1 * st[0][i];
                erv[i] = 0.9 * rv0[i] + 0.1 * st[1][i] * count / (count - 1);
            }
            assertClose(inv, r.invStd(), tol(dt, 1e-5), what + " invStd");
            assertClose(erm, rm, tol(dt, 1e-6), what + " running mean");
            assertClose(erv, rv, tol(dt, 1e-6), what + " running var");
            // Inference on the updated running statistics.
            Tensor y = Norms.batchNormInference(x, rm, rv, w, b, 1e-5);
            assertClose(bnApply(values(x), s, erm, erv, values(w), values(b), 1e-5), y, tol(dt, 1e-5), what + " inference");
        }
    }

    @Test void runningStatsMatchNumbersFromPyTorch() {
        // torch 1.13: bn = nn.BatchNorm1d(1); bn(torch.tensor([[1.], [2.], [4.]])) leaves
        // running_mean = 0.2333333, running_var = 0.9 + 0.1 * 2.3333333 = 1.1333333 (unbiased var of 1, 2, 4).
        Tensor rm = Tensor.zeros(1), rv = Tensor.of(new float[] {1f}, 1);
        Norms.batchNormTraining(Tensor.of(new float[] {1, 2, 4}, 3, 1), null, null, rm, rv, Norms.DEFAULT_MOMENTUM, Norms.DEFAULT_EPS);
        assertEquals(0.2333333, rm.get(0), 1e-6);
        assertEquals(1.1333333, rv.get(0), 1e-6);
    }

    /** Reference backward of training batch norm (autograd through mean and variance, written out). */
    private static double[][] bnBackward(double[] dy, double[] x, int[] s, double[] w) {
        int n = s[0], c = s[1], inner = x.length / (n * c), m = n * inner;
        double[][] st = channelStats(x, s);
        double[] dx = new double[x.length], dw = new double[c], db = new double[c];
        for (int ch = 0; ch < c; ch++) {
            double inv = 1 / Math.sqrt(st[1][ch] + 1e-5);
            double sumDxhat = 0, sumDxhatXhat = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++) {
                    int p = (b * c + ch) * inner + i;
                    double xhat = (x[p] - st[0][ch]) * inv;
                    db[ch] += dy[p];
                    dw[ch] += dy[p] * xhat;
                    sumDxhat += dy[p] * w[ch];
                    sumDxhatXhat += dy[p] * w[ch] * xhat;
                }
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++) {
                    int p = (b * c + ch) * inner + i;
                    double xhat = (x[p] - st[0][ch]) * inv;
                    dx[p] = inv / m * (m * dy[p] * w[ch] - sumDxhat - xhat * sumDxhatXhat);
                }
        }
        return new double[][] {dx, dw, db};
    }

    @ParameterizedTest @EnumSource(value = DType.class, names = {"F32", "F64"})
    void batchNormBackwardMatchesReference(DType dt) {
        long seed = 50;
        for (int[] s : BN_SHAPES) {
            int c = s[1];
            String what = dt + " " + Arrays.toString(s);
            Tensor x = randn(dt, seed++, s), w = randn(dt, seed++, c), b = randn(dt, seed++, c), dy = randn(dt, seed++, s);
            Norms.Result r = Norms.batchNormTraining(x, w, b, null, null, 0.1, 1e-5);
            Norms.Grads g = Norms.batchNormBackward(dy, x, w, r.mean(), r.invStd());
            double[][] e = bnBackward(values(dy), values(x), s, values(w));
            assertClose(e[0], g.dx(), tol(dt, 1e-4), what + " dx");
            assertClose(e[1], g.dWeight(), tol(dt, 1e-4), what + " dWeight");
            assertClose(e[2], g.dBias(), tol(dt, 1e-4), what + " dBias");
        }
    }

    @Test void batchNormGradientsMatchFiniteDifferences() {
        int[] s = {3, 2, 2, 3};
        Tensor x = randn(DType.F64, 1, s), w = randn(DType.F64, 2, 2), b = randn(DType.F64, 3, 2), dy = randn(DType.F64, 4, s);
        Norms.Result r = Norms.batchNormTraining(x, w, b, null, null, 0.1, 1e-5);
        Norms.Grads g = Norms.batchNormBackward(dy, x, w, r.mean(), r.invStd());
        java.util.function.DoubleSupplier loss = () -> weighted(Norms.batchNormTraining(x, w, b, null, null, 0.1, 1e-5).out(), dy);
        assertClose(numericGrad(x, loss), g.dx(), 1e-6, "dx");
        assertClose(numericGrad(w, loss), g.dWeight(), 1e-6, "dWeight");
        assertClose(numericGrad(b, loss), g.dBias(), 1e-6, "dBias");
        Norms.Grads plain = Norms.batchNormBackward(dy, x, null, r.mean(), r.invStd());
        assertNull(plain.dWeight());
        Tensor xd = x;
        assertClose(numericGrad(xd, () -> weighted(Norms.batchNormTraining(xd, null, null, null, null, 0.1, 1e-5).out(), dy)),
                plain.dx(), 1e-6, "dx without affine");
    }

    private static double[][] lnReference(double[] x, int d, double[] w, double[] bias, double[] dy) {
        int rows = x.length / d;
        double[] y = new double[x.length], mean = new double[rows], rstd = new double[rows], dx = new double[x.length];
        double[] dw = new double[d], db = new double[d];
        for (int r = 0; r < rows; r++) {
            double m = 0, v = 0;
            for (int i = 0; i < d; i++) m += x[r * d + i];
            m /= d;
            for (int i = 0; i < d; i++) v += Math.pow(x[r * d + i] - m, 2);
            double inv = 1 / Math.sqrt(v / d + 1e-5);
            mean[r] = m;
            rstd[r] = inv;
            double sg = 0, sgx = 0;
            for (int i = 0; i < d; i++) {
                double xhat = (x[r * d + i] - m) * inv;
                y[r * d + i] = xhat * w[i] + bias[i];
                double g = dy[r * d + i] * w[i];
                sg += g;
                sgx += g * xhat;
                dw[i] += dy[r * d + i] * xhat;
                db[i] += dy[r * d + i];
            }
            for (int i = 0; i < d; i++) {
                double xhat = (x[r * d + i] - m) * inv;
                dx[r * d + i] = inv * (dy[r * d + i] * w[i] - sg / d - xhat * sgx / d);
            }
        }
        return new double[][] {y, mean, rstd, dx, dw, db};
    }

    @ParameterizedTest @EnumSource(value = DType.class, names = {"F32", "F64"})
    void layerNormForwardAndBackwardMatchReference(DType dt) {
        int[][][] cases = {{{2, 7, 33}, {33}}, {{1, 1}, {1}}, {{3, 5, 130}, {130}}, {{4, 2, 8}, {2, 8}}, {{13, 512}, {512}}};
        long seed = 200;
        for (int[][] cs : cases) {
            int[] s = cs[0], ns = cs[1];
            int d = Ref.size(ns);
            String what = dt + " " + Arrays.toString(s) + " over " + Arrays.toString(ns);
            Tensor x = randn(dt, seed++, s), w = randn(dt, seed++, ns), b = randn(dt, seed++, ns), dy = randn(dt, seed++, s);
            double[][] e = lnReference(values(x), d, values(w), values(b), values(dy));
            Norms.Result r = Norms.layerNorm(x, ns, w, b, 1e-5);
            assertClose(e[0], r.out(), tol(dt, 1e-5), what + " out");
            assertClose(e[1], r.mean(), tol(dt, 1e-6), what + " mean");
            assertClose(e[2], r.invStd(), tol(dt, 1e-4), what + " rstd");
            Ref.assertShape(Arrays.copyOf(s, s.length - ns.length), r.mean());
            Norms.Grads g = Norms.layerNormBackward(dy, x, ns, w, r.mean(), r.invStd());
            assertClose(e[3], g.dx(), tol(dt, 1e-4), what + " dx");
            assertClose(e[4], g.dWeight(), tol(dt, 1e-4), what + " dWeight");
            assertClose(e[5], g.dBias(), tol(dt, 1e-4), what + " dBias");
            Ref.assertShape(ns, g.dWeight());
            if (ns.length == 1) assertClose(e[0], Norms.layerNorm(x, w, b), tol(dt, 1e-5), what + " default eps");
        }
    }

    @Test void layerNormGradientsMatchFiniteDifferences() {
        int[] s = {3, 6};
        int[] ns = {6};
        Tensor x = randn(DType.F64, 1, s), w = randn(DType.F64, 2, ns), b = randn(DType.F64, 3, ns), dy = randn(DType.F64, 4, s);
        Norms.Result r = Norms.layerNorm(x, ns, w, b, 1e-5);
        Norms.Grads g = Norms.layerNormBackward(dy, x, ns, w, r.mean(), r.invStd());
        java.util.function.DoubleSupplier loss = () -> weighted(Norms.layerNorm(x, ns, w, b, 1e-5).out(), dy);
        assertClose(numericGrad(x, loss), g.dx(), 1e-6, "dx");
        assertClose(numericGrad(w, loss), g.dWeight(), 1e-6, "dWeight");
        assertClose(numericGrad(b, loss), g.dBias(), 1e-6, "dBias");
        Norms.Grads plain = Norms.layerNormBackward(dy, x, ns, null, r.mean(), r.invStd());
        assertClose(numericGrad(x, () -> weighted(Norms.layerNorm(x, ns, null, null, 1e-5).out(), dy)), plain.dx(), 1e-6, "dx without affine");
    }

    @Test void badInputsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Norms.batchNormTraining(Tensor.zeros(1, 3), null, null, null, null, 0.1, 1e-5));
        assertTrue(e.getMessage().contains("more than 1 value per channel"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Norms.batchNormTraining(Tensor.zeros(2, 3, 4, 4), Tensor.zeros(4), null, null, null, 0.1, 1e-5));
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("[3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Norms.batchNormInference(Tensor.zeros(3), Tensor.zeros(3), Tensor.zeros(3), null, null, 1e-5));
        assertTrue(e.getMessage().contains("[N, C, ...]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Norms.layerNorm(Tensor.zeros(2, 5), new int[] {4}, null, null, 1e-5));
        assertTrue(e.getMessage().contains("[4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Norms.layerNorm(Tensor.zeros(2, 5), Tensor.zeros(DType.F64, 5), null));
        assertTrue(e.getMessage().contains("weight"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Norms.batchNormTraining(Tensor.zeros(DType.I64, 2, 2), null, null, null, null, 0.1, 1e-5));
    }
}
