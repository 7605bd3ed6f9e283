package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * Broadcasts its input to {@code dims} (NumPy rules) and divides by {@code divisor}: the backward of
 * a sum (divisor 1) or a mean (divisor = how many elements each output averaged, symbolic when a
 * reduced axis is).
 */
public record Expand(List<Dim> dims, Dim divisor) implements Op {
    public Expand {
        dims = List.copyOf(dims);
    }

    public String kind() { return "expand"; }

    public TensorType infer(List<Node> inputs) {
        Node g = Rules.floatingInput(inputs);
        if (!Rules.broadcastsTo(g.type().dims(), dims)) {
            throw ShapeError.mismatch("cannot broadcast '" + g.name() + "' " + g.type().shapeString() + " to " + dims);
        }
        return g.type().withDims(dims);
    }

    public String attributes() { return "shape=" + dims.toString().replace(" ", "") + ", divisor=" + divisor; }
}
