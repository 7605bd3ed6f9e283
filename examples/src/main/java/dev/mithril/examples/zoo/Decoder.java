package dev.mithril.examples.zoo;

import dev.mithril.runtime.Tensor;

/**
 * A GPT decoder that takes one position at a time and keeps each layer's keys and values, so that a new token
 * costs one position's work. {@link CompiledDecoder} is the compiler's (per level); {@link GptDecoder} the same
 * computation written by hand on the runtime's kernels, kept as the baseline it is measured against.
 */
public interface Decoder {
    GptConfig config();

    /** Sequences decoded together. */
    int batch();

    /** Positions fed so far: the next {@link #step} fills position {@code length()}. */
    int length();

    /** Forgets the cached positions, to start new sequences. */
    void reset();

    /**
     * Feeds token {@code tokens[b]} of each sequence at position {@link #length()} and returns the logits for the
     * next token, {@code [B, vocab]}, or null when {@code wantLogits} is false (prompt positions before the last need
     * only their keys and values). The returned tensor may be overwritten by the next step.
     */
    Tensor step(long[] tokens, boolean wantLogits);

    /**
     * Feeds a whole prompt, int64 {@code [B, P]}, from position {@link #length()} on, and returns the logits for the
     * token after it, {@code [B, vocab]}. This default feeds one position at a time; a decoder that can take all
     * positions in one pass (prefill) overrides it.
     */
    default Tensor prompt(Tensor ids) {
        checkPrompt(ids);
        int b = ids.dim(0), p = ids.dim(1);
        long[] all = ids.longs(), tokens = new long[b];
        Tensor logits = null;
        for (int t = 0; t < p; t++) {
            for (int r = 0; r < b; r++) tokens[r] = all[r * p + t];
            logits = step(tokens, t == p - 1);
        }
        return logits;
    }

    /** Throws, naming this decoder, unless {@code ids} is an int64 prompt {@code [batch(), P >= 1]}. */
    default void checkPrompt(Tensor ids) {
        if (ids.dtype() != dev.mithril.runtime.DType.I64 || ids.rank() != 2 || ids.dim(0) != batch() || ids.dim(1) < 1) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".prompt: ids must be int64 [" + batch() + ", P >= 1], got "
                    + ids.dtype().safetensorsName() + " " + Tensor.shapeString(ids.shape()));
        }
    }
}
