package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * A trainable tensor, named as PyTorch names it ({@code layers.0.weight}). {@code fanIn} drives the
 * default initialization (uniform in ±1/sqrt(fanIn), PyTorch's {@code nn.Linear} default).
 */
public record Parameter(String paramName, TensorType type, long fanIn) implements Op {
    public String kind() { return "parameter"; }
    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 0);
        if (!type.isFixed()) throw dev.mithril.dsl.ir.ShapeError.attribute("parameter shape " + type + " must be fixed");
        return type;
    }
    public String attributes() { return "name=" + paramName + ", type=" + type; }
    public boolean isPure() { return false; }

    /** A leaf: no inputs, so no input gradients. */
    public List<Node> vjp(dev.mithril.dsl.ir.GradientBuilder g, Node node, Node grad) { return List.of(); }
}
