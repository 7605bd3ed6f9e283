package dev.mithril.runtime.train;

import dev.mithril.runtime.Tensor;

/** Absolute error {@code |prediction - target|} ({@code torch.nn.L1Loss}); its gradient at 0 is 0, as PyTorch's. */
public final class L1Loss implements Loss {
    private static final String WHERE = "L1Loss";
    private final Reduction reduction;

    private L1Loss(Reduction reduction) { this.reduction = reduction; }

    public static L1Loss mean() { return new L1Loss(Reduction.MEAN); }

    public static L1Loss sum() { return new L1Loss(Reduction.SUM); }

    @Override public LossResult forward(Tensor prediction, Tensor target) {
        LossValues.sameShape(WHERE, prediction, target);
        double[] p = LossValues.values(WHERE, "prediction", prediction), t = LossValues.values(WHERE, "target", target);
        double scale = reduction == Reduction.MEAN ? 1.0 / p.length : 1.0;
        double[] g = new double[p.length];
        double total = 0;
        for (int i = 0; i < p.length; i++) {
            double d = p[i] - t[i];
            total += Math.abs(d);
            g[i] = Math.signum(d) * scale;
        }
        return new LossResult(total * scale, LossValues.gradient(prediction, g));
    }

    @Override public String describe() { return "L1Loss(reduction=" + reduction.pytorchName() + ")"; }

    @Override public String toString() { return describe(); }
}
