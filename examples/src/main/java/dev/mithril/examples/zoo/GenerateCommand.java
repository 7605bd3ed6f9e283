package dev.mithril.examples.zoo;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.examples.cli.Command;
import dev.mithril.examples.cli.Options;
import dev.mithril.examples.cli.SystemInfo;
import dev.mithril.examples.cli.TextTable;
import dev.mithril.examples.cli.Timing;
import dev.mithril.examples.cli.UsageException;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Safetensors;
import dev.mithril.runtime.Tensor;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code mithril generate}: autoregressive generation with the zoo's GPT decoder, timed, with the key-value
 * cache (the compiled decoder with caches, {@link CompiledDecoder}, per level; and the hand-written {@link GptDecoder} once)
 * and/or without it (the compiled model's forward pass over the whole sequence per new token), printing new tokens
 * per second for each mode and level.
 */
public final class GenerateCommand implements Command {
    private final PrintStream out;

    public GenerateCommand() { this(System.out); }

    GenerateCommand(PrintStream out) { this.out = out; }

    @Override public String name() { return "generate"; }

    @Override public String summary() { return "generate tokens with the GPT decoder, with and without the key-value cache, and time it"; }

    @Override public String usage() {
        return """
                usage: mithril generate [options]

                Compiles the zoo's GPT decoder (nanoGPT: dev.mithril.examples.zoo.Zoo.gpt), fills it with random weights
                (seeded) or --weights, makes a random prompt of --prompt-length ids per sequence, and generates --tokens
                new tokens per sequence. Prints, per mode and level, the wall time of one generation (after one untimed
                warm-up generation) and new tokens per second (batch x tokens / time, the prompt's processing included),
                and the first sequence's new tokens.
                  With the cache, each new token costs one position: the decoder with caches compiled at --level
                  (Zoo.gptCached: the prompt in one pass, then a position per token), and once the same decoder written
                  by hand on the runtime's kernels ("hand-written", the same passes). Without it, every new token
                  re-runs the compiled forward pass at --level, with the output head on the last position only.

                options:
                  --batch N            sequences generated together (default 1)
                  --prompt-length N    prompt ids per sequence (default 16)
                  --tokens N           new tokens per sequence (default 32)
                  --cache, --no-cache  with the key-value cache, without it, or both when both are given (default --cache)
                  --level LIST         none, basic, full or all: levels of the compiled model (default full)
                  --temperature X      0 picks the most likely token (default); above 0 samples softmax(logits / X)
                  --top-k N            sample among the N most likely tokens only; 0: all (default 0)
                  --seed N             seed of the weights, the prompt and the sampling (default 0)
                  --weights FILE       nanoGPT weights as safetensors (a duplicate lm_head.weight is dropped: it is tied to wte)
                  --vocab N, --block-size N, --layers N, --heads N, --width N
                                       the model's size (default 50257, 1024, 6, 8, 512)
                  --help, -h           this text
                """;
    }

    /** Parsed options. */
    record Settings(GptConfig config, int batch, int promptLength, int tokens, boolean cache, boolean noCache, List<Level> levels,
                    Sampling sampling, long seed, Path weights) {}

    static Settings parse(String[] args) {
        Options o = Options.parse("generate", args, Set.of("batch", "prompt-length", "tokens", "level", "temperature", "top-k", "seed",
                "weights", "vocab", "block-size", "layers", "heads", "width"), Set.of("cache", "no-cache"));
        if (o.help()) return null;
        GptConfig s = GptConfig.SEED;
        GptConfig c;
        try {
            c = new GptConfig(o.intValue("vocab", s.vocabSize(), 1), o.intValue("block-size", s.blockSize(), 1), o.intValue("layers", s.nLayer(), 1),
                    o.intValue("heads", s.nHead(), 1), o.intValue("width", s.dModel(), 1));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        int prompt = o.intValue("prompt-length", 16, 1), tokens = o.intValue("tokens", 32, 1);
        if (prompt + tokens > c.blockSize()) throw new UsageException("--prompt-length " + prompt + " plus --tokens " + tokens
                + " exceed the block size " + c.blockSize() + " (the positions the model knows)");
        double temperature;
        try {
            temperature = Double.parseDouble(o.get("temperature", "0"));
        } catch (NumberFormatException e) {
            throw new UsageException("option --temperature: expected a number, got '" + o.get("temperature", "") + "'");
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new UsageException("option --temperature: must be 0 or positive, got " + temperature);
        long seed;
        try {
            seed = Long.parseLong(o.get("seed", "0"));
        } catch (NumberFormatException e) {
            throw new UsageException("option --seed: expected an integer, got '" + o.get("seed", "") + "'");
        }
        List<Level> levels = o.choices("level", List.of("full"), List.of("none", "basic", "full"), true).stream()
                .map(l -> Level.valueOf(l.toUpperCase(Locale.ROOT))).toList();
        boolean noCache = o.has("no-cache"), cache = o.has("cache") || !noCache;
        Path weights = o.has("weights") ? Path.of(o.get("weights", "")) : null;
        if (weights != null && !Files.isRegularFile(weights)) throw new UsageException("--weights: no such file: " + weights);
        return new Settings(c, o.intValue("batch", 1, 1), prompt, tokens, cache, noCache, levels,
                new Sampling(temperature, o.intValue("top-k", 0, 0), seed), seed, weights);
    }

    @Override public int run(String[] args) {
        Settings s = parse(args);
        if (s == null) { out.print(usage()); return 0; }
        GptConfig c = s.config();
        out.printf("GPT %s, Java backend, %s, %d threads; JDK %s%n", c, SystemInfo.hardware(), SystemInfo.threads(), Runtime.version());
        out.printf("batch %d, prompt %d, %d new tokens, %s; %s weights%n%n", s.batch(), s.promptLength(), s.tokens(),
                s.sampling().isGreedy() ? "greedy" : "temperature " + s.sampling().temperature() + ", top-k " + s.sampling().topK()
                        + ", seed " + s.sampling().seed(), s.weights() != null ? s.weights().toString() : "random (seed " + s.seed() + ")");
        Tensor prompt = randomPrompt(s.seed(), s.batch(), s.promptLength(), c.vocabSize());
        TextTable table = new TextTable("Mode", "Level", "Time (s)", "New tokens/s", "ms per new token", "First sequence's new tokens");
        Map<String, Tensor> weights = s.weights() != null ? nanoGptWeights(s.weights()) : null;
        int maxLength = s.promptLength() + s.tokens();
        boolean handDone = false;
        for (Level level : s.levels()) {
            try (CompiledModel model = Mithril.compile(Zoo.gptLast(c), Backend.JAVA, level)) {
                if (weights != null) model.load(weights);
                else if (model instanceof dev.mithril.runtime.AbstractCompiledModel m) m.initialize(s.seed());
                if (s.cache()) {
                    try (CompiledDecoder decoder = new CompiledDecoder(c, level, model.parameters(), s.batch(), maxLength)) {
                        row(table, "cache", level.classToken(), s, () -> Generation.withCache(decoder, prompt, s.tokens(), s.sampling()));
                    }
                    if (!handDone) {
                        GptDecoder byHand = new GptDecoder(c, model.parameters(), s.batch(), maxLength);
                        row(table, "cache", "hand-written", s, () -> Generation.withCache(byHand, prompt, s.tokens(), s.sampling()));
                        handDone = true; // the same code whatever the level
                    }
                }
                if (s.noCache()) row(table, "no cache", level.classToken(), s, () -> Generation.withoutCache(model, prompt, s.tokens(), s.sampling()));
            }
        }
        out.print(table);
        return 0;
    }

    private void row(TextTable table, String mode, String level, Settings s, java.util.function.Supplier<Tensor> generate) {
        Tensor[] result = new Tensor[1];
        Timing.Samples t = Timing.measure(1, 1, () -> result[0] = generate.get(), Timing.SYSTEM);
        double seconds = t.medianNanos() / 1e9;
        long[] ids = result[0].longs();
        int len = s.promptLength() + s.tokens();
        long[] fresh = Arrays.copyOfRange(ids, s.promptLength(), Math.min(len, s.promptLength() + 12));
        String shown = Arrays.toString(fresh) + (s.tokens() > 12 ? " ..." : "");
        table.row(mode, level, String.format("%.3f", seconds), String.format("%,.1f", s.batch() * (double) s.tokens() / seconds),
                String.format("%.2f", seconds * 1e3 / s.tokens()), shown);
    }

    static Tensor randomPrompt(long seed, int batch, int length, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] ids = new long[batch * length];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(vocab);
        return Tensor.ofLongs(ids, batch, length);
    }

    /** The tensors of a nanoGPT safetensors file, without {@code lm_head.weight}: it is {@code transformer.wte.weight} again. */
    static Map<String, Tensor> nanoGptWeights(Path file) {
        Map<String, Tensor> all = new LinkedHashMap<>(Safetensors.read(file));
        all.remove("lm_head.weight");
        return all;
    }
}
