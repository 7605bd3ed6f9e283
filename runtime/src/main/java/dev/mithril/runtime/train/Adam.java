package dev.mithril.runtime.train;

import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import java.util.Map;

/**
 * Adam as {@code torch.optim.Adam} (1.13): bias-corrected moments, {@code eps} added outside the square
 * root, weight decay as an L2 term on the gradient, optional AMSGrad. {@link AdamW} is the same update with
 * decoupled weight decay.
 *
 * <pre>{@code
 * Optimizer opt = Adam.lr(1e-3).betas(0.9, 0.98).eps(1e-9);
 * }</pre>
 */
public class Adam implements Optimizer {
    private final String kind;
    private final boolean decoupled;
    private double lr;
    private double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay;
    private boolean amsgrad;
    private final OptimizerState state;

    Adam(String kind, boolean decoupled, double lr, double weightDecay) {
        OptimizerState.checkRange(kind, "lr", lr, 0, Double.MAX_VALUE);
        this.kind = kind;
        this.decoupled = decoupled;
        this.lr = lr;
        this.weightDecay = weightDecay;
        this.state = new OptimizerState(kind);
    }

    /** Adam with learning rate {@code lr}, betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public static Adam lr(double lr) { return new Adam("Adam", false, lr, 0); }

    /** The decay rates of the first and second moment estimates, each in [0, 1). */
    public Adam betas(double beta1, double beta2) {
        OptimizerState.checkRange(kind, "beta1", beta1, 0, Math.nextDown(1.0));
        OptimizerState.checkRange(kind, "beta2", beta2, 0, Math.nextDown(1.0));
        this.beta1 = beta1;
        this.beta2 = beta2;
        return this;
    }

    /** The term added to the denominator (outside the square root). */
    public Adam eps(double eps) {
        OptimizerState.checkRange(kind, "eps", eps, 0, Double.MAX_VALUE);
        this.eps = eps;
        return this;
    }

    /** Weight decay: an L2 term on the gradient for Adam, decoupled ({@code p -= lr wd p}) for AdamW. */
    public Adam weightDecay(double weightDecay) {
        OptimizerState.checkRange(kind, "weight decay", weightDecay, 0, Double.MAX_VALUE);
        this.weightDecay = weightDecay;
        return this;
    }

    /** Use the running maximum of the second moment (AMSGrad). */
    public Adam amsgrad(boolean amsgrad) {
        this.amsgrad = amsgrad;
        return this;
    }

    @Override public void step(Map<String, Tensor> parameters, Map<String, Tensor> gradients) {
        for (Map.Entry<String, Tensor> e : gradients.entrySet()) {
            String name = e.getKey();
            Tensor p = parameters.get(name), g = e.getValue();
            if (p == null) throw new IllegalArgumentException(kind + ": gradient for " + name + " but no such parameter");
            state.check(name, p, g);
            Tensor m = state.getOrZeros(name, "exp_avg", p), v = state.getOrZeros(name, "exp_avg_sq", p);
            Tensor vmax = amsgrad ? state.getOrZeros(name, "max_exp_avg_sq", p) : null;
            long t = state.incrementStep(name);
            double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
            double stepSize = lr / bc1, bc2Sqrt = Math.sqrt(bc2);
            double decay = decoupled ? 1 - lr * weightDecay : 1, l2 = decoupled ? 0 : weightDecay;
            if (p.dtype() == DType.F64) {
                UpdateKernels.adam(p.doubles(), g.doubles(), m.doubles(), v.doubles(), vmax == null ? null : vmax.doubles(),
                        decay, l2, beta1, beta2, stepSize, bc2Sqrt, eps);
            } else {
                UpdateKernels.adam(p.data(), g.data(), m.data(), v.data(), vmax == null ? null : vmax.data(), (float) decay,
                        (float) l2, (float) beta1, (float) beta2, (float) stepSize, (float) bc2Sqrt, (float) eps);
            }
        }
    }

    @Override public double learningRate() { return lr; }

    @Override public void setLearningRate(double lr) {
        OptimizerState.checkRange(kind, "lr", lr, 0, Double.MAX_VALUE);
        this.lr = lr;
    }

    @Override public Map<String, Tensor> state() { return state.export(); }

    @Override public void loadState(Map<String, Tensor> s) { state.load(s); }

    @Override public String describe() {
        return kind + "(lr=" + lr + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps + ", weightDecay=" + weightDecay
                + ", amsgrad=" + amsgrad + ")";
    }

    @Override public String toString() { return describe(); }
}
