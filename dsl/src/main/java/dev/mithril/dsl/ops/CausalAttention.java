package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * Causal multi-head self-attention as nanoGPT computes it from the fused projection: input qkv
 * {@code [B, T, 3C]} holds q, k, v in that order; each is viewed as {@code [B, T, heads, C/heads]} and
 * transposed to {@code [B, heads, T, hd]}; the output {@code softmax(q kᵀ / sqrt(hd) + causal mask) v},
 * heads side by side again, is {@code [B, T, C]}.
 */
public record CausalAttention(int heads) implements Op {
    public String kind() { return "causal_attention"; }

    public TensorType infer(List<Node> inputs) {
        Node qkv = Rules.floatingInput(inputs);
        if (heads < 1) throw ShapeError.attribute("needs a positive number of heads, got " + heads);
        TensorType t = qkv.type();
        if (t.rank() != 3 || !t.dim(2).isFixed()) throw ShapeError.mismatch("needs qkv [B, T, 3C] with a fixed last dimension; '"
                + qkv.name() + "' is " + t);
        long three = t.dim(2).value();
        if (three % (3L * heads) != 0) throw ShapeError.mismatch("needs the last dimension of '" + qkv.name() + "' " + t.shapeString()
                + " to be 3 x heads x head size; " + three + " is not a multiple of 3 x " + heads + " heads");
        return t.withDims(List.of(t.dim(0), t.dim(1), Dim.of(three / 3)));
    }

    public String attributes() { return "heads=" + heads; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        // The forward node's rendering keeps each row's log-sum-exp; the backward recomputes probabilities from it.
        return List.of(g.add("dqkv", new CausalAttentionGrad(heads), grad, node.input(0), node));
    }
}
