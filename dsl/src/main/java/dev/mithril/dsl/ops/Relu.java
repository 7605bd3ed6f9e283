package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import java.util.List;

/** Elementwise max(x, 0). */
public record Relu() implements Activation {
    public String kind() { return "relu"; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.add("relu_grad", new ReluGrad(), node, grad));
    }
}
