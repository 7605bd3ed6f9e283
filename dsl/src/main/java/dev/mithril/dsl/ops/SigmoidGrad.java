package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Backward of {@link Sigmoid}: {@code g · y · (1 - y)}, from the sigmoid's output y. Inputs {@code (y, g)} of one shape. */
public record SigmoidGrad() implements Op {
    public String kind() { return "sigmoid_grad"; }

    public TensorType infer(List<Node> inputs) {
        return Rules.activationGradient(inputs);
    }

    public boolean isElementwise() { return true; }
}
