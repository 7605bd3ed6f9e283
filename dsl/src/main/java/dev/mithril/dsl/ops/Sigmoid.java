package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Elementwise logistic sigmoid, 1/(1+exp(-x)). */
public record Sigmoid() implements Op {
    public String kind() { return "sigmoid"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 1);
        Rules.floating(inputs.get(0));
        return inputs.get(0).type();
    }

    public boolean isElementwise() { return true; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.add("sigmoid_grad", new SigmoidGrad(), node, grad));
    }
}
