package dev.mithril.runtime.train;

/** Mean squared error {@code (prediction - target)^2} ({@code torch.nn.MSELoss}); target of the prediction's shape. */
public final class MseLoss extends PointwiseLoss {
    private MseLoss(Reduction reduction) { super("MseLoss", "prediction", reduction); }

    public static MseLoss mean() { return new MseLoss(Reduction.MEAN); }

    public static MseLoss sum() { return new MseLoss(Reduction.SUM); }

    @Override double term(double x, double t) {
        double d = x - t;
        return d * d;
    }

    @Override double slope(double x, double t) { return 2 * (x - t); }
}
