package dev.mithril.bench;

import dev.mithril.dsl.Level;
import dev.mithril.examples.cli.SystemInfo;
import dev.mithril.examples.cli.Timing;
import dev.mithril.runtime.Parallel;
import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs what {@link BenchOptions} asks for and collects a {@link Report} and the {@link Chart}s. Every figure
 * comes from the {@link Timing} protocol; ours and the peer's are measured alternately, batch by batch, in one
 * sitting, because this machine is shared and a figure from another hour means little.
 */
final class BenchRunner {
    private static final double MIB = 1 << 20;

    private final BenchOptions o;
    private final Timing.Clock clock;
    private final PrintStream err;
    private final Report report = new Report();
    private final List<Chart> charts = new ArrayList<>();
    /** Median compile time per "model/level", filled by the compile mode for the levels table. */
    private final Map<String, Double> compileMillis = new HashMap<>();
    private final List<String> skippedSubjects = new ArrayList<>();
    /** Tables in the order measured; those left without rows (everything skipped) are not reported. */
    private final List<Report.Table> tables = new ArrayList<>();
    private Progress progress;
    private TorchPeer torch;
    private String hardware;

    BenchRunner(BenchOptions o, Timing.Clock clock, PrintStream err) {
        this.o = o;
        this.clock = clock;
        this.err = err;
    }

    /** {@code ranSomething}: some asked-for model and mode exist; {@code measured}: some table got a row. */
    record Outcome(Report report, List<Chart> charts, boolean ranSomething, boolean measured) {}

    Outcome run() {
        int savedThreads = Parallel.threads();
        if (o.threads() > 0) Parallel.setThreads(o.threads());
        try {
            return runWithThreads();
        } finally {
            Parallel.setThreads(savedThreads);
        }
    }

    private Outcome runWithThreads() {
        hardware = SystemInfo.cpuModel() + ", " + SystemInfo.cores() + " cores";
        report.environment("Hardware", hardware)
                .environment("Threads", Parallel.threads())
                .environment("JDK", SystemInfo.jdk())
                .environment("Mithril", SystemInfo.mithrilVersion())
                .environment("Vector species", SystemInfo.vectorSpecies())
                .environment("GEMM", "dev.mithril.runtime.Gemm (pure Java, Vector API)")
                .environment("Protocol", o.warmup() + " warm-up calls, then " + o.runs()
                        + " individually timed calls; median reported (min and max beside it)")
                .environment("Date", Instant.now().truncatedTo(ChronoUnit.SECONDS));

        List<Workload> models = new ArrayList<>();
        for (Workload w : o.models()) {
            if (w.available()) models.add(w);
            else report.note(w.id() + ": not available yet: " + w.missing());
        }
        List<Mode> modes = new ArrayList<>();
        for (Mode m : o.modes()) {
            if (m.available()) modes.add(m);
            else report.note(m.id() + ": not available yet: " + m.missing());
        }
        if (models.isEmpty() || modes.isEmpty()) return new Outcome(report, charts, false, false);

        if (o.torch() && (modes.contains(Mode.INFERENCE) || modes.contains(Mode.TRAINING))) {
            try {
                torch = TorchPeer.probe();
                report.environment("PyTorch peer", "torch " + torch.version() + " via " + TorchPeer.PYTHON
                        + " (" + TorchPeer.environmentNote() + " in its environment)");
            } catch (IllegalStateException e) {
                report.note("PyTorch peer skipped: " + e.getMessage());
            }
        }
        progress = new Progress(err, Progress.stderrIsTerminal(), countSteps(models, modes));
        try {
            // compile first, so that the levels table of the inference mode can show compile times
            if (modes.contains(Mode.COMPILE)) compile(models);
            if (modes.contains(Mode.INFERENCE)) inference(models);
            if (modes.contains(Mode.TRAINING)) training(models);
            if (modes.contains(Mode.GENERATION)) generation(models);
            if (modes.contains(Mode.MEMORY)) memory(models);
            if (modes.contains(Mode.SCALING)) scaling(models);
        } finally {
            progress.finish();
        }
        skippedSubjects.forEach(report::note);
        for (Report.Table t : tables) if (!t.rows().isEmpty()) report.table(t);
        return new Outcome(report, charts, true, !report.tables().isEmpty());
    }

