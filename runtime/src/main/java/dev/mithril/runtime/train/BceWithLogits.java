package dev.mithril.runtime.train;

import dev.mithril.runtime.Tensor;

/**
 * Binary cross-entropy on logits ({@code torch.nn.BCEWithLogitsLoss}), computed in the stable form
 * {@code max(x, 0) - x * t + log(1 + exp(-|x|))} so that large logits neither overflow nor lose the loss;
 * gradient {@code sigmoid(x) - t}. Targets are probabilities in [0, 1] of the logits' shape.
 */
public final class BceWithLogits implements Loss {
    private static final String WHERE = "BceWithLogits";
    private final Reduction reduction;

    private BceWithLogits(Reduction reduction) { this.reduction = reduction; }

    public static BceWithLogits mean() { return new BceWithLogits(Reduction.MEAN); }

    public static BceWithLogits sum() { return new BceWithLogits(Reduction.SUM); }

    @Override public LossResult forward(Tensor logits, Tensor target) {
        LossValues.sameShape(WHERE, logits, target);
        double[] x = LossValues.values(WHERE, "logits", logits), t = LossValues.values(WHERE, "target", target);
        double scale = reduction == Reduction.MEAN ? 1.0 / x.length : 1.0;
        double[] g = new double[x.length];
        double total = 0;
        for (int i = 0; i < x.length; i++) {
            double xi = x[i];
            total += Math.max(xi, 0) - xi * t[i] + Math.log1p(Math.exp(-Math.abs(xi)));
            // sigmoid without overflow for either sign
            double s = xi >= 0 ? 1 / (1 + Math.exp(-xi)) : Math.exp(xi) / (1 + Math.exp(xi));
            g[i] = (s - t[i]) * scale;
        }
        return new LossResult(total * scale, LossValues.gradient(logits, g));
    }

    @Override public String describe() { return "BceWithLogits(reduction=" + reduction.pytorchName() + ")"; }

    @Override public String toString() { return describe(); }
}
