package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * A trainable tensor or a buffer, named as PyTorch names it ({@code layers.0.weight},
 * {@code bn1.running_mean}). {@code init} says how the default initialization fills it; with
 * {@link Init#FAN_IN}, {@code fanIn} drives it (uniform in ±1/sqrt(fanIn), PyTorch's {@code nn.Linear} and
 * {@code nn.Conv2d} default; zeros when fanIn is 0).
 */
public record Parameter(String paramName, TensorType type, long fanIn, Init init) implements Op {
    /** How a parameter starts out. */
    public enum Init {
        /** Uniform in ±1/sqrt(fanIn) (zeros without a fan-in). */
        FAN_IN,
        /** Zeros (biases of normalizations, running means, counters). */
        ZEROS,
        /** Ones (weights of normalizations, running variances). */
        ONES,
        /** Standard normal, N(0, 1): {@code nn.Embedding}'s default. */
        NORMAL
    }

    public Parameter {
        java.util.Objects.requireNonNull(init, "init");
    }

    /** A parameter initialized from its fan-in. */
    public Parameter(String paramName, TensorType type, long fanIn) { this(paramName, type, fanIn, Init.FAN_IN); }

    public String kind() { return "parameter"; }
    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 0);
        if (!type.isFixed()) throw dev.mithril.dsl.ir.ShapeError.attribute("parameter shape " + type + " must be fixed");
        return type;
    }
    public String attributes() {
        return "name=" + paramName + ", type=" + type + (init == Init.FAN_IN ? "" : ", init=" + init.name().toLowerCase());
    }
    public boolean isPure() { return false; }

    /** A leaf: no inputs, so no input gradients. */
    public List<Node> vjp(dev.mithril.dsl.ir.GradientBuilder g, Node node, Node grad) { return List.of(); }
}
