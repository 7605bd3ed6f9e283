package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import java.util.List;

/** Elementwise exact GELU, x·Φ(x) with the error function. */
public record Gelu() implements Activation {
    public String kind() { return "gelu"; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.add("gelu_grad", new GeluGrad(), node.input(0), grad));
    }
}