    private int countSteps(List<Workload> models, List<Mode> modes) {
        int steps = modes.contains(Mode.INFERENCE) ? 1 : 0, l = o.levels().size();
        for (Workload w : models) {
            int b = o.batchesFor(w).size();
            if (modes.contains(Mode.COMPILE)) steps += l;
            if (modes.contains(Mode.INFERENCE)) steps += b * (l + (w.dense() ? 1 : 0) + (torch != null ? 1 : 0));
            if (modes.contains(Mode.TRAINING)) steps += b * (l + (torch != null ? 1 : 0));
            if (modes.contains(Mode.GENERATION) && w == Workload.TRANSFORMER) steps += b * (l + 1);
            if (modes.contains(Mode.MEMORY)) steps += b * l;
            if (modes.contains(Mode.SCALING)) steps += b * SystemInfo.cores();
        }
        return steps;
    }

    // ------------------------------------------------------------------ inference

    private void inference(List<Workload> models) {
        progress.step("inference: empty model (harness overhead)");
        Timing.Samples empty = measure(Subject::empty);
        double fastestMedianNs = Double.MAX_VALUE;
        List<List<Object>> rows = new ArrayList<>(), cross = new ArrayList<>(), levelRows = new ArrayList<>();
        Level best = o.levels().getLast();
        for (Workload w : models) {
            Chart thr = new Chart("inference_" + w.id(), w.id() + ": inference throughput", "Batch size", "Throughput (samples/s)", true);
            Chart byLevel = new Chart("levels_" + w.id(), w.id() + ": speed by optimization level", "Batch size",
                    "Throughput relative to None (x)", true);
            for (int batch : o.batchesFor(w)) {
                Map<Level, Double> byLevelThr = new HashMap<>();
                for (Level level : o.levels()) {
                    progress.step("inference " + w.id() + " Java/" + level.classToken() + " batch " + batch);
                    Timing.Samples s = measureOrSkip(() -> Subject.of(w, level, batch));
                    if (s == null) continue;
                    fastestMedianNs = Math.min(fastestMedianNs, s.medianNanos());
                    byLevelThr.put(level, s.throughput(batch));
                    rows.add(inferenceRow("Mithril Java/" + level.classToken(), w, batch, s));
                    thr.add("Java/" + level.classToken(), batch, s.throughput(batch));
                }
                // only the dense models have a hand-written twin; the others leave its column empty
                double handThr = Double.NaN;
                if (w.dense()) {
                    progress.step("inference " + w.id() + " hand-written batch " + batch);
                    Timing.Samples hand = measure(() -> Subject.handWritten(w, batch));
                    rows.add(inferenceRow("hand-written on runtime kernels", w, batch, hand));
                    thr.add("hand-written", batch, hand.throughput(batch));
                    handThr = hand.throughput(batch);
                }
                Timing.Samples peer = null;
                if (torch != null) {
                    progress.step("inference " + w.id() + " PyTorch batch " + batch);
                    try {
                        peer = torch.measure(w, batch, Parallel.threads(), o.warmup(), o.runs());
                        rows.add(inferenceRow("PyTorch " + torch.version() + " (CPU)", w, batch, peer));
                        thr.add("PyTorch", batch, peer.throughput(batch));
                    } catch (IllegalStateException e) {
                        report.note("PyTorch peer failed for " + w.id() + " batch " + batch + ": " + e.getMessage());
                    }
                }
                Double none = byLevelThr.get(Level.NONE);
                for (Level level : o.levels()) {
                    Double t = byLevelThr.get(level);
                    if (t == null) continue;
                    double rel = none == null ? Double.NaN : t / none;
                    byLevel.add(level.classToken(), batch, rel);
                    levelRows.add(List.of(w.id(), level.classToken(), batch,
                            compileMillis.getOrDefault(w.id() + "/" + level, Double.NaN), t, rel));
                }
                Double ours = byLevelThr.get(best);
                double oursThr = ours == null ? Double.NaN : ours;
                double peerThr = peer == null ? Double.NaN : peer.throughput(batch);
                cross.add(List.of(w.id(), batch, oursThr, handThr, oursThr / handThr,
                        peerThr, oursThr / peerThr));
            }
            charts.add(thr);
            charts.add(byLevel);
        }
        tables.add(new Report.Table("inference", "Inference",
                List.of("Backend", "Hardware", "Batch Size", "Input/Output Size", "Throughput (samples/s)",
                        "Min (samples/s)", "Max (samples/s)", "Latency (ms)"),
                rows, List.of("Throughput at the median call time; Latency is the median time of one forward call of a whole batch.")));
        tables.add(new Report.Table("levels", "Optimization levels",
                List.of("Model", "Level", "Batch Size", "Compile time (ms)", "Throughput (samples/s)", "Relative speed vs None (x)"),
                levelRows, List.of(compileMillis.isEmpty()
                        ? "Compile time: add --mode compile (e.g. --mode inference,compile) to fill it in."
                        : "Compile time: median Mithril.compile at the first batch size, in-memory javac included.")));
        tables.add(new Report.Table("cross", "Cross-framework (Mithril Java/" + best.classToken() + ")",
                List.of("Model", "Batch Size", "Mithril (samples/s)", "Hand-written (samples/s)", "Mithril / hand-written (x)",
                        "PyTorch (samples/s)", "Mithril / PyTorch (x)"),
                cross, List.of("Hand-written: the same layers on Gemm.linear with pre-packed weights and bias+ReLU fused into "
                        + "the GEMM epilogue, buffers reused.", torch == null
                        ? "PyTorch: not measured (use --peers torch; needs /usr/bin/python3 with torch)."
                        : "PyTorch: same protocol in a separate python3 process, run right after ours at each batch size.")));
        double overheadNs = empty.medianNanos();
        tables.add(new Report.Table("overhead", "Harness overhead",
                List.of("Subject", "Median per call (ns)", "Min (ns)", "Max (ns)", "Share of fastest measured call (%)"),
                List.of(List.of("empty model", overheadNs, (double) empty.minNanos(), (double) empty.maxNanos(),
                        fastestMedianNs == Double.MAX_VALUE ? Double.NaN : 100 * overheadNs / fastestMedianNs)),
                List.of("An empty model timed with the same protocol: the clock reads and the call itself.")));
    }

