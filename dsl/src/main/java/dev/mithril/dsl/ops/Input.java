package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** A model input of a declared type. */
public record Input(TensorType type) implements Op {
    public String kind() { return "input"; }
    public TensorType infer(List<Node> inputs) { Rules.arity(inputs, 0); return type; }
    public String attributes() { return "type=" + type; }
    public boolean isPure() { return false; }

    /** A leaf: no inputs, so no input gradients. */
    public List<Node> vjp(dev.mithril.dsl.ir.GradientBuilder g, Node node, Node grad) { return List.of(); }
}
