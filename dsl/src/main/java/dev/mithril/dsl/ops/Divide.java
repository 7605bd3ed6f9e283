package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Elementwise quotient (first over second) of two tensors, with NumPy broadcasting. */
public record Divide() implements Op {
    public String kind() { return "div"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 2);
        Rules.sameDtype(inputs.get(0), inputs.get(1));
        return inputs.get(0).type().withDims(Rules.broadcast(inputs.get(0), inputs.get(1)));
    }

    public boolean isElementwise() { return true; }

    /** The Java operator this op is, for fused loops. */
    public String symbol() { return "/"; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        // y = a / b: da = g / b, db = -g·a / b² = -(g·y) / b, reusing the output instead of squaring b.
        Node a = node.input(0), b = node.input(1);
        Node da = g.add("da", new Divide(), grad, b);
        Node db = g.negate(g.add("db", new Divide(), g.add("gy", new Multiply(), grad, node), b));
        return List.of(g.sumTo(da, a), g.sumTo(db, b));
    }
}
