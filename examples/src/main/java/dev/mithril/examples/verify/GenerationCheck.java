package dev.mithril.examples.verify;

import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.examples.zoo.CompiledDecoder;
import dev.mithril.examples.zoo.Generation;
import dev.mithril.examples.zoo.GptDecoder;
import dev.mithril.examples.zoo.Sampling;
import dev.mithril.examples.zoo.Zoo;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code output.generate} check of a GPT fixture: greedy continuation of the first half of {@code input}
 * by the metadata's {@code generate} tokens, prompt included, without the key-value cache (the compiled
 * model's forward pass per token), with it ({@link CompiledDecoder} at the same backend and level) and with the
 * hand-written cached decoder ({@link GptDecoder}). Token ids must match PyTorch's exactly.
 */
final class GenerationCheck {
    private GenerationCheck() {}

    static List<FixtureCheck.Result> run(ReferenceFixture f, CompiledModel model, Backend backend, Level level, Tensor expected) {
        Tensor input = f.tensor("input");
        int b = input.dim(0), p = input.dim(1) / 2;
        if (p < 1) throw new IllegalArgumentException(f.path() + ": input " + Tensor.shapeString(input.shape()) + " is too short to prompt generation");
        long[] ids = input.longs(), promptIds = new long[b * p];
        for (int r = 0; r < b; r++) System.arraycopy(ids, r * input.dim(1), promptIds, r * p, p);
        Tensor prompt = Tensor.ofLongs(promptIds, b, p);
        List<FixtureCheck.Result> results = new ArrayList<>();
        results.add(compare("generate", expected, Generation.withoutCache(model, prompt, f.generate(), Sampling.greedy())));
        try (CompiledDecoder decoder = new CompiledDecoder(Zoo.gptConfig(f.config()), backend, level, model.parameters(), b, p + f.generate())) {
            results.add(compare("generate.cache", expected, Generation.withCache(decoder, prompt, f.generate(), Sampling.greedy())));
        }
        GptDecoder byHand = new GptDecoder(Zoo.gptConfig(f.config()), model.parameters(), b, p + f.generate());
        results.add(compare("generate.hand", expected, Generation.withCache(byHand, prompt, f.generate(), Sampling.greedy())));
        return results;
    }

    /** Exact comparison of token ids: the "error" is the number of differing ids, and any difference fails. */
    static FixtureCheck.Result compare(String group, Tensor expected, Tensor actual) {
        if (!expected.sameShape(actual)) return new FixtureCheck.Result(group, 1, Double.NaN, "output.generate", "generated "
                + Tensor.shapeString(actual.shape()) + ", PyTorch " + Tensor.shapeString(expected.shape()));
        long[] e = expected.longs(), a = actual.longs();
        int differ = 0, first = -1;
        for (int i = 0; i < e.length; i++) {
            if (e[i] != a[i]) {
                differ++;
                if (first < 0) first = i;
            }
        }
        if (differ == 0) return new FixtureCheck.Result(group, 1, 0, "", null);
        int len = expected.dim(1);
        return new FixtureCheck.Result(group, 1, differ, "output.generate", differ + " of " + e.length + " token ids differ, first at [" + first / len
                + ", " + first % len + "]: " + a[first] + ", PyTorch " + e[first]);
    }
}
