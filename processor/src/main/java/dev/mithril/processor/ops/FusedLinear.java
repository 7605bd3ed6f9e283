package dev.mithril.processor.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.dsl.ops.Linear;
import java.util.List;

/**
 * A linear layer with its activation fused into the matrix product's epilogue: {@code activation(x·Wᵀ + b)}.
 * Inputs as {@link Linear}: x, weight and an optional bias. {@code linearName} is the linear node that
 * was absorbed, kept for comments and dumps.
 */
public record FusedLinear(String activation, String linearName) implements Op {
    /** Activations a matrix-product epilogue can apply. */
    public static final List<String> ACTIVATIONS = List.of("relu", "gelu", "sigmoid", "tanh");

    public FusedLinear {
        if (!ACTIVATIONS.contains(activation)) throw new IllegalArgumentException("no epilogue for activation '" + activation + "'");
    }

    public String kind() { return "fused_linear"; }

    public TensorType infer(List<Node> inputs) { return new Linear().infer(inputs); }

    public String attributes() { return "activation=" + activation + ", linear=" + linearName; }
}
