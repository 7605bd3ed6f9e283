package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * The backward of an {@link Activation}, {@code (a, g)}: {@code a} the forward's input or output, {@code g} the
 * gradient of its output; both floating point, of one dtype and one shape, which is the result's.
 */
interface ActivationGradient extends Op {
    @Override default TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 2);
        Node a = inputs.get(0), g = inputs.get(1);
        Rules.floating(a);
        Rules.sameDtype(a, g);
        if (!a.type().dims().equals(g.type().dims())) throw ShapeError.mismatch("needs '" + a.name() + "' "
                + a.type().shapeString() + " and its gradient '" + g.name() + "' " + g.type().shapeString() + " of one shape");
        return a.type();
    }

    @Override default boolean isElementwise() { return true; }
}
