package dev.mithril.examples.zoo;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The GPT decoder's cached decode step compiled like any model ({@link Zoo#gptDecodeStep}, at a backend's level):
 * it owns each layer's key and value caches {@code [B, heads, maxLength, head size]} and feeds them, with the newest
 * tokens and their position, to the compiled step.
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
        this.step = Mithril.compile(Zoo.gptDecodeStep(c, maxLength), backend, level, Map.of("batch", batch));
        step.load(params);
        idx = new long[batch];
        pos = new long[1];
        inputs.put("idx", Tensor.ofLongs(idx, batch, 1));
        inputs.put("pos", Tensor.ofLongs(pos, 1));
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
        if (length >= maxLength) throw new IllegalStateException("CompiledDecoder.step: the cache holds " + maxLength + " positions, all used; reset() first");
        for (int b = 0; b < batch; b++) {
            if (tokens[b] < 0 || tokens[b] >= c.vocabSize()) throw new IndexOutOfBoundsException("CompiledDecoder.step: token " + tokens[b]
                    + " of sequence " + b + " is outside the vocabulary 0.." + (c.vocabSize() - 1));
        }
        System.arraycopy(tokens, 0, idx, 0, batch);
        pos[0] = length;
        Tensor logits = step.evaluate(inputs).get("logits");
        length++;
        return wantLogits ? logits.reshape(batch, c.vocabSize()) : null;
    }

    /** The compiled step (its parameters, source level and so on). */
    public CompiledModel model() { return step; }

    @Override public void close() { step.close(); }
}
