package dev.mithril.examples.zoo;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The GPT decoder with key-value caches, compiled like any model ({@link Zoo#gptCached}, at a backend's level): it
 * owns each layer's key and value caches {@code [B, heads, maxLength, head size]} and feeds them, with new tokens and
 * their positions, to the compiled model: a prompt in one pass (prefill), then one position per new token.
 *
 * <pre>{@code
 * try (CompiledDecoder d = new CompiledDecoder(cfg, Level.FULL, model.parameters(), 1, 64)) {
 *     Tensor ids = Generation.withCache(d, prompt, 32, Sampling.greedy());
 * }
 * }</pre>
 */
public final class CompiledDecoder implements Decoder, AutoCloseable {
    private final GptConfig c;
    private final int batch, maxLength;
    private final CompiledModel step;
    private final Map<String, Tensor> inputs = new LinkedHashMap<>();
    private final long[] idx, pos;
    private final Tensor last;
    private int length;

    /**
     * Compiles the step for {@code batch} sequences of up to {@code maxLength} positions (at most the block size) and
     * loads {@code params}, named as {@link Zoo#gpt} names them (missing or mis-shaped ones are reported by name).
     */
    public CompiledDecoder(GptConfig c, Level level, Map<String, Tensor> params, int batch, int maxLength) {
        this(c, Backend.JAVA, level, params, batch, maxLength);
    }

    public CompiledDecoder(GptConfig c, Backend backend, Level level, Map<String, Tensor> params, int batch, int maxLength) {
        if (batch < 1) throw new IllegalArgumentException("CompiledDecoder: batch must be positive, got " + batch);
        this.c = c;
        this.batch = batch;
        this.maxLength = maxLength;
        this.step = Mithril.compile(Zoo.gptCached(c, maxLength, true), backend, level, Map.of("batch", batch));
        step.load(params);
        idx = new long[batch];
        pos = new long[1];
        inputs.put("idx", Tensor.ofLongs(idx, batch, 1));
        inputs.put("positions", Tensor.ofLongs(pos, 1));
        last = Tensor.zeros(batch, c.vocabSize());
        for (int i = 0; i < c.nLayer(); i++) {
            inputs.put("k" + i, Tensor.zeros(batch, c.nHead(), maxLength, c.headSize()));
            inputs.put("v" + i, Tensor.zeros(batch, c.nHead(), maxLength, c.headSize()));
        }
    }

    @Override public GptConfig config() { return c; }

    @Override public int batch() { return batch; }

    @Override public int length() { return length; }

    /** Positions past {@link #length()} are never read, so the caches need no clearing. */
    @Override public void reset() { length = 0; }

    @Override public Tensor step(long[] tokens, boolean wantLogits) {
        if (tokens.length != batch) throw new IllegalArgumentException("CompiledDecoder.step: " + tokens.length + " tokens for a batch of " + batch);
        System.arraycopy(tokens, 0, idx, 0, batch);
        Tensor logits = run(inputs.get("idx"), inputs.get("positions"));
        return wantLogits ? logits.reshape(batch, c.vocabSize()) : null;
    }

    /** All of the prompt's positions in one pass; the logits of its last position, {@code [B, vocab]}. */
    @Override public Tensor prompt(Tensor ids) {
        checkPrompt(ids);
        int p = ids.dim(1), v = c.vocabSize();
        long[] positions = new long[p];
        for (int i = 0; i < p; i++) positions[i] = length + i;
        Tensor logits = run(ids, Tensor.ofLongs(positions, p));
        System.arraycopy(logits.data(), 0, last.data(), 0, batch * v); // [B, 1, vocab]: the last position's only
        return last;
    }

    /** Runs the compiled model on new tokens {@code [B, T]} at {@code positions [T]}; the last one's logits {@code [B, 1, vocab]}. */
    private Tensor run(Tensor tokens, Tensor positions) {
        int t = tokens.dim(1);
        if (length + t > maxLength) throw new IllegalStateException("CompiledDecoder: the cache holds " + maxLength + " positions, "
                + length + " used; " + t + " more do not fit; reset() first");
        long[] ids = tokens.longs();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= c.vocabSize()) throw new IndexOutOfBoundsException("CompiledDecoder: token " + ids[i]
                    + " of sequence " + i / t + " is outside the vocabulary 0.." + (c.vocabSize() - 1));
        }
        pos[0] = length;
        Map<String, Tensor> in = inputs;
        if (tokens != inputs.get("idx")) {
            in = new LinkedHashMap<>(inputs);
            in.put("idx", tokens);
            in.put("positions", positions);
        }
        Tensor logits = step.evaluate(in).get("logits");
        length += t;
        return logits;
    }

    /** The compiled model (its parameters, level and so on). */
    public CompiledModel model() { return step; }

    @Override public void close() { step.close(); }
}
