package dev.mithril.dsl.ops;

/** Backward of {@link Gelu}: {@code g · (Φ(x) + x·φ(x))}, from the GELU's input x. Inputs {@code (x, g)} of one shape. */
public record GeluGrad() implements ActivationGradient {
    public String kind() { return "gelu_grad"; }
}
