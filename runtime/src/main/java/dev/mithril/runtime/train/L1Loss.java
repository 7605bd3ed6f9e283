package dev.mithril.runtime.train;

/** Absolute error {@code |prediction - target|} ({@code torch.nn.L1Loss}); its gradient at 0 is 0, as PyTorch's. */
public final class L1Loss extends PointwiseLoss {
    private L1Loss(Reduction reduction) { super("L1Loss", "prediction", reduction); }

    public static L1Loss mean() { return new L1Loss(Reduction.MEAN); }

    public static L1Loss sum() { return new L1Loss(Reduction.SUM); }

    @Override double term(double x, double t) { return Math.abs(x - t); }

    @Override double slope(double x, double t) { return Math.signum(x - t); }
}
