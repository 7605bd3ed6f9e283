package dev.mithril.runtime;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch normalization (channel axis 1, as {@code torch.nn.BatchNorm1d/2d}) and layer normalization over the
 * trailing dimensions (as {@code torch.nn.LayerNorm}), forward and backward, for F32 and F64 tensors.
 *
 * <p>Statistics are accumulated in double whatever the dtype, so F32 results do not drift with the number of
 * elements per channel. Every reduction runs in a fixed order (channels, rows or columns are split over
 * threads, never a sum), so results are the same on every run and thread count.
 *
 * <pre>{@code
 * Norms.BatchNormResult r = Norms.batchNormTraining(x, w, b, runningMean, runningVar, 0.1, 1e-5);
 * Norms.Grads g = Norms.batchNormBackward(dy, x, w, r.mean(), r.invStd());
 * Tensor y = Norms.layerNorm(h, lnWeight, lnBias);   // normalizes over lnWeight's shape, eps 1e-5
 * }</pre>
 */
public final class Norms {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final int GRAIN = 1 << 14;

    /** PyTorch's default {@code eps} for both norms. */
    public static final double DEFAULT_EPS = 1e-5;
    /** PyTorch's default batch-norm {@code momentum}. */
    public static final double DEFAULT_MOMENTUM = 0.1;

    private Norms() {}

    /** A normalization's output with the per-channel (batch norm) or per-row (layer norm) statistics backward needs. */
    public record Result(Tensor out, Tensor mean, Tensor invStd) {}

    /** Gradients of a normalization; {@code dWeight} and {@code dBias} are null when it had no weight/bias. */
    public record Grads(Tensor dx, Tensor dWeight, Tensor dBias) {}

    // ---------------------------------------------------------------- batch norm

    /**
     * Inference batch norm: {@code (x - runningMean) / sqrt(runningVar + eps) * weight + bias} per channel
     * (axis 1 of {@code x [N, C, ...]}). {@code weight} and {@code bias} may be null (no affine transform).
     */
    public static Tensor batchNormInference(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, double eps) {
        checkFloat("Norms.batchNormInference", "x", x);
        Tensor out = Tensor.zeros(x.dtype(), x.shape());
        batchNormInferenceInto(x, runningMean, runningVar, weight, bias, eps, out);
        return out;
    }

    /** As {@link #batchNormInference}, writing into {@code out} (shaped like {@code x}; may be {@code x} itself). */
    public static void batchNormInferenceInto(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, double eps, Tensor out) {
        String where = "Norms.batchNormInference";
        int c = checkBatchNorm(where, x, weight, bias);
        checkVector(where, "runningMean", runningMean, c, x.dtype(), false);
        checkVector(where, "runningVar", runningVar, c, x.dtype(), false);
        checkSame(where, "out", out, x);
        int n = x.dim(0), inner = x.size() / Math.max(1, n * c);
        double[] mean = Scratch.doubles(Scratch.MEAN, c), inv = Scratch.doubles(Scratch.INV, c);
        for (int ch = 0; ch < c; ch++) {
            mean[ch] = value(runningMean, ch);
            double var = value(runningVar, ch);
            if (var + eps <= 0 || Double.isNaN(var)) {
                throw new IllegalArgumentException(where + ": running variance " + var + " of channel " + ch + " plus eps " + eps + " is not positive");
            }
            inv[ch] = 1 / Math.sqrt(var + eps);
        }
        normalizeChannels(x, out, n, c, inner, mean, inv, weight, bias);
    }

    /**
     * Training batch norm: normalizes with the batch's own mean and biased variance per channel, returns them
     * (as mean and {@code 1 / sqrt(var + eps)}) for {@link #batchNormBackward}, and, when {@code runningMean}
     * and {@code runningVar} are given, updates them in place as PyTorch does:
     * {@code running = (1 - momentum) * running + momentum * batchStat}, with the unbiased variance
     * ({@code var * m / (m - 1)}, m = values per channel).
     *
     * @throws IllegalArgumentException when a channel has only one value (PyTorch refuses that too)
     */
    public static Result batchNormTraining(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                           double momentum, double eps) {
        int c = checkBatchNorm("Norms.batchNormTraining", x, weight, bias);
        Result r = new Result(Tensor.zeros(x.dtype(), x.shape()), Tensor.zeros(x.dtype(), c), Tensor.zeros(x.dtype(), c));
        batchNormTrainingInto(x, weight, bias, runningMean, runningVar, momentum, eps, r);
        return r;
    }

