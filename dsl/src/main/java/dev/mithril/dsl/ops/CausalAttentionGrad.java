package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * Backward of {@link CausalAttention}: inputs {@code (gradOut, qkv, forward)}, the gradient with respect to
 * qkv ({@code [B, T, 3C]}: dq, dk, dv side by side). {@code forward} is the attention node, whose output and
 * saved log-sum-exp it reads.
 */
public record CausalAttentionGrad(int heads) implements Op {
    public String kind() { return "causal_attention_grad"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 3);
        Node grad = inputs.get(0), qkv = inputs.get(1), forward = inputs.get(2);
        if (!forward.op().equals(new CausalAttention(heads)) || forward.inputs().get(0) != qkv)
            throw ShapeError.attribute("reads '" + forward.name() + "', which is not the causal attention of '" + qkv.name() + "' with " + heads + " heads");
        Spatial.gradientOf(grad, forward.type(), "'" + forward.name() + "'");
        return qkv.type();
    }

    public String attributes() { return "heads=" + heads; }
}
