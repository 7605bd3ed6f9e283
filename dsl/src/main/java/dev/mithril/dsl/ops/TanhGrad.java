package dev.mithril.dsl.ops;

/** Backward of {@link Tanh}: {@code g · (1 - y²)}, from the tanh's output y. Inputs {@code (y, g)} of one shape. */
public record TanhGrad() implements ActivationGradient {
    public String kind() { return "tanh_grad"; }
}
