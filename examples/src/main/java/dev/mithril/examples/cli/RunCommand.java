package dev.mithril.examples.cli;

import dev.mithril.dsl.Level;
import dev.mithril.runtime.Tensor;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code mithril run} (also what {@code mithril} alone does): the annotated MLP example at every optimization
 * level and a few batch sizes, timed with the {@link Timing} protocol, as a table of throughput, median latency,
 * speed-up over None, and the largest difference of each level's output from None's.
 */
public final class RunCommand implements Command {
    static final List<Integer> DEFAULT_BATCHES = List.of(32, 128, 1024);
    static final int DEFAULT_RUNS = 10, DEFAULT_WARMUP = 100; // C2 compiles the vector kernels during the first calls (20 was too few for batch 32)

    private final PrintStream out;

    public RunCommand() { this(System.out); }

    RunCommand(PrintStream out) { this.out = out; }

    @Override public String name() { return "run"; }

    @Override public String summary() { return "run the MLP example at levels None, Basic and Full and compare their speed (default)"; }

    @Override public String usage() {
        return """
                usage: mithril [run] [--batch-sizes 32,128,1024] [--runs 10] [--warmup 100] [--warmup-ms 1500]

                Runs the annotated MLP example [784, 1024, 512, 256, 10] (dev.mithril.examples.Mlp), generated for the
                Java backend at levels None, Basic and Full, on random inputs, and prints per batch size and level:
                throughput (samples/s at the median), median latency (ms per batch), speed-up over None, and the
                largest absolute difference of the output from None's.

                options:
                  --batch-sizes LIST  comma-separated batch sizes (default 32,128,1024)
                  --runs N            timed runs per measurement; the median is reported (default 10)
                  --warmup N          untimed runs before timing (default 100)
                  --warmup-ms N       and those go on until they have lasted N ms (default 1500): the JIT
                                      compiles in the background, so a count alone is too short at small batches
                  --help, -h          this text
                """;
    }

    /** Parsed options of {@code run}. */
    record Settings(List<Integer> batches, int runs, int warmup, int warmupMs) {
        /** {@link #warmupMs} in nanoseconds, as {@link Timing#measure} takes it. */
        long minWarmupNanos() { return warmupMs * 1_000_000L; }
    }

    static Settings parse(String[] args) {
        Options o = Options.parse("run", args, Options.names("batch-sizes", "runs", "warmup", "warmup-ms"), Options.names());
        if (o.help()) return null;
        return new Settings(o.intList("batch-sizes", DEFAULT_BATCHES, 1), o.intValue("runs", DEFAULT_RUNS, 1),
                o.intValue("warmup", DEFAULT_WARMUP, 0), o.intValue("warmup-ms", Timing.DEFAULT_WARMUP_MS, 0));
    }

    @Override public int run(String[] args) {
        Settings s = parse(args);
        if (s == null) { out.print(usage()); return 0; }
        out.printf("MLP %s, Java backend, %s, %d threads; JDK %s%n", Arrays.toString(ExampleModels.MLP_WIDTHS),
                SystemInfo.hardware(), SystemInfo.threads(), Runtime.version());
        out.printf("protocol: %d warm-up calls lasting at least %d ms, then the median of %d timed calls (forward only, "
                + "input prepared once)%n%n", s.warmup(), s.warmupMs(), s.runs());
        TextTable t = new TextTable("Batch", "Level", "Throughput (samples/s)", "Latency (ms, median)", "Speed-up vs None",
                "max |out - None|");
        Level[] levels = Level.values();
        ExampleModels.Forward[] models = new ExampleModels.Forward[levels.length];
        try {
            for (int i = 0; i < levels.length; i++) models[i] = ExampleModels.mlp(levels[i]);
            for (int batch : s.batches()) {
                Tensor x = Tensor.random(42, batch, ExampleModels.MLP_WIDTHS[0]);
                float[] reference = null;
                double noneThroughput = 0;
                for (int i = 0; i < levels.length; i++) {
                    ExampleModels.Forward m = models[i];
                    float[] y = m.forward(x).data().clone();
                    if (reference == null) reference = y;
                    Timing.Samples samples = Timing.measure(s.warmup(), s.minWarmupNanos(), s.runs(), 0, () -> m.forward(x),
                            Timing.SYSTEM);
                    double thr = samples.throughput(batch);
                    if (levels[i] == Level.NONE) noneThroughput = thr;
                    t.row(batch, levels[i].classToken(), fmt("%,.0f", thr), fmt("%.3f", samples.medianMillis()),
                            noneThroughput > 0 ? fmt("%.2fx", thr / noneThroughput) : "-", fmt("%.2e", maxAbsDiff(y, reference)));
                }
            }
        } finally {
            for (ExampleModels.Forward m : models) if (m != null) m.close();
        }
        out.print(t);
        return 0;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalStateException("outputs differ in size: " + a.length + " vs " + b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    private static String fmt(String f, Object v) { return String.format(Locale.ROOT, f, v); }
}
