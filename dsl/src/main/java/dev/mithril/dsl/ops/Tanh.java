package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import java.util.List;

/** Elementwise hyperbolic tangent. */
public record Tanh() implements Activation {
    public String kind() { return "tanh"; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.add("tanh_grad", new TanhGrad(), node, grad));
    }
}
