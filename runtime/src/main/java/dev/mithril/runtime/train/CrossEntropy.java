package dev.mithril.runtime.train;

import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;

/**
 * Softmax cross-entropy from logits, as {@code torch.nn.functional.cross_entropy} (PyTorch 1.13) with the
 * classes on the <em>last</em> axis: logits {@code [N, C]} or {@code [B, T, C]} (every position is one
 * sample, as {@code cross_entropy(logits.view(-1, C), target.view(-1))}).
 *
 * <p>The target is either class indices (I64 or I32, the logits' shape without the class axis; positions
 * equal to {@link #ignoreIndex} contribute nothing and do not count in the mean) or class probabilities
 * (floating point, the logits' shape). Label smoothing {@code e} mixes the target with the uniform
 * distribution: {@code (1 - e) * nll + e / C * sum_c -log p_c}, the mean dividing both terms by the number
 * of positions not ignored, exactly as PyTorch 1.13.
 *
 * <p>With float32 logits and class indices, gradient entries smaller in magnitude than the smallest normal float
 * ({@code Float.MIN_NORMAL}, about 1.2e-38) are written as 0. A confident model's far-off classes produce such
 * subnormal values in most of a vocabulary row, and every multiply that reads one costs a microcode assist: a
 * decoder's training step ran 10x slower. The difference is below 1.2e-38 per entry.
 *
 * <pre>{@code
 * Loss ce = CrossEntropy.mean().ignoreIndex(-1).labelSmoothing(0.1);
 * }</pre>
 */
public final class CrossEntropy implements Loss {
    private static final String WHERE = "CrossEntropy";
    private final Reduction reduction;
    private final long ignoreIndex;
    private final double labelSmoothing;

