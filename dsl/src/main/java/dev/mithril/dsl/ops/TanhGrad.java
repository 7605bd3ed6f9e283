package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Backward of {@link Tanh}: {@code g · (1 - y²)}, from the tanh's output y. Inputs {@code (y, g)} of one shape. */
public record TanhGrad() implements Op {
    public String kind() { return "tanh_grad"; }

    public TensorType infer(List<Node> inputs) {
        return Rules.activationGradient(inputs);
    }

    public boolean isElementwise() { return true; }
}