    private List<Object> inferenceRow(String backend, Workload w, int batch, Timing.Samples s) {
        return List.of(backend, hardware + ", " + Parallel.threads() + " threads", batch, w.ioSize(), s.throughput(batch),
                s.minThroughput(batch), s.maxThroughput(batch), s.medianMillis());
    }

    // ------------------------------------------------------------------ training

    /**
     * One training step per level and batch ({@link TrainingStep}), and PyTorch's step right after ours at each batch
     * size; the cross table sets the last level against PyTorch.
     */
    private void training(List<Workload> models) {
        List<List<Object>> rows = new ArrayList<>(), cross = new ArrayList<>();
        Level best = o.levels().getLast();
        for (Workload w : models) {
            Chart thr = new Chart("training_" + w.id(), w.id() + ": training throughput", "Batch size", "Throughput (samples/s)", true);
            for (int batch : o.batchesFor(w)) {
                Double ours = null;
                for (Level level : o.levels()) {
                    progress.step("training " + w.id() + " Java/" + level.classToken() + " batch " + batch);
                    Timing.Samples s;
                    try (TrainingStep step = TrainingStep.of(w, level, batch)) {
                        s = Timing.measure(o.warmup(), o.runs(), step::run, clock);
                    } catch (IllegalStateException e) {
                        skip(e);
                        continue;
                    }
                    rows.add(trainingRow("Mithril Java/" + level.classToken(), w, batch, s));
                    thr.add("Java/" + level.classToken(), batch, s.throughput(batch));
                    if (level == best) ours = s.throughput(batch);
                }
                double peerThr = Double.NaN;
                if (torch != null) {
                    progress.step("training " + w.id() + " PyTorch batch " + batch);
                    try {
                        Timing.Samples peer = torch.measureTraining(w, batch, Parallel.threads(), o.warmup(), o.runs());
                        rows.add(trainingRow("PyTorch " + torch.version() + " (CPU)", w, batch, peer));
                        thr.add("PyTorch", batch, peer.throughput(batch));
                        peerThr = peer.throughput(batch);
                    } catch (IllegalStateException e) {
                        report.note("PyTorch peer failed for training " + w.id() + " batch " + batch + ": " + e.getMessage());
                    }
                }
                double oursThr = ours == null ? Double.NaN : ours;
                cross.add(List.of(w.id(), batch, oursThr, peerThr, oursThr / peerThr));
            }
            charts.add(thr);
        }
        tables.add(new Report.Table("training", "Training step",
                List.of("Backend", "Model", "Batch Size", "Throughput (samples/s)", "Min (samples/s)", "Max (samples/s)", "Step (ms)"),
                rows, List.of("One step: forward, loss (mean squared error for linear, cross-entropy against random labels for "
                        + "the others, per position for the transformer), zeroing gradients, "
                        + "backward, SGD with momentum 0.9 at lr 0.01; throughput at the median step time.")));
        tables.add(new Report.Table("training_cross", "Training: Mithril Java/" + best.classToken() + " vs PyTorch",
                List.of("Model", "Batch Size", "Mithril (samples/s)", "PyTorch (samples/s)", "Mithril / PyTorch (x)"),
                cross, List.of(torch == null ? "PyTorch: not measured (use --peers torch; needs /usr/bin/python3 with torch)."
                        : "PyTorch: the same step and protocol in a separate python3 process, run right after ours at each batch size.")));
    }

