package dev.mithril.examples.zoo;

import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import java.util.Map;

/**
 * Autoregressive generation with the GPT decoder, two ways that pick the same tokens: with the key-value
 * cache (a {@link Decoder}, e.g. {@link CompiledDecoder}: one position of work per new token), or without it (the compiled model's whole
 * forward pass over the growing sequence for every token, as nanoGPT's {@code generate} does). Both return the
 * prompt followed by the new tokens, int64 {@code [B, P + newTokens]}.
 *
 * <pre>{@code
 * Tensor ids = Generation.withCache(new CompiledDecoder(cfg, Level.FULL, model.parameters(), 1, 64), prompt, 32, Sampling.greedy());
 * }</pre>
 */
public final class Generation {
    private Generation() {}

    /** Generates with {@code decoder}'s cache (reset first); the decoder's batch must be the prompt's. */
    public static Tensor withCache(Decoder decoder, Tensor prompt, int newTokens, Sampling sampling) {
        int[] s = checkPrompt(prompt, newTokens);
        int b = s[0], p = s[1], vocab = decoder.config().vocabSize();
        if (decoder.batch() != b) throw new IllegalArgumentException("generation: the decoder's batch is " + decoder.batch() + ", the prompt's " + b);
        long[] ids = prompt.longs(), out = new long[b * (p + newTokens)];
        for (int r = 0; r < b; r++) System.arraycopy(ids, r * p, out, r * (p + newTokens), p);
        Sampling.Chooser chooser = sampling.chooser();
        decoder.reset();
        Tensor logits = decoder.prompt(prompt); // the prompt's positions, then one new position per token
        for (int t = p; t < p + newTokens; t++) {
            long[] next = chooser.pick(logits.data(), 0, b, vocab);
            put(out, b, p + newTokens, t, next);
            if (t + 1 < p + newTokens) logits = decoder.step(next, true);
        }
        return Tensor.ofLongs(out, b, p + newTokens);
    }

    /**
     * Generates by running {@code model}'s forward pass (input {@code idx}, output {@code logits}) on the whole sequence
     * per token: {@link Zoo#gptLast}, whose output is the last position's logits, or {@link Zoo#gpt}, whose output has
     * every position's (the last is used).
     */
    public static Tensor withoutCache(CompiledModel model, Tensor prompt, int newTokens, Sampling sampling) {
        int[] s = checkPrompt(prompt, newTokens);
        int b = s[0], p = s[1];
        String input = model.inputNames().getFirst(), output = model.outputNames().getFirst();
        Sampling.Chooser chooser = sampling.chooser();
        Tensor seq = prompt;
        for (int t = p; t < p + newTokens; t++) {
            Tensor logits = model.evaluate(Map.of(input, seq)).get(output);
            int vocab = logits.dim(-1), rows = logits.dim(1); // t, or 1 for Zoo.gptLast
            float[] z = logits.data(), lastRows = new float[b * vocab];
            for (int r = 0; r < b; r++) System.arraycopy(z, (r * rows + rows - 1) * vocab, lastRows, r * vocab, vocab);
            long[] next = chooser.pick(lastRows, 0, b, vocab);
            long[] grown = new long[b * (t + 1)], cur = seq.longs();
            for (int r = 0; r < b; r++) {
                System.arraycopy(cur, r * t, grown, r * (t + 1), t);
                grown[r * (t + 1) + t] = next[r];
            }
            seq = Tensor.ofLongs(grown, b, t + 1);
        }
        return seq;
    }

    private static void put(long[] out, int b, int len, int t, long[] tokens) {
        for (int r = 0; r < b; r++) out[r * len + t] = tokens[r];
    }

    private static int[] checkPrompt(Tensor prompt, int newTokens) {
        if (prompt.dtype() != DType.I64 || prompt.rank() != 2 || prompt.dim(1) < 1) throw new IllegalArgumentException(
                "generation: the prompt must be int64 token ids [B, P] with P >= 1, got " + prompt.dtype().safetensorsName() + " "
                        + Tensor.shapeString(prompt.shape()));
        if (newTokens < 0) throw new IllegalArgumentException("generation: new tokens must not be negative, got " + newTokens);
        return new int[] {prompt.dim(0), prompt.dim(1)};
    }
}
