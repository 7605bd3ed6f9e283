package dev.mithril.processor.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.runtime.DType;
import java.util.List;

/**
 * A chain of elementwise operations computed in one loop over the output: {@code expr} reads the node's
 * inputs (each by its {@link Access}); {@code fused} names the absorbed nodes, in order, for comments;
 * {@code dtype} is the element type of the result (the loop may read no tensor at all: {@code sigmoid(2) + 0.5}).
 */
public record FusedElementwise(Expr expr, List<String> fused, List<Dim> dims, DType dtype) implements Op {
    public FusedElementwise {
        fused = List.copyOf(fused);
        dims = List.copyOf(dims);
        java.util.Objects.requireNonNull(dtype, "dtype");
    }

    /** A float32 loop. */
    public FusedElementwise(Expr expr, List<String> fused, List<Dim> dims) { this(expr, fused, dims, DType.F32); }

    public String kind() { return "fused_elementwise"; }

    public TensorType infer(List<Node> inputs) {
        for (Node in : inputs) {
            if (Access.of(in.type().dims(), dims) == Access.NONE)
                throw dev.mithril.dsl.ir.ShapeError.mismatch("cannot read '" + in.name() + "' " + in.type().shapeString() + " in a loop over " + dims);
        }
        return new TensorType(dtype, dims);
    }

    public String attributes() {
        return "expr=" + expr.toText() + ", fused=" + String.join(",", fused) + (dtype == DType.F32 ? "" : ", dtype=" + dtype.displayName());
    }

    public boolean isElementwise() { return true; }
}
