package dev.mithril.runtime.train;

import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import java.util.Map;

/**
 * Stochastic gradient descent as {@code torch.optim.SGD} (1.13): weight decay added to the gradient,
 * momentum buffer initialized to the first gradient, dampening, Nesterov momentum.
 *
 * <pre>{@code
 * Optimizer opt = Sgd.lr(0.05).momentum(0.9).nesterov(true).weightDecay(5e-4);
 * }</pre>
 */
public final class Sgd implements Optimizer {
    private static final String WHERE = "Sgd";
    private double lr;
    private double momentum, dampening, weightDecay;
    private boolean nesterov;
    private final OptimizerState state = new OptimizerState(WHERE);

    private Sgd(double lr) {
        OptimizerState.checkRange(WHERE, "lr", lr, 0, Double.MAX_VALUE);
        this.lr = lr;
    }

    /** Plain SGD with learning rate {@code lr}; add momentum and the rest with the methods below. */
    public static Sgd lr(double lr) { return new Sgd(lr); }

    /** Momentum factor (default 0: none). */
    public Sgd momentum(double momentum) {
        OptimizerState.checkRange(WHERE, "momentum", momentum, 0, Double.MAX_VALUE);
        this.momentum = momentum;
        return this;
    }

    /** Dampening of the gradient in the momentum buffer (default 0). */
    public Sgd dampening(double dampening) {
        this.dampening = dampening;
        return this;
    }

    /** Nesterov momentum (default off); needs momentum and no dampening, as PyTorch. */
    public Sgd nesterov(boolean nesterov) {
        this.nesterov = nesterov;
        return this;
    }

    /** L2 penalty added to the gradient (default 0). */
    public Sgd weightDecay(double weightDecay) {
        OptimizerState.checkRange(WHERE, "weight decay", weightDecay, 0, Double.MAX_VALUE);
        this.weightDecay = weightDecay;
        return this;
    }

    @Override public void step(Map<String, Tensor> parameters, Map<String, Tensor> gradients) {
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalStateException(WHERE + ": Nesterov momentum requires a momentum and zero dampening (momentum="
                    + momentum + ", dampening=" + dampening + ")");
        }
        for (Map.Entry<String, Tensor> e : gradients.entrySet()) {
            String name = e.getKey();
            Tensor p = parameters.get(name), g = e.getValue();
            if (p == null) throw new IllegalArgumentException(WHERE + ": gradient for " + name + " but no such parameter");
            state.check(name, p, g);
            Tensor buf = null;
            boolean first = false;
            if (momentum != 0) {
                buf = state.get(name, "momentum_buffer");
                if (buf == null) {
                    first = true;
                    buf = Tensor.zeros(p.dtype(), p.shape());
                    state.put(name, "momentum_buffer", buf);
                }
            }
            if (p.dtype() == DType.F64) {
                UpdateKernels.sgd(p.doubles(), g.doubles(), buf == null ? null : buf.doubles(), first, lr, weightDecay, momentum, dampening, nesterov);
            } else {
                UpdateKernels.sgd(p.data(), g.data(), buf == null ? null : buf.data(), first, (float) lr, (float) weightDecay,
                        (float) momentum, (float) dampening, nesterov);
            }
        }
    }

    @Override public double learningRate() { return lr; }

    @Override public void setLearningRate(double lr) {
        OptimizerState.checkRange(WHERE, "lr", lr, 0, Double.MAX_VALUE);
        this.lr = lr;
    }

    @Override public Map<String, Tensor> state() { return state.export(); }

    @Override public void loadState(Map<String, Tensor> s) { state.load(s); }

    @Override public String describe() {
        return "Sgd(lr=" + lr + ", momentum=" + momentum + ", dampening=" + dampening + ", nesterov=" + nesterov
                + ", weightDecay=" + weightDecay + ")";
    }

    @Override public String toString() { return describe(); }
}
