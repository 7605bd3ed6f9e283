package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.runtime.DType;
import java.util.List;

/**
 * Causal multi-head self-attention of new positions against a key-value cache: input {@code qkv [B, T, 3C]} (q, k, v
 * of {@code T} new positions, as {@link CausalAttention} reads them), the caches {@code kCache, vCache [B, heads, Tmax,
 * C/heads]} and the new positions themselves, int64 {@code [T]} (consecutive: {@code p, p+1, ...}). It writes the new
 * keys and values into the caches at those positions, and each new query at position {@code p+i} attends to positions
 * {@code 0..p+i}; the result, heads side by side, is {@code [B, T, C]}. With {@code T} the prompt's length this fills the
 * cache for a prompt in one pass (prefill); with {@code T = 1} a new token costs one position's work.
 *
 * <p>It changes its cache inputs, so it is not pure (never merged with another node) and has no gradient: decoding
 * is inference.
 */
public record CachedAttention(int heads) implements Op {
    public String kind() { return "cached_attention"; }

    public String attributes() { return "heads=" + heads; }

    @Override public boolean isPure() { return false; }

    @Override public boolean isDifferentiable() { return false; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 4);
        Node qkv = inputs.get(0), k = inputs.get(1), v = inputs.get(2), pos = inputs.get(3);
        Rules.floating(qkv);
        Rules.sameDtype(qkv, k);
        Rules.sameDtype(qkv, v);
        if (heads < 1) throw ShapeError.attribute("needs a positive number of heads, got " + heads);
        TensorType t = qkv.type();
        if (t.rank() != 3 || !t.dim(2).isFixed() || t.dim(2).value() % (3L * heads) != 0) {
            throw ShapeError.mismatch("needs qkv [B, T, 3 x heads x head size] (" + heads + " heads); '" + qkv.name() + "' is " + t);
        }
        long c = t.dim(2).value() / 3, hd = c / heads;
        for (Node cache : List.of(k, v)) {
            TensorType ct = cache.type();
            if (ct.rank() != 4 || !ct.dim(0).equals(t.dim(0)) || !ct.dim(1).equals(Dim.of(heads)) || !ct.dim(2).isFixed()
                    || !ct.dim(3).equals(Dim.of(hd))) {
                throw ShapeError.mismatch("needs caches [" + t.dim(0) + ", " + heads + ", Tmax, " + hd + "] for qkv '" + qkv.name() + "' "
                        + t.shapeString() + "; '" + cache.name() + "' is " + ct.shapeString());
            }
        }
        if (!k.type().dims().equals(v.type().dims())) throw ShapeError.mismatch("needs key and value caches of one shape; '" + k.name() + "' is "
                + k.type().shapeString() + ", '" + v.name() + "' " + v.type().shapeString());
        if (pos.type().dtype() != DType.I64 || !pos.type().dims().equals(List.of(t.dim(1)))) {
            throw ShapeError.mismatch("needs the new positions as int64 [" + t.dim(1) + "] for qkv '" + qkv.name() + "' " + t.shapeString()
                    + "; '" + pos.name() + "' is " + pos.type());
        }
        return t.withDims(List.of(t.dim(0), t.dim(1), Dim.of(c)));
    }
}
