package dev.mithril.runtime.train;

import dev.mithril.runtime.Tensor;

/** Mean squared error {@code (prediction - target)^2} ({@code torch.nn.MSELoss}); target of the prediction's shape. */
public final class MseLoss implements Loss {
    private static final String WHERE = "MseLoss";
    private final Reduction reduction;

    private MseLoss(Reduction reduction) { this.reduction = reduction; }

    public static MseLoss mean() { return new MseLoss(Reduction.MEAN); }

    public static MseLoss sum() { return new MseLoss(Reduction.SUM); }

    @Override public LossResult forward(Tensor prediction, Tensor target) {
        LossValues.sameShape(WHERE, prediction, target);
        double[] p = LossValues.values(WHERE, "prediction", prediction), t = LossValues.values(WHERE, "target", target);
        double scale = reduction == Reduction.MEAN ? 1.0 / p.length : 1.0;
        double[] g = new double[p.length];
        double total = 0;
        for (int i = 0; i < p.length; i++) {
            double d = p[i] - t[i];
            total += d * d;
            g[i] = 2 * d * scale;
        }
        return new LossResult(total * scale, LossValues.gradient(prediction, g));
    }

    @Override public String describe() { return "MseLoss(reduction=" + reduction.pytorchName() + ")"; }

    @Override public String toString() { return describe(); }
}
