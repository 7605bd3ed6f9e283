package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * Backward of {@link Slice}: inputs {@code (gradOut, x)}; zeros shaped like x with the output gradient
 * written at the sliced positions (x is read for its shape only).
 */
public record SliceGrad(Slice slice) implements Op {
    public String kind() { return "slice_grad"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 2);
        Node grad = inputs.get(0), x = inputs.get(1);
        Spatial.gradientOf(grad, slice.infer(List.of(x)), "the slice of '" + x.name() + "'");
        return x.type();
    }

    public String attributes() { return slice.attributes(); }
}