    private List<Object> trainingRow(String backend, Workload w, int batch, Timing.Samples s) {
        return List.of(backend, w.id(), batch, s.throughput(batch), s.minThroughput(batch), s.maxThroughput(batch), s.medianMillis());
    }

    // ------------------------------------------------------------------ compile

    private void compile(List<Workload> models) {
        if (!RuntimeCompiler.available()) {
            report.note("compile: skipped, the run-time compiler dev.mithril.Mithril is not on the class path");
            for (Workload w : models) for (Level l : o.levels()) progress.step("compile " + w.id() + " " + l.classToken() + " (skipped)");
            return;
        }
        List<List<Object>> rows = new ArrayList<>();
        for (Workload w : models) {
            int batch = o.batchesFor(w).getFirst();
            Map<String, Integer> dims = w.dims(batch);
            var graph = w.graph();
            for (Level level : o.levels()) {
                progress.step("compile " + w.id() + " Java/" + level.classToken());
                Timing.Samples r = Timing.measure(o.warmup(), o.runs(),
                        () -> RuntimeCompiler.render(graph, level, dims), clock);
                Timing.Samples s = Timing.measure(o.warmup(), o.runs(),
                        () -> RuntimeCompiler.compileAndClose(graph, level, dims), clock);
                compileMillis.put(w.id() + "/" + level, s.medianMillis());
                rows.add(List.of(w.id(), "Java/" + level.classToken(), batch, r.medianMillis(), s.medianMillis(),
                        s.minNanos() / 1e6, s.maxNanos() / 1e6));
            }
        }
        tables.add(new Report.Table("compile", "Compile time (run-time compiler)",
                List.of("Model", "Backend", "Batch Size", "Compilation Time (ms)", "With JIT (ms)", "Min (ms)", "Max (ms)"), rows,
                List.of("Compilation Time: passes and Java rendering (Mithril.source). With JIT: Mithril.compile from scratch "
                        + "(class cache cleared): passes, rendering, in-memory javac, class loading and creating the model; "
                        + "Min/Max refer to it. Medians after " + o.warmup() + " warm-up compiles, so a cold first compile is slower.")));
    }

