package dev.mithril.dsl.ops;

/** Backward of {@link Relu}: {@code g} where the ReLU's output {@code y > 0}, else 0. Inputs {@code (y, g)} of one shape. */
public record ReluGrad() implements ActivationGradient {
    public String kind() { return "relu_grad"; }
}
