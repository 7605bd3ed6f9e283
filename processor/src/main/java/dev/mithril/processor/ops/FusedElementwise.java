package dev.mithril.processor.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * A chain of elementwise operations computed in one loop over the output: {@code expr} reads the node's
 * inputs (each by its {@link Access}); {@code fused} names the absorbed nodes, in order, for comments.
 */
public record FusedElementwise(Expr expr, List<String> fused, List<Dim> dims) implements Op {
    public FusedElementwise {
        fused = List.copyOf(fused);
        dims = List.copyOf(dims);
    }

    public String kind() { return "fused_elementwise"; }

    public TensorType infer(List<Node> inputs) {
        for (Node in : inputs) {
            if (Access.of(in.type().dims(), dims) == Access.NONE)
                throw dev.mithril.dsl.ir.ShapeError.mismatch("cannot read '" + in.name() + "' " + in.type().shapeString() + " in a loop over " + dims);
        }
        return new TensorType(inputs.isEmpty() ? dev.mithril.runtime.DType.F32 : inputs.get(0).type().dtype(), dims);
    }

    public String attributes() { return "expr=" + expr.toText() + ", fused=" + String.join(",", fused); }

    public boolean isElementwise() { return true; }
}
