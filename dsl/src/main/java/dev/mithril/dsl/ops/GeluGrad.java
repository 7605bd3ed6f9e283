package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Backward of {@link Gelu}: {@code g · (Φ(x) + x·φ(x))}, from the GELU's input x. Inputs {@code (x, g)} of one shape. */
public record GeluGrad() implements Op {
    public String kind() { return "gelu_grad"; }

    public TensorType infer(List<Node> inputs) {
        return Rules.activationGradient(inputs);
    }

    public boolean isElementwise() { return true; }
}
