package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Backward of {@link Sigmoid}: {@code g · y · (1 - y)}, from the sigmoid's output y. Inputs {@code (y, g)} of one shape. */
public record SigmoidGrad() implements Op {
    public String kind() { return "sigmoid_grad"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 2);
        Node a = inputs.get(0), g = inputs.get(1);
        Rules.floating(a);
        Rules.sameDtype(a, g);
        if (!a.type().dims().equals(g.type().dims())) throw ShapeError.mismatch("needs '" + a.name() + "' "
                + a.type().shapeString() + " and its gradient '" + g.name() + "' " + g.type().shapeString() + " of one shape");
        return a.type();
    }

    public boolean isElementwise() { return true; }
}
