package dev.mithril.bench;

import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.examples.cli.Options;
import dev.mithril.examples.cli.Timing;
import dev.mithril.examples.cli.UsageException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The options of {@code mithril bench}, parsed and checked. {@code threads} is 0 when not given (keep the
 * runtime's default); {@code out} is null when no files are to be written ({@code --out none}); {@code batches} is empty when
 * {@code --batch-sizes} is not given (each model then runs at its published sizes, {@link #batchesFor}); {@code notes} say what the run leaves out of what was asked (e.g. ND4J, absent, from
 * {@code --backend all}) and go into the report.
 */
public record BenchOptions(List<Workload> models, List<Backend> backends, List<Level> levels, List<Integer> batches,
                           List<Mode> modes, int threads, int runs, int warmup, int warmupMs, int minSampleMs, Format format, Path out,
                           boolean torch, List<String> notes) {
    public static final int DEFAULT_RUNS = 10, DEFAULT_WARMUP = 20; // C2 compiles the vector kernels during the first calls
    /**
     * Inference, training and scaling samples group calls until they last this long (Timing.measure); 0: one call
     * each. One call per sample by default: on this project's shared 2-core VM, 10 ms samples left the medians no
     * steadier from run to run than single calls (docs/BENCHMARKS.md, "Samples of grouped calls").
     */
    public static final int DEFAULT_MIN_SAMPLE_MS = 0;
    /** Where the reports and plots go when {@code --out} is not given. */
    public static final String DEFAULT_OUT = "bench-results";

    /** Output formats of the tables on standard output. */
    public enum Format { TABLE, MARKDOWN, CSV, JSON }

    private static final Set<String> VALUED = Set.of("model", "backend", "level", "batch-sizes", "mode", "threads",
            "runs", "warmup", "warmup-ms", "min-sample-ms", "format", "out", "peers");

    static final String USAGE = """
            usage: mithril bench [--model linear|mlp|resnet18|resnet50|transformer|all] [--backend java|nd4j|all]
                                 [--level none|basic|full|all] [--batch-sizes LIST]
                                 [--mode inference|training|generation|compile|memory|scaling|all]
                                 [--threads N] [--runs 10] [--warmup 20] [--warmup-ms 1500] [--min-sample-ms 0]
                                 [--format table|markdown|csv|json] [--out DIR] [--peers torch]

            Times Mithril's generated models: warm-up calls, then N timed samples; the median is reported with
            min and max. Lists are comma-separated (--model linear,mlp).

            options:
              --model LIST        models (default linear,mlp); resnet18, resnet50 (224x224, 1000 classes) and
                                  transformer (GPT: 6 layers, 8 heads, width 512, vocabulary 50257, sequence 128)
                                  are compiled at run time from the model zoo
              --backend LIST      code-generation backends: java, nd4j (default java). ND4J is optional: ./mithril
                                  puts it on the class path when asked for; all without it runs java only, with
                                  a note. ND4J rows appear in the inference and training tables, and linear and
                                  mlp get the table "Mithril + ND4J vs ND4J by hand"; compile, memory, scaling
                                  and generation time the Java backend only
              --level LIST        optimization levels (default all: none, basic, full)
              --batch-sizes LIST  batch sizes (default per model: linear, mlp 32,128,1024; resnet18 1,32,128;
                                  resnet50 32; transformer 1,16,64)
              --mode LIST         what to measure (default: all that apply to the models, generation only
                                  with the transformer):
                                    inference  throughput and latency per level, the same model hand-written on the
                                               runtime's kernels, the harness's own overhead (an empty model timed
                                               the same way), the levels table, and --peers
                                    compile    per level: the build-time path (javac in-process with the annotation
                                               processor over the model's annotated source, and -proc:only) and the
                                               run-time compiler (passes + rendering; Mithril.compile with javac)
                                    memory     peak heap and off-heap, allocation per call and GC activity while
                                               compiling, during inference and during training steps
                                    scaling    throughput at 1..cores threads (last level given), parallel efficiency
                                    training   one training step (forward, loss, backward, SGD momentum) per level,
                                               samples/s, and --peers torch's step beside it
                                    generation transformer only: prompt of 16 tokens, 32 new ones (greedy), with the
                                               KV cache and without it per level; tokens/s and ms per token
              --threads N         kernel threads (default: -Dmithril.threads or the number of cores)
              --runs N            timed samples per measurement (default 10)
              --warmup N          untimed calls before timing (default 20)
              --warmup-ms N       inference, training, scaling and generation: the warm-up calls go on until they
                                  have lasted N ms (default 1500); the JIT compiles in the background, so a count
                                  alone is too short for small calls (the MLP at batch 32 read 2.4x slow after 20)
              --min-sample-ms N   inference, training and scaling: each sample times as many consecutive
                                  calls as last N ms together (a power of two, found by untimed trials after
                                  the warm-up) and records their mean, for calls too short to time one by one;
                                  the PyTorch peer does the same (default 0: one call per sample)
              --format F          table, markdown, csv or json on standard output (default table)
              --out DIR           also write every format (report.txt, report.md, report.csv, report.json) and the
                                  PNG plots there (default bench-results; --out none writes no files)
              --peers LIST        other frameworks timed in the same sitting: torch (/usr/bin/python3 with PyTorch)
              --help, -h          this text
            """;

    /** {@link #minSampleMs} in nanoseconds, as {@link dev.mithril.examples.cli.Timing#measure} takes it. */
    public long minSampleNanos() { return minSampleMs * 1_000_000L; }

    /** {@link #warmupMs} in nanoseconds, as {@link dev.mithril.examples.cli.Timing#warmUp} takes it. */
    public long minWarmupNanos() { return warmupMs * 1_000_000L; }

    /** The user's batch sizes, or {@code w}'s published ones when none were given. */
    public List<Integer> batchesFor(Workload w) { return batches.isEmpty() ? w.defaultBatches() : batches; }

    /** Parses the arguments after {@code bench}; returns null for {@code --help}. */
    public static BenchOptions parse(String[] args) { return parse(args, Nd4jBench.available()); }

    /** As {@link #parse(String[])}, with {@code nd4jAvailable} saying whether ND4J is on the class path. */
    static BenchOptions parse(String[] args, boolean nd4jAvailable) {
        Options o = Options.parse("bench", args, VALUED, Set.of());
        if (o.help()) return null;
        List<Workload> models = o.choices("model", List.of("linear", "mlp"), Workload.ids(), true).stream()
                .map(Workload::of).toList();
        List<String> backendIds = new ArrayList<>(o.choices("backend", List.of("java"), List.of("java", "nd4j"), true));
        if (backendIds.isEmpty()) throw new UsageException("option --backend: no backend given");
        List<String> notes = new ArrayList<>();
        if (backendIds.contains("nd4j") && !nd4jAvailable) {
            // nd4j named outright is an error; "all" means whatever this class path holds
            boolean named = List.of(o.get("backend", "").toLowerCase(Locale.ROOT).split(",")).stream()
                    .map(String::trim).anyMatch("nd4j"::equals);
            if (named) throw new UsageException("option --backend nd4j: " + Nd4jBench.MISSING);
            backendIds.remove("nd4j");
            notes.add("--backend all ran Java only: " + Nd4jBench.MISSING);
        }
        List<Backend> backends = backendIds.stream().map(s -> Backend.valueOf(s.toUpperCase(Locale.ROOT))).toList();
        List<Level> levels = o.choices("level", List.of("none", "basic", "full"), List.of("none", "basic", "full"), true)
                .stream().map(s -> Level.valueOf(s.toUpperCase(Locale.ROOT))).toList();
        // by default every mode that applies: generation only when the transformer is among the models
        List<String> defaultModes = Mode.ids().stream()
                .filter(m -> !m.equals(Mode.GENERATION.id()) || models.contains(Workload.TRANSFORMER)).toList();
        List<Mode> modes = o.choices("mode", defaultModes, Mode.ids(), true).stream().map(Mode::of).toList();
        List<String> formats = o.choices("format", List.of("table"), List.of("table", "markdown", "csv", "json"), false);
        if (formats.size() != 1) throw new UsageException("option --format: give one format, got " + String.join(",", formats));
        Format format = Format.valueOf(formats.getFirst().toUpperCase(Locale.ROOT));
        List<String> peers = o.choices("peers", List.of(), List.of("torch"), false);
        String out = o.get("out", DEFAULT_OUT);
        return new BenchOptions(models, backends, levels, o.intList("batch-sizes", List.of(), 1), modes,
                o.intValue("threads", 0, 1), o.intValue("runs", DEFAULT_RUNS, 1), o.intValue("warmup", DEFAULT_WARMUP, 0),
                o.intValue("warmup-ms", Timing.DEFAULT_WARMUP_MS, 0), o.intValue("min-sample-ms", DEFAULT_MIN_SAMPLE_MS, 0),
                format, out.equals("none") ? null : Path.of(out), peers.contains("torch"), List.copyOf(notes));
    }
}
