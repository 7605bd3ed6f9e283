package dev.mithril.runtime;

import java.util.Map;
import java.util.Set;

/**
 * A compiled model that can be trained: generated classes implement it with a backward pass derived
 * at compile time. The protocol of one step is {@link #forwardTrain}, then {@link #backward} with the
 * gradient of the loss with respect to each output, after which {@link #gradients()} holds d loss /
 * d parameter for every trainable parameter (accumulated: call {@link #zeroGrad()} between steps).
 *
 * <pre>{@code
 * Map<String, Tensor> out = model.forwardTrain(Map.of("x", x));
 * model.zeroGrad();
 * model.backward(Map.of("logits", dLogits));
 * Tensor gw = model.gradients().get("layers.0.weight");
 * }</pre>
 */
public interface Trainable extends CompiledModel {
    /**
     * The forward pass in training mode (batch normalization on batch statistics, for example),
     * keeping what {@link #backward} needs. Outputs are valid until the next forward call.
     */
    Map<String, Tensor> forwardTrain(Map<String, Tensor> inputs);

    /**
     * Propagates output gradients (same names and shapes as the outputs of the last
     * {@link #forwardTrain}) back, adding d loss / d parameter into {@link #gradients()} for every
     * trainable parameter and d loss / d input into {@link #inputGradients()} for inputs that ask for it.
     * An output without an entry has gradient zero.
     *
     * @throws IllegalStateException if no {@link #forwardTrain} preceded it
     */
    void backward(Map<String, Tensor> outputGradients);

    /** Gradient tensors of the trainable parameters, named and shaped like {@link #parameters()}; live. */
    Map<String, Tensor> gradients();

    /** Gradients of the inputs marked with {@link #setInputRequiresGrad}; live, valid until the next backward. */
    Map<String, Tensor> inputGradients();

    /** Sets every gradient to zero. */
    void zeroGrad();

    /** Freezes ({@code false}) or unfreezes a parameter; frozen parameters get no gradient and cost nothing in backward. */
    void setTrainable(String parameter, boolean trainable);

    /** Names of the parameters that currently receive gradients. */
    Set<String> trainableParameters();

    /**
     * Tells the model that its parameters were changed in place (an optimizer step, a manual edit), so
     * that anything derived from them (the GEMM-packed weights of Full-level code) is rebuilt before
     * the next forward pass. {@code Trainer} calls it after every update.
     */
    default void parametersChanged() {}

    /** Asks for (or stops asking for) d loss / d input of a model input; inputs are data (no gradient) by default. */
    void setInputRequiresGrad(String input, boolean requiresGrad);
}
