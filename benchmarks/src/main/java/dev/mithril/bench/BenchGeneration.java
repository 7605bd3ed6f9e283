package dev.mithril.bench;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.examples.cli.Timing;
import dev.mithril.examples.zoo.Generation;
import dev.mithril.examples.zoo.CompiledDecoder;
import dev.mithril.examples.zoo.GptDecoder;
import dev.mithril.examples.zoo.Sampling;
import dev.mithril.examples.zoo.Zoo;
import dev.mithril.runtime.AbstractCompiledModel;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;

/**
 * One generation subject of {@code --mode generation}: the benchmark transformer compiled at one level with random
 * weights, a random prompt of {@link #PROMPT} tokens per sequence, and greedy decoding of {@link #NEW_TOKENS}
 * tokens with the KV cache (the decoder with caches compiled at the same level, {@link CompiledDecoder}) or without
 * it (the compiled forward pass per token).
 */
final class BenchGeneration implements AutoCloseable {
    static final int PROMPT = 16, NEW_TOKENS = 32;

    private final CompiledModel model;
    private final CompiledDecoder decoder;
    private final GptDecoder handWritten;
    private final Tensor prompt;
    private final Sampling greedy = Sampling.greedy();

    private BenchGeneration(CompiledModel model, Level level, int batch) {
        this.model = model;
        this.decoder = new CompiledDecoder(Workload.GPT, level, model.parameters(), batch, PROMPT + NEW_TOKENS);
        this.handWritten = new GptDecoder(Workload.GPT, model.parameters(), batch, PROMPT + NEW_TOKENS);
        this.prompt = Subject.tokens(3, Workload.GPT.vocabSize(), batch, PROMPT);
    }

    /**
     * The transformer at {@code level} for {@code batch} sequences. The sequence length is left symbolic, as
     * {@code mithril generate} compiles it: without a cache every token runs the model on a longer sequence.
     */
    static BenchGeneration of(Level level, int batch) {
        CompiledModel m = Mithril.compile(Zoo.gptLast(Workload.GPT), Backend.JAVA, level);
        if (m instanceof AbstractCompiledModel a) a.initialize(0);
        return new BenchGeneration(m, level, batch);
    }

    /** One whole generation with the cache; returns the last new token of the first sequence. */
    long withCache() {
        Tensor out = Generation.withCache(decoder, prompt, NEW_TOKENS, greedy);
        return out.longs()[PROMPT + NEW_TOKENS - 1];
    }

    /** One whole generation with the hand-written cached decoder ({@link GptDecoder}); returns the last new token of the first sequence. */
    long withHandWrittenCache() {
        Tensor out = Generation.withCache(handWritten, prompt, NEW_TOKENS, greedy);
        return out.longs()[PROMPT + NEW_TOKENS - 1];
    }

    /** One whole generation without the cache; returns the last new token of the first sequence. */
    long withoutCache() {
        Tensor out = Generation.withoutCache(model, prompt, NEW_TOKENS, greedy);
        return out.longs()[PROMPT + NEW_TOKENS - 1];
    }

    /** New tokens per second over the whole batch at the median generation time. */
    static double tokensPerSecond(int batch, Timing.Samples s) {
        return batch * (double) NEW_TOKENS / (s.medianNanos() / 1e9);
    }

    @Override public void close() {
        decoder.close();
        model.close();
    }
}
