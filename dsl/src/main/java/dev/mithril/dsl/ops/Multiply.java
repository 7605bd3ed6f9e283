package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Elementwise product of two tensors, with NumPy broadcasting. */
public record Multiply() implements Op {
    public String kind() { return "mul"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 2);
        Rules.sameDtype(inputs.get(0), inputs.get(1));
        return inputs.get(0).type().withDims(Rules.broadcast(inputs.get(0), inputs.get(1)));
    }

    public boolean isElementwise() { return true; }

    /** The Java operator this op is, for fused loops. */
    public String symbol() { return "*"; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        Node a = node.input(0), b = node.input(1);
        return List.of(g.sumTo(g.add("da", new Multiply(), grad, b), a), g.sumTo(g.add("db", new Multiply(), grad, a), b));
    }
}
