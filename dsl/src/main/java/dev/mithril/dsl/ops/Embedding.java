package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Embedding lookup, as PyTorch's {@code nn.Embedding}: inputs ids (int64, any shape) and table {@code [V, D]};
 * output {@code ids.shape + [D]}, row {@code ids[i]} of the table. The ids get no gradient; the table's is
 * the output gradient scatter-added at the ids.
 */
public record Embedding() implements Op {
    public String kind() { return "embedding"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 2);
        Node ids = inputs.get(0), table = inputs.get(1);
        if (ids.type().dtype() != DType.I64) throw ShapeError.dtype("needs int64 ids; '" + ids.name() + "' is " + ids.type());
        Rules.floating(table);
        if (table.type().rank() != 2) throw ShapeError.mismatch("needs a table of rank 2 [vocab, dim]; '" + table.name() + "' is " + table.type());
        List<Dim> dims = new ArrayList<>(ids.type().dims());
        dims.add(table.type().dim(1));
        return table.type().withDims(dims);
    }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return Arrays.asList(null, g.add("dtable", new EmbeddingGrad(), grad, node.input(0), node.input(1)));
    }
}
