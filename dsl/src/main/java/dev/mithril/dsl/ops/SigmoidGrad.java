package dev.mithril.dsl.ops;

/** Backward of {@link Sigmoid}: {@code g · y · (1 - y)}, from the sigmoid's output y. Inputs {@code (y, g)} of one shape. */
public record SigmoidGrad() implements ActivationGradient {
    public String kind() { return "sigmoid_grad"; }
}
