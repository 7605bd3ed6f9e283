package dev.mithril.examples.zoo;

import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ops.CachedAttention;
import dev.mithril.dsl.ops.Slice;
import dev.mithril.runtime.DType;

/**
 * nanoGPT's decoder as a builder function ({@code reference_models.GPT}): token and learned position
 * embeddings added, {@code nLayer} pre-LayerNorm blocks (causal self-attention from the fused {@code c_attn}
 * projection, then an exact-GELU MLP, each added back to the residual stream), a final LayerNorm, and the
 * output head {@code lm_head} tied to the token table: it reads {@code transformer.wte.weight} and has no
 * parameter of its own, exactly as the PyTorch state dict has none.
 *
 * <p>Parameters are added in the order PyTorch registers them, so the graph's parameters come in
 * state-dict order: {@code transformer.wte.weight}, {@code transformer.wpe.weight}, then per block
 * {@code ln_1}, {@code attn.c_attn}, {@code attn.c_proj}, {@code ln_2}, {@code mlp.c_fc}, {@code mlp.c_proj},
 * and {@code transformer.ln_f}.
 */
final class GptBuilder {
    /** The token table; also the output head's weight. */
    static final String WTE = "transformer.wte.weight";

    private GptBuilder() {}

    static Graph build(GptConfig c) { return build(c, false); }

    /**
     * {@link #build(GptConfig)}, or with {@code lastOnly} the same decoder whose output is the last position's logits
     * only, {@code [batch, 1, vocab]}: the last position is sliced out before the final LayerNorm (which works on each
     * position alone), so the output head runs once per sequence instead of T times, as nanoGPT's {@code generate}
     * does ({@code lm_head(x[:, [-1], :])}).
     */
    static Graph build(GptConfig c, boolean lastOnly) {
        int d = c.dModel();
        ModelBuilder m = new ModelBuilder(lastOnly ? "GptLast" : "Gpt");
        Value idx = m.input("idx", DType.I64, "batch", "T");
        Value tok = idx.embedding("transformer.wte", c.vocabSize(), d);
        Value pos = idx.positions(1).embedding("transformer.wpe", c.blockSize(), d);
        Value x = tok.plus(pos);
        for (int i = 0; i < c.nLayer(); i++) {
            String b = "transformer.h." + i + ".";
            Value att = x.layerNorm(b + "ln_1").linear(b + "attn.c_attn", 3 * d).causalAttention(c.nHead()).linear(b + "attn.c_proj", d);
            x = x.plus(att);
            Value mlp = x.layerNorm(b + "ln_2").linear(b + "mlp.c_fc", 4 * d).gelu().linear(b + "mlp.c_proj", d);
            x = x.plus(mlp);
        }
        return withHead(m, x, lastOnly);
    }

    /**
     * The same decoder over new positions with key-value caches ({@link CachedAttention}): inputs {@code idx [batch, T]}
     * (the new tokens of each sequence), {@code positions [T]} (theirs, consecutive) and per layer {@code k<i>, v<i>
     * [batch, heads, maxLength, head size]}, which it writes the new positions into; output {@code logits [batch, T,
     * vocab]}. A prompt goes in at once (T its length), then one token per call (T = 1). Its parameters are
     * {@link #build}'s, by the same names.
     */
    static Graph cached(GptConfig c, int maxLength) { return cached(c, maxLength, false); }

    /**
     * {@link #cached(GptConfig, int)}, or with {@code lastOnly} the logits of the last new position only, {@code [batch,
     * 1, vocab]}: a prompt's pass then runs the output head once per sequence instead of once per prompt position.
     */
    static Graph cached(GptConfig c, int maxLength, boolean lastOnly) {
        if (maxLength < 1 || maxLength > c.blockSize()) throw new IllegalArgumentException("gpt with a cache: maxLength " + maxLength
                + " must be in 1.." + c.blockSize() + " (the block size)");
        int d = c.dModel();
        ModelBuilder m = new ModelBuilder(lastOnly ? "GptCachedLast" : "GptCached");
        Value idx = m.input("idx", DType.I64, "batch", "T");
        Value positions = m.input("positions", DType.I64, "T");
        Value[] k = new Value[c.nLayer()], v = new Value[c.nLayer()];
        for (int i = 0; i < c.nLayer(); i++) {
            k[i] = m.input("k" + i, "batch", c.nHead(), maxLength, c.headSize());
            v[i] = m.input("v" + i, "batch", c.nHead(), maxLength, c.headSize());
        }
        Value x = idx.embedding("transformer.wte", c.vocabSize(), d).plus(positions.embedding("transformer.wpe", c.blockSize(), d));
        for (int i = 0; i < c.nLayer(); i++) {
            String b = "transformer.h." + i + ".";
            Value att = x.layerNorm(b + "ln_1").linear(b + "attn.c_attn", 3 * d).cachedAttention(c.nHead(), k[i], v[i], positions)
                    .linear(b + "attn.c_proj", d);
            x = x.plus(att);
            Value mlp = x.layerNorm(b + "ln_2").linear(b + "mlp.c_fc", 4 * d).gelu().linear(b + "mlp.c_proj", d);
            x = x.plus(mlp);
        }
        return withHead(m, x, lastOnly);
    }

    /**
     * The final LayerNorm and the output head tied to the token table, as output {@code logits}; with {@code lastOnly}
     * on the last position only ({@code x[:, -1:]} first: the LayerNorm works on each position alone).
     */
    private static Graph withHead(ModelBuilder m, Value x, boolean lastOnly) {
        Value last = lastOnly ? x.slice(1, -1, Slice.END) : x;
        m.output("logits", last.layerNorm("transformer.ln_f").linearTied("lm_head", m.node(WTE)));
        return m.build();
    }
}
