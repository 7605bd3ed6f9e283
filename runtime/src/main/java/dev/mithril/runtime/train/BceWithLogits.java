package dev.mithril.runtime.train;

/**
 * Binary cross-entropy on logits ({@code torch.nn.BCEWithLogitsLoss}), computed in the stable form
 * {@code max(x, 0) - x * t + log(1 + exp(-|x|))} so that large logits neither overflow nor lose the loss;
 * gradient {@code sigmoid(x) - t}. Targets are probabilities in [0, 1] of the logits' shape.
 */
public final class BceWithLogits extends PointwiseLoss {
    private BceWithLogits(Reduction reduction) { super("BceWithLogits", "logits", reduction); }

    public static BceWithLogits mean() { return new BceWithLogits(Reduction.MEAN); }

    public static BceWithLogits sum() { return new BceWithLogits(Reduction.SUM); }

    @Override double term(double x, double t) { return Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x))); }

    @Override double slope(double x, double t) {
        // sigmoid without overflow for either sign
        double s = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
        return s - t;
    }
}
