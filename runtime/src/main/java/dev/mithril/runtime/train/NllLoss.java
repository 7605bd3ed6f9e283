package dev.mithril.runtime.train;

import dev.mithril.runtime.Tensor;

/**
 * Negative log-likelihood of log-probabilities ({@code torch.nn.functional.nll_loss}), classes on the last
 * axis: {@code -logp[position, target]}, positions equal to {@link #ignoreIndex} skipped and not counted
 * in the mean.
 */
public final class NllLoss implements Loss {
    private static final String WHERE = "NllLoss";
    private final Reduction reduction;
    private final long ignoreIndex;

    private NllLoss(Reduction reduction, long ignoreIndex) {
        this.reduction = reduction;
        this.ignoreIndex = ignoreIndex;
    }

    public static NllLoss mean() { return new NllLoss(Reduction.MEAN, -100); }

    public static NllLoss sum() { return new NllLoss(Reduction.SUM, -100); }

    /** This loss with another ignored target value (default -100). */
    public NllLoss ignoreIndex(long index) { return new NllLoss(reduction, index); }

    @Override public LossResult forward(Tensor logProbabilities, Tensor target) {
        LossValues.indexTargetShape(WHERE, logProbabilities, target);
        int c = logProbabilities.dim(-1);
        double[] lp = LossValues.values(WHERE, "log-probabilities", logProbabilities);
        long[] y = LossValues.indices(WHERE, target);
        double[] g = new double[lp.length];
        double total = 0;
        long counted = 0;
        for (int r = 0; r < y.length; r++) {
            LossValues.checkIndex(WHERE, y[r], c, ignoreIndex, r);
            if (y[r] == ignoreIndex) continue;
            counted++;
            total -= lp[r * c + (int) y[r]];
            g[r * c + (int) y[r]] = -1;
        }
        if (reduction == Reduction.MEAN) {
            for (int i = 0; i < g.length; i++) g[i] /= counted;
            total = counted == 0 ? Double.NaN : total / counted;
        }
        return new LossResult(total, LossValues.gradient(logProbabilities, g));
    }

    @Override public String describe() { return "NllLoss(reduction=" + reduction.pytorchName() + ", ignoreIndex=" + ignoreIndex + ")"; }

    @Override public String toString() { return describe(); }
}
