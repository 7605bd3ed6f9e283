package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Backward of {@link Relu}: {@code g} where the ReLU's output {@code y > 0}, else 0. Inputs {@code (y, g)} of one shape. */
public record ReluGrad() implements Op {
    public String kind() { return "relu_grad"; }

    public TensorType infer(List<Node> inputs) {
        return Rules.activationGradient(inputs);
    }

    public boolean isElementwise() { return true; }
}
