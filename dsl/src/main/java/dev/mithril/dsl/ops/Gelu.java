package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Elementwise exact GELU, x·Φ(x) with the error function. */
public record Gelu() implements Op {
    public String kind() { return "gelu"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 1);
        Rules.floating(inputs.get(0));
        return inputs.get(0).type();
    }

    public boolean isElementwise() { return true; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.add("gelu_grad", new GeluGrad(), node.input(0), grad));
    }
}
