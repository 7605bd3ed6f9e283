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
}
