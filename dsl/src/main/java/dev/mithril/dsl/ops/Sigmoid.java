package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import java.util.List;

/** Elementwise logistic sigmoid, 1/(1+exp(-x)). */
public record Sigmoid() implements Activation {
    public String kind() { return "sigmoid"; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.add("sigmoid_grad", new SigmoidGrad(), node, grad));
    }
}
