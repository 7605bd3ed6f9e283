package dev.mithril.runtime.train;

import dev.mithril.runtime.Tensor;
import java.util.Map;

/**
 * Updates parameters from their gradients with PyTorch's formulas. Per-parameter state (momentum, moment
 * estimates, step counts) is created on the first step that sees a parameter and is exported and imported
 * as named tensors for checkpoints ({@code "layers.0.weight.exp_avg"}, ...).
 *
 * <pre>{@code
 * Optimizer opt = AdamW.lr(1e-3).weightDecay(0.01);
 * opt.step(model.parameters(), model.gradients());
 * }</pre>
 */
public interface Optimizer {
    /**
     * Updates, in place, every parameter that has a gradient in {@code gradients} (same name, shape and dtype,
     * F32 or F64); parameters without one (frozen, or buffers) are left alone.
     */
    void step(Map<String, Tensor> parameters, Map<String, Tensor> gradients);

    /** The learning rate the next {@link #step} uses. */
    double learningRate();

    /** Sets the learning rate (what a schedule does before each step). */
    void setLearningRate(double lr);

    /** Copies of the state tensors, named {@code <parameter>.<buffer>}; empty before the first step. */
    Map<String, Tensor> state();

    /** Replaces the state with copies of {@code state} (as exported by {@link #state()}). */
    void loadState(Map<String, Tensor> state);

    /** The kind and every hyperparameter, e.g. {@code "Sgd(lr=0.1, momentum=0.9, ...)"}; stored in checkpoints. */
    String describe();
}
