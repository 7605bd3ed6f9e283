package dev.mithril.dsl.ops;

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
}
