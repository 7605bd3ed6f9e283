package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * Sums a gradient down to {@code dims}, the shape of an operand that was broadcast to the gradient's
 * shape: over the extra leading axes and over the axes where {@code dims} has a 1. Undoes broadcasting
 * in the backward pass.
 */
public record SumTo(List<Dim> dims) implements Op {
    public SumTo {
        dims = List.copyOf(dims);
    }

    public String kind() { return "sum_to"; }

    public TensorType infer(List<Node> inputs) {
        Node g = Rules.floatingInput(inputs);
        if (!Rules.broadcastsTo(dims, g.type().dims())) throw ShapeError.mismatch("cannot sum '" + g.name() + "' "
                + g.type().shapeString() + " down to " + dims + ": " + dims + " does not broadcast to it");
        return g.type().withDims(dims);
    }

    public String attributes() { return "shape=" + dims.toString().replace(" ", ""); }
}