    private CrossEntropy(Reduction reduction, long ignoreIndex, double labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException(WHERE + ": label smoothing must be in [0, 1], got " + labelSmoothing);
        }
        this.reduction = reduction;
        this.ignoreIndex = ignoreIndex;
        this.labelSmoothing = labelSmoothing;
    }

    /** Mean over the positions (PyTorch's default), ignore index -100, no smoothing. */
    public static CrossEntropy mean() { return new CrossEntropy(Reduction.MEAN, -100, 0); }

    /** Sum over the positions. */
    public static CrossEntropy sum() { return new CrossEntropy(Reduction.SUM, -100, 0); }

    /** This loss with another target value that marks positions to skip (default -100). */
    public CrossEntropy ignoreIndex(long index) { return new CrossEntropy(reduction, index, labelSmoothing); }

    /** This loss with label smoothing in [0, 1] (default 0). */
    public CrossEntropy labelSmoothing(double epsilon) { return new CrossEntropy(reduction, ignoreIndex, epsilon); }

    public Reduction reduction() { return reduction; }

    @Override public LossResult forward(Tensor logits, Tensor target) {
        if (logits.rank() < 1) throw new IllegalArgumentException(WHERE + ": logits must have a class axis, got a scalar");
        if (RowsF32.applies(logits, target)) {
            Tensor gradient = Tensor.zeros(DType.F32, logits.shape());
            return new LossResult(forwardInto(logits, target, gradient), gradient);
        }
        return forwardF64(logits, target);
    }

    /**
     * As {@link #forward}, the gradient written into {@code gradient}. Float32 logits with class indices (the usual
     * training case) take a direct path: per row, one vectorized pass for the maximum and one for the exponentials
     * (sums in double), written straight into the gradient; rows are split over the threads and their losses added
     * in row order, so the result does not depend on the thread count. Other cases compute in double and copy.
     */
    @Override public double forwardInto(Tensor logits, Tensor target, Tensor gradient) {
        if (logits.rank() < 1) throw new IllegalArgumentException(WHERE + ": logits must have a class axis, got a scalar");
        if (!RowsF32.applies(logits, target)) {
            LossResult r = forwardF64(logits, target);
            LossValues.copyGradient(WHERE, r.gradient(), gradient);
            return r.value();
        }
        LossValues.checkGradient(WHERE, logits, gradient);
        LossValues.indexTargetShape(WHERE, logits, target);
        int c = logits.dim(-1), rows = c == 0 ? 0 : logits.size() / c;
        long counted = RowsF32.counted(target, rows, c, ignoreIndex);
        double scale = reduction == Reduction.SUM ? 1 : 1.0 / counted; // counted == 0: NaN loss, as PyTorch
        double total = RowsF32.run(logits.data(), target, gradient.data(), rows, c, ignoreIndex, labelSmoothing, scale);
        if (reduction == Reduction.SUM) return total;
        return counted == 0 ? Double.NaN : total * scale;
    }

    private LossResult forwardF64(Tensor logits, Tensor target) {
        int c = logits.dim(-1);
        double[] z = LossValues.values(WHERE, "logits", logits);
        int rows = c == 0 ? 0 : z.length / c;
        double[] g = new double[z.length];
        boolean indices = target.dtype() == DType.I64 || target.dtype() == DType.I32;
        double total = 0;
        long counted = 0;
        double e = labelSmoothing;
        double[] logp = new double[c];
        if (indices) {
            LossValues.indexTargetShape(WHERE, logits, target);
            long[] y = LossValues.indices(WHERE, target);
            for (int r = 0; r < rows; r++) {
                LossValues.checkIndex(WHERE, y[r], c, ignoreIndex, r);
                if (y[r] == ignoreIndex) continue;
                counted++;
                int off = r * c;
                logSoftmax(z, off, c, logp);
                double smooth = 0;
                for (int j = 0; j < c; j++) smooth -= logp[j];
                total += (1 - e) * -logp[(int) y[r]] + e / c * smooth;
                // d/dz of that: p - ((1 - e) onehot + e / C)
                for (int j = 0; j < c; j++) g[off + j] = Math.exp(logp[j]) - e / c;
                g[off + (int) y[r]] -= 1 - e;
            }
        } else {
            LossValues.sameShape(WHERE, logits, target);
            double[] t = LossValues.values(WHERE, "target", target);
            counted = rows;
            for (int r = 0; r < rows; r++) {
                int off = r * c;
                logSoftmax(z, off, c, logp);
                double mass = 0;
                for (int j = 0; j < c; j++) {
                    double q = t[off + j] * (1 - e) + e / c;
                    total -= q * logp[j];
                    mass += q;
                }
                for (int j = 0; j < c; j++) g[off + j] = mass * Math.exp(logp[j]) - (t[off + j] * (1 - e) + e / c);
            }
        }
        return reduce(total, counted, g, logits);
    }

    private LossResult reduce(double total, long counted, double[] g, Tensor logits) {
        if (reduction == Reduction.SUM) return new LossResult(total, LossValues.gradient(logits, g));
        double scale = 1.0 / counted; // counted == 0: NaN loss, as PyTorch
        for (int i = 0; i < g.length; i++) g[i] *= scale;
        return new LossResult(counted == 0 ? Double.NaN : total * scale, LossValues.gradient(logits, g));
    }

    /** {@code out[j] = z[off + j] - logsumexp(z[off .. off + c))}. */
    static void logSoftmax(double[] z, int off, int c, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < c; j++) max = Math.max(max, z[off + j]);
        double s = 0;
        for (int j = 0; j < c; j++) s += Math.exp(z[off + j] - max);
        double lse = max + Math.log(s);
        for (int j = 0; j < c; j++) out[j] = z[off + j] - lse;
    }

    @Override public String describe() {
        return "CrossEntropy(reduction=" + reduction.pytorchName() + ", ignoreIndex=" + ignoreIndex + ", labelSmoothing=" + labelSmoothing + ")";
    }

    @Override public String toString() { return describe(); }
}
