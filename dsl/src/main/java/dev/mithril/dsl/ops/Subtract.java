package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Elementwise difference (first minus second) of two tensors, with NumPy broadcasting. */
public record Subtract() implements Op {
    public String kind() { return "sub"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 2);
        Rules.sameDtype(inputs.get(0), inputs.get(1));
        return inputs.get(0).type().withDims(Rules.broadcast(inputs.get(0), inputs.get(1)));
    }

    public boolean isElementwise() { return true; }

    /** The Java operator this op is, for fused loops. */
    public String symbol() { return "-"; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.sumTo(grad, node.input(0)), g.sumTo(g.negate(grad), node.input(1)));
    }
}