    // ------------------------------------------------------------------ generation

    /**
     * Greedy generation with the transformer ({@link Workload#TRANSFORMER}): {@link BenchGeneration#PROMPT} prompt tokens,
     * then {@link BenchGeneration#NEW_TOKENS} new ones, with the KV cache (once per batch: the decoder runs the runtime's
     * kernels and is the same at every level) and without it (the compiled forward pass per token) per level.
     */
    private void generation(List<Workload> models) {
        if (!models.contains(Workload.TRANSFORMER)) {
            report.note("generation: only the transformer generates; add --model transformer");
            return;
        }
        Workload w = Workload.TRANSFORMER;
        List<List<Object>> rows = new ArrayList<>();
        Chart chart = new Chart("generation_" + w.id(), w.id() + ": generation", "Batch size", "New tokens/s", true);
        for (int batch : o.batchesFor(w)) {
            for (int i = 0; i < o.levels().size(); i++) {
                Level level = o.levels().get(i);
                try (BenchGeneration g = BenchGeneration.of(level, batch)) {
                    if (i == 0) {
                        progress.step("generation " + w.id() + " KV cache batch " + batch);
                        Timing.Samples s = Timing.measure(o.warmup(), o.runs(), g::withCache, clock);
                        rows.add(generationRow("KV cache (runtime kernels)", batch, s));
                        chart.add("KV cache", batch, BenchGeneration.tokensPerSecond(batch, s));
                    }
                    progress.step("generation " + w.id() + " no cache Java/" + level.classToken() + " batch " + batch);
                    Timing.Samples s = Timing.measure(o.warmup(), o.runs(), g::withoutCache, clock);
                    rows.add(generationRow("no cache, Java/" + level.classToken(), batch, s));
                    chart.add("no cache Java/" + level.classToken(), batch, BenchGeneration.tokensPerSecond(batch, s));
                }
            }
        }
        charts.add(chart);
        tables.add(new Report.Table("generation", "Generation (transformer)",
                List.of("Mode", "Batch Size", "Prompt", "New tokens", "Tokens/s", "Min (tokens/s)", "Max (tokens/s)",
                        "Latency per token (ms)"), rows,
                List.of("Greedy decoding of " + BenchGeneration.NEW_TOKENS + " new tokens after a random prompt of "
                        + BenchGeneration.PROMPT + " (random weights, " + Workload.GPT + "). Tokens/s = batch x new tokens / median "
                        + "time of one whole generation; latency per token = that time / new tokens (a step serves the whole batch). "
                        + "KV cache: GptDecoder, one position of work per token; no cache: the compiled model's forward pass over "
                        + "the whole sequence for every token, as nanoGPT's generate does.")));
    }

    private List<Object> generationRow(String mode, int batch, Timing.Samples s) {
        return List.of(mode, batch, BenchGeneration.PROMPT, BenchGeneration.NEW_TOKENS, BenchGeneration.tokensPerSecond(batch, s),
                batch * (double) BenchGeneration.NEW_TOKENS / (s.maxNanos() / 1e9),
                batch * (double) BenchGeneration.NEW_TOKENS / (s.minNanos() / 1e9),
                s.medianMillis() / BenchGeneration.NEW_TOKENS);
    }

    // ------------------------------------------------------------------ memory