    /**
     * As {@link #batchNormTraining}, writing the output and the batch statistics into {@code into}'s tensors
     * ({@code out} shaped like {@code x}; {@code mean} and {@code invStd} of shape {@code [C]}, x's dtype).
     */
    public static void batchNormTrainingInto(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                             double momentum, double eps, Result into) {
        String where = "Norms.batchNormTraining";
        int c = checkBatchNorm(where, x, weight, bias);
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException(where + ": give both runningMean and runningVar, or neither");
        }
        if (runningMean != null) {
            checkVector(where, "runningMean", runningMean, c, x.dtype(), false);
            checkVector(where, "runningVar", runningVar, c, x.dtype(), false);
        }
        checkSame(where, "out", into.out(), x);
        checkVector(where, "mean", into.mean(), c, x.dtype(), false);
        checkVector(where, "invStd", into.invStd(), c, x.dtype(), false);
        int n = x.dim(0), inner = x.size() / Math.max(1, n * c);
        long count = (long) n * inner;
        if (count <= 1) {
            throw new IllegalArgumentException(where + ": expected more than 1 value per channel when training, got input "
                    + Tensor.shapeString(x.shape()));
        }
        double[] mean = Scratch.doubles(Scratch.MEAN, c), var = Scratch.doubles(Scratch.VAR, c), inv = Scratch.doubles(Scratch.INV, c);
        Parallel.forRange(c, Math.max(1, (int) (GRAIN / count)), (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double s = 0;
                for (int b = 0; b < n; b++) s += sum(x, (b * c + ch) * inner, inner);
                double m = s / count, q = 0;
                for (int b = 0; b < n; b++) q += sumSquaredDeviation(x, (b * c + ch) * inner, inner, m);
                mean[ch] = m;
                var[ch] = q / count;
            }
        });
        for (int ch = 0; ch < c; ch++) inv[ch] = 1 / Math.sqrt(var[ch] + eps);
        normalizeChannels(x, into.out(), n, c, inner, mean, inv, weight, bias);
        if (runningMean != null) {
            for (int ch = 0; ch < c; ch++) {
                setValue(runningMean, ch, (1 - momentum) * value(runningMean, ch) + momentum * mean[ch]);
                setValue(runningVar, ch, (1 - momentum) * value(runningVar, ch) + momentum * var[ch] * count / (count - 1));
            }
        }
        for (int ch = 0; ch < c; ch++) {
            setValue(into.mean(), ch, mean[ch]);
            setValue(into.invStd(), ch, inv[ch]);
        }
    }

    /**
     * Backward of training batch norm, from the {@code mean} and {@code invStd} that
     * {@link #batchNormTraining} returned: {@code dx = weight * invStd / m * (m * dy - sum(dy) - xhat * sum(dy * xhat))},
     * {@code dWeight = sum(dy * xhat)}, {@code dBias = sum(dy)} per channel (both null without weight).
     */
    public static Grads batchNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor invStd) {
        checkFloat("Norms.batchNormBackward", "x", x);
        Tensor dx = Tensor.zeros(x.dtype(), x.shape());
        batchNormGrads("Norms.batchNormBackward", dy, x, weight, mean, invStd, dx);
        if (weight == null) return new Grads(dx, null, null);
        int c = x.dim(1);
        double[] sdy = Scratch.doubles(Scratch.SUM_DY, c), sdyx = Scratch.doubles(Scratch.SUM_DYX, c);
        return new Grads(dx, vector(x.dtype(), sdyx, c), vector(x.dtype(), sdy, c));
    }

    /** The input gradient of {@link #batchNormBackward}, written into {@code dx} (shaped like {@code x}). */
    public static void batchNormBackwardInputInto(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor dx) {
        batchNormGrads("Norms.batchNormBackwardInput", dy, x, weight, mean, invStd, dx);
    }

    /** The weight gradient of {@link #batchNormBackward}, {@code sum(dy * xhat)} per channel, written into {@code dWeight [C]}. */
    public static void batchNormBackwardWeightInto(Tensor dy, Tensor x, Tensor mean, Tensor invStd, Tensor dWeight) {
        String where = "Norms.batchNormBackwardWeight";
        int c = checkBatchNorm(where, x, null, null);
        checkVector(where, "dWeight", dWeight, c, x.dtype(), false);
        batchNormGrads(where, dy, x, null, mean, invStd, null);
        double[] sdyx = Scratch.doubles(Scratch.SUM_DYX, c);
        for (int ch = 0; ch < c; ch++) setValue(dWeight, ch, sdyx[ch]);
    }

    /**
     * Per channel {@code sum(dy)} and {@code sum(dy * xhat)} into this thread's scratch slots, and, when {@code dx}
     * is given, the input gradient from them (one pass over the channel's values for the sums, one for dx).
     */
    private static void batchNormGrads(String where, Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor dx) {
        int c = checkBatchNorm(where, x, weight, null);
        checkSame(where, "dy", dy, x);
        checkVector(where, "mean", mean, c, x.dtype(), false);
        checkVector(where, "invStd", invStd, c, x.dtype(), false);
        if (dx != null) checkSame(where, "dx", dx, x);
        int n = x.dim(0), inner = x.size() / Math.max(1, n * c);
        long count = (long) n * inner;
        double[] sums = Scratch.doubles(Scratch.SUM_DY, c), dots = Scratch.doubles(Scratch.SUM_DYX, c);
        Parallel.forRange(c, Math.max(1, (int) (GRAIN / Math.max(1, count))), (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double m = value(mean, ch), inv = value(invStd, ch);
                double sdy = 0, sdyx = 0;
                for (int b = 0; b < n; b++) {
                    int off = (b * c + ch) * inner;
                    sdy += sum(dy, off, inner);
                    sdyx += dotCentered(dy, x, off, inner, m);
                }
                sdyx *= inv; // sum(dy * xhat)
                sums[ch] = sdy;
                dots[ch] = sdyx;
                if (dx == null) continue;
                double w = weight == null ? 1 : value(weight, ch);
                // dx = k * (dy - a - xhat * b'), written as dx = k*dy + k*(-a) + (x - m) * (-k * b' * inv)
                double k = w * inv, a = sdy / count, bb = sdyx / count;
                for (int b = 0; b < n; b++) {
                    int off = (b * c + ch) * inner;
                    affineOf2(dy, x, dx, off, inner, k, -k * a + k * bb * inv * m, -k * bb * inv);
                }
            }
        });
    }

    private static int checkBatchNorm(String where, Tensor x, Tensor weight, Tensor bias) {
        checkFloat(where, "x", x);
        if (x.rank() < 2) throw new IllegalArgumentException(where + ": x must be [N, C, ...], got " + Tensor.shapeString(x.shape()));
        int c = x.dim(1);
        if (weight != null) checkVector(where, "weight", weight, c, x.dtype(), false);
        if (bias != null) checkVector(where, "bias", bias, c, x.dtype(), false);
        return c;
    }

    /** {@code out = (x - mean[ch]) * inv[ch] * w[ch] + b[ch]}, per channel, over all images. */
    private static void normalizeChannels(Tensor x, Tensor out, int n, int c, int inner, double[] mean, double[] inv, Tensor weight, Tensor bias) {
        Parallel.forRange(n * c, Math.max(1, GRAIN / Math.max(1, inner)), (from, to) -> {
            for (int r = from; r < to; r++) {
                int ch = r % c;
                double k = inv[ch] * (weight == null ? 1 : value(weight, ch));
                double b = (bias == null ? 0 : value(bias, ch)) - mean[ch] * k;
                affine(x, out, r * inner, inner, k, b);
            }
        });
    }

    // ---------------------------------------------------------------- layer norm

    /** {@link #layerNorm(Tensor, int[], Tensor, Tensor, double)} over {@code weight}'s shape with eps 1e-5, output only. */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias) {
        if (weight == null) throw new IllegalArgumentException("Norms.layerNorm: weight is null; give the normalized shape instead");
        return layerNorm(x, weight.shape(), weight, bias, DEFAULT_EPS).out();
    }

    /**
     * Layer norm over the trailing {@code normalizedShape} of {@code x}: each row of {@code D = prod(normalizedShape)}
     * values becomes {@code (x - mean) / sqrt(var + eps) * weight + bias} (biased variance). {@code weight} and
     * {@code bias} (shape {@code normalizedShape}) may be null. Returns per-row mean and {@code 1/sqrt(var+eps)}
     * with shape {@code x.shape[:-len(normalizedShape)]}.
     */
    public static Result layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        String where = "Norms.layerNorm";
        int d = checkLayerNorm(where, x, normalizedShape, weight, bias);
        if (d == 0) throw new IllegalArgumentException(where + ": normalized shape " + Tensor.shapeString(normalizedShape) + " is empty of elements");
        int[] statShape = Arrays.copyOf(x.shape(), x.rank() - normalizedShape.length);
        Result r = new Result(Tensor.zeros(x.dtype(), x.shape()), Tensor.zeros(x.dtype(), statShape), Tensor.zeros(x.dtype(), statShape));
        layerNormInto(x, d, weight, bias, eps, r);
        return r;
    }

    /**
     * As {@link #layerNorm(Tensor, int[], Tensor, Tensor, double)} over the trailing dimensions of {@code x} whose
     * product is {@code size}, writing into {@code into}: {@code out} shaped like {@code x}, and, unless null (as
     * for inference), one {@code mean} and {@code invStd} per row ({@code x.size() / size} values each).
     */
    public static void layerNormInto(Tensor x, int size, Tensor weight, Tensor bias, double eps, Result into) {
        String where = "Norms.layerNorm";
        int d = checkRows(where, x, size, weight, bias);
        int rows = x.size() / d;
        checkSame(where, "out", into.out(), x);
        Tensor mean = into.mean(), rstd = into.invStd();
        if ((mean == null) != (rstd == null)) throw new IllegalArgumentException(where + ": give both mean and invStd, or neither");
        if (mean != null) checkStats(where, x, rows, mean, rstd);
        Tensor out = into.out();
        Parallel.forRange(rows, Math.max(1, GRAIN / d), (from, to) -> {
            for (int r = from; r < to; r++) {
                int off = r * d;
                double m = sum(x, off, d) / d;
                double inv = 1 / Math.sqrt(sumSquaredDeviation(x, off, d, m) / d + eps);
                if (mean != null) {
                    setValue(mean, r, m);
                    setValue(rstd, r, inv);
                }
                if (weight == null) {
                    affine(x, out, off, d, inv, -m * inv);
                } else {
                    scaleShift(x, out, off, d, m, inv, weight, bias);
                }
            }
        });
    }

    /**
     * Backward of {@link #layerNorm(Tensor, int[], Tensor, Tensor, double)} from its saved {@code mean} and
     * {@code invStd}: {@code dx = rstd * (g - mean(g) - xhat * mean(g * xhat))} with {@code g = dy * weight};
     * {@code dWeight = sum_rows(dy * xhat)}, {@code dBias = sum_rows(dy)} (null without weight).
     */
    public static Grads layerNormBackward(Tensor dy, Tensor x, int[] normalizedShape, Tensor weight, Tensor mean, Tensor invStd) {
        String where = "Norms.layerNormBackward";
        int d = checkLayerNorm(where, x, normalizedShape, weight, null);
        int[] statShape = Arrays.copyOf(x.shape(), x.rank() - normalizedShape.length);
        checkFloat(where, "mean", mean);
        checkFloat(where, "invStd", invStd);
        if (!Arrays.equals(statShape, mean.shape()) || !Arrays.equals(statShape, invStd.shape())) {
            throw new IllegalArgumentException(where + ": mean " + Tensor.shapeString(mean.shape()) + " and invStd "
                    + Tensor.shapeString(invStd.shape()) + " must both be " + x.dtype().safetensorsName() + " " + Tensor.shapeString(statShape));
        }
        Tensor dx = Tensor.zeros(x.dtype(), x.shape());
        Tensor dw = weight == null ? null : Tensor.zeros(x.dtype(), normalizedShape);
        Tensor db = weight == null ? null : Tensor.zeros(x.dtype(), normalizedShape);
        layerNormGrads(where, dy, x, d, weight, mean, invStd, dx, dw, db);
        return new Grads(dx, dw, db);
    }

    /** The input gradient of {@link #layerNormBackward}, over rows of {@code size} values, written into {@code dx}. */
    public static void layerNormBackwardInputInto(Tensor dy, Tensor x, int size, Tensor weight, Tensor mean, Tensor invStd, Tensor dx) {
        layerNormGrads("Norms.layerNormBackwardInput", dy, x, size, weight, mean, invStd, dx, null, null);
    }

    /** The weight gradient of {@link #layerNormBackward}, {@code sum_rows(dy * xhat)}, written into {@code dWeight} ({@code size} values). */
    public static void layerNormBackwardWeightInto(Tensor dy, Tensor x, int size, Tensor mean, Tensor invStd, Tensor dWeight) {
        layerNormGrads("Norms.layerNormBackwardWeight", dy, x, size, null, mean, invStd, null, dWeight, null);
    }

    /** The gradients asked for (each of dx, dw, db may be null), written: dw and db are zeroed before their sums. */
    private static void layerNormGrads(String where, Tensor dy, Tensor x, int size, Tensor weight, Tensor mean, Tensor invStd,
                                       Tensor dx, Tensor dw, Tensor db) {
        int d = checkRows(where, x, size, weight, null);
        int rows = x.size() / d;
        checkSame(where, "dy", dy, x);
        checkStats(where, x, rows, mean, invStd);
        if (dx != null) checkSame(where, "dx", dx, x);
        for (Tensor t : new Tensor[] {dw, db}) {
            if (t != null && (t.size() != d || t.dtype() != x.dtype())) throw new IllegalArgumentException(where + ": "
                    + (t == dw ? "dWeight" : "dBias") + " is " + t.dtype().safetensorsName() + " " + Tensor.shapeString(t.shape())
                    + " but must hold " + d + " " + x.dtype().safetensorsName() + " values");
        }
        if (x.dtype() == DType.F64) {
            if (dw != null) Arrays.fill(dw.doubles(), 0, d, 0.0);
            if (db != null) Arrays.fill(db.doubles(), 0, d, 0.0);
            LayerNormGrad64.run(dy.doubles(), x.doubles(), weight == null ? null : weight.doubles(), mean.doubles(), invStd.doubles(),
                    dx == null ? null : dx.doubles(), dw == null ? null : dw.doubles(), db == null ? null : db.doubles(), rows, d);
        } else {
            if (dw != null) Arrays.fill(dw.data(), 0, d, 0f);
            if (db != null) Arrays.fill(db.data(), 0, d, 0f);
            LayerNormGrad32.run(dy.data(), x.data(), weight == null ? null : weight.data(), mean.data(), invStd.data(),
                    dx == null ? null : dx.data(), dw == null ? null : dw.data(), db == null ? null : db.data(), rows, d);
        }
    }

    /**
     * Checks a layer norm over rows of {@code size} values: x is floating point and its trailing dimensions
     * multiply to exactly {@code size}; weight and bias (may be null) hold {@code size} values of x's dtype. Returns size.
     */
    private static int checkRows(String where, Tensor x, int size, Tensor weight, Tensor bias) {
        checkFloat(where, "x", x);
        int p = 1;
        for (int a = x.rank() - 1; a >= 0 && p < size; a--) p *= x.dim(a);
        if (size < 1 || p != size) {
            throw new IllegalArgumentException(where + ": no trailing dimensions of x " + Tensor.shapeString(x.shape()) + " hold exactly "
                    + size + " values");
        }
        for (Tensor t : new Tensor[] {weight, bias}) {
            if (t != null && (t.size() != size || t.dtype() != x.dtype())) {
                throw new IllegalArgumentException(where + ": " + (t == weight ? "weight" : "bias") + " is " + t.dtype().safetensorsName() + " "
                        + Tensor.shapeString(t.shape()) + " but must hold " + size + " " + x.dtype().safetensorsName() + " values");
            }
        }
        return size;
    }

    private static void checkStats(String where, Tensor x, int rows, Tensor mean, Tensor invStd) {
        checkFloat(where, "mean", mean);
        checkFloat(where, "invStd", invStd);
        if (mean.size() != rows || invStd.size() != rows || mean.dtype() != x.dtype() || invStd.dtype() != x.dtype()) {
            throw new IllegalArgumentException(where + ": mean " + Tensor.shapeString(mean.shape()) + " and invStd "
                    + Tensor.shapeString(invStd.shape()) + " must each hold " + rows + " " + x.dtype().safetensorsName() + " values, one per row of x "
                    + Tensor.shapeString(x.shape()));
        }
    }

    /** Layer-norm backward on float arrays; each row's sums and each column's sums run in one fixed order. */
    private static final class LayerNormGrad32 {
        static void run(float[] dy, float[] x, float[] w, float[] mean, float[] rstd, float[] dx, float[] dw, float[] db, int rows, int d) {
            if (dx != null) Parallel.forRange(rows, Math.max(1, GRAIN / d), (from, to) -> {
                for (int r = from; r < to; r++) {
                    int off = r * d;
                    float m = mean[r], inv = rstd[r];
                    double sg = 0, sgx = 0;
                    for (int i = 0; i < d; i++) {
                        float g = dy[off + i] * (w == null ? 1f : w[i]);
                        sg += g;
                        sgx += g * (x[off + i] - m) * inv;
                    }
                    float a = (float) (sg / d), b = (float) (sgx / d);
                    for (int i = 0; i < d; i++) {
                        float g = dy[off + i] * (w == null ? 1f : w[i]);
                        dx[off + i] = inv * (g - a - (x[off + i] - m) * inv * b);
                    }
                }
            });
            if (dw == null && db == null) return;
            // Columns, not rows, are split over threads so each column's sum runs in one fixed order.
            Parallel.forRange(d, Math.max(1, GRAIN / Math.max(1, rows)), (from, to) -> {
                for (int r = 0; r < rows; r++) {
                    float m = mean[r], inv = rstd[r];
                    int off = r * d;
                    for (int i = from; i < to; i++) {
                        float g = dy[off + i];
                        if (dw != null) dw[i] += g * (x[off + i] - m) * inv;
                        if (db != null) db[i] += g;
                    }
                }
            });
        }
    }

    /** {@link LayerNormGrad32} in double. */
    private static final class LayerNormGrad64 {
        static void run(double[] dy, double[] x, double[] w, double[] mean, double[] rstd, double[] dx, double[] dw, double[] db, int rows, int d) {
            if (dx != null) Parallel.forRange(rows, Math.max(1, GRAIN / d), (from, to) -> {
                for (int r = from; r < to; r++) {
                    int off = r * d;
                    double m = mean[r], inv = rstd[r], sg = 0, sgx = 0;
                    for (int i = 0; i < d; i++) {
                        double g = dy[off + i] * (w == null ? 1 : w[i]);
                        sg += g;
                        sgx += g * (x[off + i] - m) * inv;
                    }
                    double a = sg / d, b = sgx / d;
                    for (int i = 0; i < d; i++) {
                        double g = dy[off + i] * (w == null ? 1 : w[i]);
                        dx[off + i] = inv * (g - a - (x[off + i] - m) * inv * b);
                    }
                }
            });
            if (dw == null && db == null) return;
            Parallel.forRange(d, Math.max(1, GRAIN / Math.max(1, rows)), (from, to) -> {
                for (int r = 0; r < rows; r++) {
                    double m = mean[r], inv = rstd[r];
                    int off = r * d;
                    for (int i = from; i < to; i++) {
                        double g = dy[off + i];
                        if (dw != null) dw[i] += g * (x[off + i] - m) * inv;
                        if (db != null) db[i] += g;
                    }
                }
            });
        }
    }

    private static int checkLayerNorm(String where, Tensor x, int[] normalizedShape, Tensor weight, Tensor bias) {
        checkFloat(where, "x", x);
        int k = normalizedShape.length;
        int[] s = x.shape();
        if (k == 0 || k > s.length || !Arrays.equals(Arrays.copyOfRange(s, s.length - k, s.length), normalizedShape)) {
            throw new IllegalArgumentException(where + ": x " + Tensor.shapeString(s) + " does not end in the normalized shape "
                    + Tensor.shapeString(normalizedShape));
        }
        int d = 1;
        for (int v : normalizedShape) d *= v;
        for (Tensor t : new Tensor[] {weight, bias}) {
            if (t == null) continue;
            String name = t == weight ? "weight" : "bias";
            if (!Arrays.equals(t.shape(), normalizedShape) || t.dtype() != x.dtype()) {
                throw new IllegalArgumentException(where + ": " + name + " is " + t.dtype().safetensorsName() + " " + Tensor.shapeString(t.shape())
                        + " but must be " + x.dtype().safetensorsName() + " " + Tensor.shapeString(normalizedShape));
            }
        }
        return d;
    }

    // ---------------------------------------------------------------- row helpers (F32 vectorized, F64 scalar)

    private static double sum(Tensor t, int off, int n) {
        if (t.dtype() == DType.F64) {
            double[] a = t.doubles();
            double s = 0;
            for (int i = 0; i < n; i++) s += a[off + i];
            return s;
        }
        float[] a = t.data();
        double s = 0;
        int i = 0;
        // Sum blocks of 256 in float vectors, then fold each block into a double: fast and still accurate.
        while (i < n) {
            int end = Math.min(n, i + 256);
            s += VectorMath.sumOf(a, off + i, end - i);
            i = end;
        }
        return s;
    }

    private static double sumSquaredDeviation(Tensor t, int off, int n, double mean) {
        if (t.dtype() == DType.F64) {
            double[] a = t.doubles();
            double s = 0;
            for (int i = 0; i < n; i++) { double d = a[off + i] - mean; s += d * d; }
            return s;
        }
        float[] a = t.data();
        float m = (float) mean;
        double s = 0;
        int i = 0;
        while (i < n) {
            int end = Math.min(n, i + 256), bound = i + S.loopBound(end - i);
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += V) { FloatVector d = FloatVector.fromArray(S, a, off + i).sub(m); acc = d.fma(d, acc); }
            float tail = 0;
            for (; i < end; i++) { float d = a[off + i] - m; tail += d * d; }
            s += (double) VectorMath.sum(acc) + tail;
        }
        return s;
    }

    /** {@code sum(dy * (x - mean))} over one row. */
    private static double dotCentered(Tensor dy, Tensor x, int off, int n, double mean) {
        if (x.dtype() == DType.F64) {
            double[] g = dy.doubles(), a = x.doubles();
            double s = 0;
            for (int i = 0; i < n; i++) s += g[off + i] * (a[off + i] - mean);
            return s;
        }
        float[] g = dy.data(), a = x.data();
        float m = (float) mean;
        double s = 0;
        int i = 0;
        while (i < n) {
            int end = Math.min(n, i + 256), bound = i + S.loopBound(end - i);
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += V) acc = FloatVector.fromArray(S, a, off + i).sub(m).fma(FloatVector.fromArray(S, g, off + i), acc);
            float tail = 0;
            for (; i < end; i++) tail += g[off + i] * (a[off + i] - m);
            s += (double) VectorMath.sum(acc) + tail;
        }
        return s;
    }

    /** {@code out = x * k + b} over one row. */
    private static void affine(Tensor x, Tensor out, int off, int n, double k, double b) {
        if (x.dtype() == DType.F64) {
            double[] a = x.doubles(), o = out.doubles();
            for (int i = 0; i < n; i++) o[off + i] = a[off + i] * k + b;
            return;
        }
        float[] a = x.data(), o = out.data();
        float kf = (float) k, bf = (float) b;
        int i = 0, bound = S.loopBound(n);
        for (; i < bound; i += V) FloatVector.fromArray(S, a, off + i).fma(kf, bf).intoArray(o, off + i);
        for (; i < n; i++) o[off + i] = a[off + i] * kf + bf;
    }

    /** {@code out = dy * k + x * kx + c} over one row. */
    private static void affineOf2(Tensor dy, Tensor x, Tensor out, int off, int n, double k, double c, double kx) {
        if (x.dtype() == DType.F64) {
            double[] g = dy.doubles(), a = x.doubles(), o = out.doubles();
            for (int i = 0; i < n; i++) o[off + i] = g[off + i] * k + a[off + i] * kx + c;
            return;
        }
        float[] g = dy.data(), a = x.data(), o = out.data();
        float kf = (float) k, cf = (float) c, kxf = (float) kx;
        int i = 0, bound = S.loopBound(n);
        for (; i < bound; i += V) {
            FloatVector.fromArray(S, a, off + i).fma(kxf, cf).add(FloatVector.fromArray(S, g, off + i).mul(kf)).intoArray(o, off + i);
        }
        for (; i < n; i++) o[off + i] = g[off + i] * kf + a[off + i] * kxf + cf;
    }

    /** {@code out = (x - mean) * inv * weight + bias} over one layer-norm row ({@code bias} may be null). */
    private static void scaleShift(Tensor x, Tensor out, int off, int n, double mean, double inv, Tensor weight, Tensor bias) {
        if (x.dtype() == DType.F64) {
            double[] a = x.doubles(), o = out.doubles(), w = weight.doubles(), b = bias == null ? null : bias.doubles();
            for (int i = 0; i < n; i++) o[off + i] = (a[off + i] - mean) * inv * w[i] + (b == null ? 0 : b[i]);
            return;
        }
        float[] a = x.data(), o = out.data(), w = weight.data(), b = bias == null ? null : bias.data();
        float m = (float) mean, k = (float) inv;
        int i = 0, bound = S.loopBound(n);
        for (; i < bound; i += V) {
            FloatVector y = FloatVector.fromArray(S, a, off + i).sub(m).mul(k).mul(FloatVector.fromArray(S, w, i));
            if (b != null) y = y.add(FloatVector.fromArray(S, b, i));
            y.intoArray(o, off + i);
        }
        for (; i < n; i++) o[off + i] = (a[off + i] - m) * k * w[i] + (b == null ? 0f : b[i]);
    }

    // ---------------------------------------------------------------- small shared checks

    private static double value(Tensor t, int i) { return t.dtype() == DType.F64 ? t.doubles()[i] : t.data()[i]; }

    private static void setValue(Tensor t, int i, double v) {
        if (t.dtype() == DType.F64) t.doubles()[i] = v;
        else t.data()[i] = (float) v;
    }

    /** The first {@code n} values of {@code v} (a scratch array, maybe longer) as a new tensor of {@code dtype}. */
    private static Tensor vector(DType dtype, double[] v, int n) {
        if (dtype == DType.F64) return Tensor.of(Arrays.copyOf(v, n), n);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) v[i];
        return Tensor.of(f, n);
    }

    static void checkFloat(String where, String name, Tensor t) {
        if (t == null) throw new IllegalArgumentException(where + ": " + name + " is null");
        if (t.dtype() != DType.F32 && t.dtype() != DType.F64) {
            throw new IllegalArgumentException(where + ": " + name + " must be F32 or F64, got " + t.dtype().safetensorsName());
        }
    }

    private static void checkVector(String where, String name, Tensor t, int c, DType dtype, boolean nullable) {
        if (t == null) {
            if (nullable) return;
            throw new IllegalArgumentException(where + ": " + name + " is null");
        }
        if (t.rank() != 1 || t.dim(0) != c || t.dtype() != dtype) {
            throw new IllegalArgumentException(where + ": " + name + " is " + t.dtype().safetensorsName() + " " + Tensor.shapeString(t.shape())
                    + " but must be " + dtype.safetensorsName() + " [" + c + "] (one value per channel)");
        }
    }

    static void checkSame(String where, String name, Tensor t, Tensor x) {
        if (t == null) throw new IllegalArgumentException(where + ": " + name + " is null");
        if (!t.sameShape(x) || t.dtype() != x.dtype()) {
            throw new IllegalArgumentException(where + ": " + name + " is " + t.dtype().safetensorsName() + " " + Tensor.shapeString(t.shape())
                    + " but must match x, " + x.dtype().safetensorsName() + " " + Tensor.shapeString(x.shape()));
        }
    }
}
