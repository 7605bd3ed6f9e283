package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * Backward of {@link Embedding} with respect to the table: inputs {@code (gradOut, ids, table)}; the
 * output gradient's rows scatter-added at the ids into a zero table (the table is read for its shape only).
 */
public record EmbeddingGrad() implements Op {
    public String kind() { return "embedding_grad"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 3);
        Node grad = inputs.get(0), ids = inputs.get(1), table = inputs.get(2);
        Spatial.gradientOf(grad, new Embedding().infer(List.of(ids, table)), "the lookup of '" + ids.name() + "'");
        return table.type();
    }
}