    private void memory(List<Workload> models) {
        List<List<Object>> rows = new ArrayList<>();
        for (Workload w : models) {
            Chart chart = new Chart("memory_" + w.id(), w.id() + ": peak heap during inference", "Batch size", "Peak heap (MiB)", true);
            double paramMib = w.parameterCount() * 4 / MIB;
            for (int batch : o.batchesFor(w)) {
                for (Level level : o.levels()) {
                    progress.step("memory " + w.id() + " Java/" + level.classToken() + " batch " + batch);
                    Subject s;
                    try {
                        s = Subject.of(w, level, batch);
                    } catch (IllegalStateException e) {
                        skip(e);
                        continue;
                    }
                    try (s) {
                        for (int i = 0; i < o.warmup(); i++) s.call();
                        MemoryProbe.Usage u = MemoryProbe.around(() -> { for (int i = 0; i < o.runs(); i++) s.call(); });
                        double perCallKib = u.allocatedBytes() < 0 ? Double.NaN : u.allocatedBytes() / 1024.0 / o.runs();
                        rows.add(List.of(w.id(), "Java/" + level.classToken(), batch, paramMib, u.baselineBytes() / MIB,
                                u.peakBytes() / MIB, perCallKib, u.collections(), u.gcMillis()));
                        chart.add("Java/" + level.classToken(), batch, u.peakBytes() / MIB);
                    }
                }
            }
            charts.add(chart);
        }
        tables.add(new Report.Table("memory", "Memory (inference)",
                List.of("Model", "Backend", "Batch Size", "Parameters (MiB)", "Live after GC (MiB)", "Peak heap (MiB)",
                        "Allocated per call (KiB)", "GCs", "GC time (ms)"), rows,
                List.of("Measured around the " + o.runs() + " timed calls (after warm-up) with the platform MXBeans: System.gc(), "
                        + "then every heap pool's peak reset; Peak heap = sum of the pools' peak usage (an upper bound); "
                        + "Allocated = bytes allocated by all threads (com.sun.management.ThreadMXBean); GCs and GC time from "
                        + "the GarbageCollectorMXBeans. Live after GC includes the harness and JVM, not only the model.")));
    }

    // ------------------------------------------------------------------ scaling

    private void scaling(List<Workload> models) {
        Level level = o.levels().getLast();
        List<List<Object>> rows = new ArrayList<>();
        int saved = Parallel.threads();
        try {
            for (Workload w : models) {
                Chart chart = new Chart("scaling_" + w.id(), w.id() + ": parallel efficiency (Java/" + level.classToken() + ")",
                        "Threads", "Efficiency (%)", false);
                for (int batch : o.batchesFor(w)) {
                    double one = Double.NaN;
                    for (int t = 1; t <= SystemInfo.cores(); t++) {
                        progress.step("scaling " + w.id() + " batch " + batch + " threads " + t);
                        Parallel.setThreads(t);
                        Timing.Samples s = measureOrSkip(() -> Subject.of(w, level, batch));
                        if (s == null) break;
                        double thr = s.throughput(batch);
                        if (t == 1) one = thr;
                        double eff = 100 * thr / one / t;
                        rows.add(List.of(w.id(), "Java/" + level.classToken(), batch, t, thr, thr / one, eff));
                        chart.add("batch " + batch, t, eff);
                    }
                }
                charts.add(chart);
            }
        } finally {
            Parallel.setThreads(saved);
        }
        tables.add(new Report.Table("scaling", "Thread scaling",
                List.of("Model", "Backend", "Batch Size", "Threads", "Throughput (samples/s)", "Speed-up vs 1 thread (x)",
                        "Efficiency (%)"), rows,
                List.of("Efficiency = speed-up / threads. Threads set with Parallel.setThreads for each row.")));
    }

    // ------------------------------------------------------------------ helpers

    private Timing.Samples measure(Supplier<Subject> make) {
        try (Subject s = make.get()) {
            return Timing.measure(o.warmup(), o.runs(), s::call, clock);
        }
    }

    /** As {@link #measure}, but a subject that cannot be created (e.g. a class not generated) becomes a note. */
    private Timing.Samples measureOrSkip(Supplier<Subject> make) {
        Subject s;
        try {
            s = make.get();
        } catch (IllegalStateException e) {
            skip(e);
            return null;
        }
        try (s) {
            return Timing.measure(o.warmup(), o.runs(), s::call, clock);
        }
    }

    private void skip(IllegalStateException e) {
        String note = "skipped: " + e.getMessage();
        if (!skippedSubjects.contains(note)) skippedSubjects.add(note);
    }
}
