package dev.mithril.runtime.train;

import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;

/**
 * A loss that is a sum of one term per element of a prediction and a target of its shape ({@link L1Loss},
 * {@link MseLoss}, {@link BceWithLogits}): the pass over the elements, the reduction and the description are here, the
 * term and its derivative in the subclass.
 */
abstract class PointwiseLoss implements Loss {
    private final String name;
    private final String inputName;
    private final Reduction reduction;

    /** {@code name} heads errors and the description; {@code inputName} is what errors call the prediction. */
    PointwiseLoss(String name, String inputName, Reduction reduction) {
        this.name = name;
        this.inputName = inputName;
        this.reduction = reduction;
    }

    /** The loss term of one prediction value {@code x} against its target {@code t}. */
    abstract double term(double x, double t);

    /** d term / d x at {@code (x, t)}. */
    abstract double slope(double x, double t);

    @Override public final LossResult forward(Tensor prediction, Tensor target) {
        LossValues.sameShape(name, prediction, target);
        if (direct(prediction, target)) {
            Tensor gradient = Tensor.zeros(prediction.dtype(), prediction.shape());
            return new LossResult(forwardInto(prediction, target, gradient), gradient);
        }
        double[] x = LossValues.values(name, inputName, prediction), t = LossValues.values(name, "target", target);
        double scale = reduction == Reduction.MEAN ? 1.0 / x.length : 1.0;
        double[] g = new double[x.length];
        double total = 0;
        for (int i = 0; i < x.length; i++) {
            total += term(x[i], t[i]);
            g[i] = slope(x[i], t[i]) * scale;
        }
        return new LossResult(total * scale, LossValues.gradient(prediction, g));
    }

    /**
     * As {@link #forward}, the gradient written into {@code gradient}; float32 and float64 predictions and targets are
     * read in place (the same double arithmetic, in the same order, as {@link #forward}), so nothing is allocated.
     */
    @Override public final double forwardInto(Tensor prediction, Tensor target, Tensor gradient) {
        LossValues.sameShape(name, prediction, target);
        if (!direct(prediction, target)) return Loss.super.forwardInto(prediction, target, gradient);
        LossValues.checkGradient(name, prediction, gradient);
        int n = prediction.size();
        double scale = reduction == Reduction.MEAN ? 1.0 / n : 1.0;
        double total = 0;
        for (int i = 0; i < n; i++) {
            double x = value(prediction, i), t = value(target, i);
            total += term(x, t);
            double g = slope(x, t) * scale;
            if (gradient.dtype() == DType.F64) gradient.doubles()[i] = g;
            else gradient.data()[i] = (float) g;
        }
        return total * scale;
    }

    private static boolean direct(Tensor prediction, Tensor target) {
        return (prediction.dtype() == DType.F32 || prediction.dtype() == DType.F64) && (target.dtype() == DType.F32 || target.dtype() == DType.F64);
    }

    private static double value(Tensor t, int i) { return t.dtype() == DType.F64 ? t.doubles()[i] : t.data()[i]; }

    @Override public final String describe() { return name + "(reduction=" + reduction.pytorchName() + ")"; }

    @Override public final String toString() { return describe(); }
}
