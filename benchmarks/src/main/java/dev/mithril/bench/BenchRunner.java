package dev.mithril.bench;

import dev.mithril.dsl.Backend;
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
    /** What {@link #warmBeforeTiming} ran. */
    private final List<String> warmed = new ArrayList<>();
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
                .environment("Protocol", o.warmup() + " warm-up calls lasting at least " + o.warmupMs() + " ms (inference,"
                        + " training, scaling, generation), then " + o.runs() + " timed samples; median reported"
                        + " (min and max beside it). " + (o.minSampleMs() == 0 ? "Each sample is one call."
                        : "Inference, training and scaling (PyTorch's too): each sample is the mean per call of as many"
                        + " consecutive calls as last at least " + o.minSampleMs() + " ms together (a power of two, found by"
                        + " untimed trials after the warm-up); other modes time one call per sample.") + " Inference: before a batch's"
                        + " Java subjects are timed, the best level and the hand-written model each run their warm-up calls once"
                        + " untimed, so that the one timed first is not measured while the JIT still compiles shared kernels")
                .environment("Date", Instant.now().truncatedTo(ChronoUnit.SECONDS))
                .environment("Backends", String.join(", ", o.backends().stream().map(Subject::label).toList()));
        o.notes().forEach(report::note);

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
            int peer = torch != null ? 1 : 0, java = o.backends().contains(Backend.JAVA) ? 1 : 0;
            int nd4j = o.backends().contains(Backend.ND4J) ? 1 : 0;
            if (modes.contains(Mode.INFERENCE)) steps += b * (java * (l + 1) + nd4j * (l + (w.dense() ? 1 : 0)) + peer);
            if (modes.contains(Mode.TRAINING)) steps += b * (l * (java + nd4j) + peer);
            if (modes.contains(Mode.GENERATION) && w == Workload.TRANSFORMER) steps += b * (2 * l + 1); // cache per level, hand-written cache, no cache per level
            if (modes.contains(Mode.MEMORY)) steps += l * (1 + 2 * b);
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
        List<List<Object>> nd4jCross = new ArrayList<>();
        Level best = o.levels().getLast();
        boolean java = o.backends().contains(Backend.JAVA), nd4j = o.backends().contains(Backend.ND4J);
        for (Workload w : models) {
            Chart thr = new Chart("inference_" + w.id(), w.id() + ": inference throughput", "Batch size", "Throughput (samples/s)", true);
            Chart byLevel = new Chart("levels_" + w.id(), w.id() + ": speed by optimization level", "Batch size",
                    "Throughput relative to None (x)", true);
            for (int batch : o.batchesFor(w)) {
                Map<Level, Double> byLevelThr = new HashMap<>();
                if (java) warmBeforeTiming(w, best, batch);
                for (Level level : java ? o.levels() : List.<Level>of()) {
                    progress.step("inference " + w.id() + " Java/" + level.classToken() + " batch " + batch);
                    Timing.Samples s = measureOrSkip("inference " + w.id() + " Java/" + level.classToken() + " batch " + batch,
                            () -> Subject.of(w, level, batch));
                    if (s == null) continue;
                    fastestMedianNs = Math.min(fastestMedianNs, s.medianNanos());
                    byLevelThr.put(level, s.throughput(batch));
                    rows.add(inferenceRow("Mithril Java/" + level.classToken(), w, batch, s));
                    thr.add("Java/" + level.classToken(), batch, s.throughput(batch));
                }
                if (java) progress.step("inference " + w.id() + " hand-written batch " + batch);
                Timing.Samples hand = !java ? null : measureOrSkip("inference " + w.id() + " hand-written batch " + batch,
                        () -> Subject.handWritten(w, batch));
                double handThr = hand == null ? Double.NaN : hand.throughput(batch);
                if (hand != null) {
                    rows.add(inferenceRow("hand-written on runtime kernels", w, batch, hand));
                    thr.add("hand-written", batch, handThr);
                }
                if (nd4j) {
                    double nd4jBest = Double.NaN;
                    for (Level level : o.levels()) {
                        String name = "ND4J/" + level.classToken(), what = "inference " + w.id() + " " + name + " batch " + batch;
                        progress.step(what);
                        Timing.Samples s = measureOrSkip(what, () -> Subject.compiled(w, Backend.ND4J, level, batch));
                        if (s == null) continue;
                        fastestMedianNs = Math.min(fastestMedianNs, s.medianNanos());
                        rows.add(inferenceRow("Mithril " + name, w, batch, s));
                        thr.add(name, batch, s.throughput(batch));
                        if (level == best) nd4jBest = s.throughput(batch);
                    }
                    if (w.dense()) {
                        String what = "inference " + w.id() + " ND4J by hand batch " + batch;
                        progress.step(what);
                        Timing.Samples h = measureOrSkip(what, () -> Nd4jBench.handWritten(w, batch));
                        double byHand = h == null ? Double.NaN : h.throughput(batch);
                        if (h != null) {
                            rows.add(inferenceRow("ND4J by hand", w, batch, h));
                            thr.add("ND4J by hand", batch, byHand);
                        }
                        // time overhead: (our time - hand time) / hand time, from the throughputs
                        nd4jCross.add(List.of(w.id(), batch, nd4jBest, byHand, nd4jBest / byHand, 100 * (byHand / nd4jBest - 1)));
                    }
                }
                Timing.Samples peer = null;
                if (torch != null) {
                    progress.step("inference " + w.id() + " PyTorch batch " + batch);
                    try {
                        peer = torch.measure(w, batch, Parallel.threads(), o.warmup(), o.runs(), o.minSampleNanos());
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
                if (java) cross.add(List.of(w.id(), batch, oursThr, handThr, oursThr / handThr,
                        peerThr, oursThr / peerThr));
            }
            charts.add(thr);
            charts.add(byLevel);
        }
        tables.add(new Report.Table("inference", "Inference",
                List.of("Backend", "Hardware", "Batch Size", "Input/Output Size", "Throughput (samples/s)",
                        "Min (samples/s)", "Max (samples/s)", "Latency (ms)"),
                rows, List.of("Throughput at the median call time; Latency is the median time of one forward call of a whole batch"
                        + " (with --min-sample-ms, the median over samples of their mean per call; see Protocol).")));
        tables.add(new Report.Table("levels", "Optimization levels",
                List.of("Model", "Level", "Batch Size", "Compile time (ms)", "Throughput (samples/s)", "Relative speed vs None (x)"),
                levelRows, List.of(compileMillis.isEmpty()
                        ? "Compile time: add --mode compile (e.g. --mode inference,compile) to fill it in."
                        : "Compile time: median Mithril.compile at the first batch size, in-memory javac included.")));
        tables.add(new Report.Table("cross", "Cross-framework (Mithril Java/" + best.classToken() + ")",
                List.of("Model", "Batch Size", "Mithril (samples/s)", "Hand-written (samples/s)", "Mithril / hand-written (x)",
                        "PyTorch (samples/s)", "Mithril / PyTorch (x)"),
                cross, List.of("Hand-written: the same model called directly on the runtime's kernels, as a careful user "
                        + "without the compiler would write it: linear/mlp on Gemm.linear with pre-packed weights and bias+ReLU "
                        + "fused (HandWrittenDense); the ResNets with batch norm folded into Conv2d and the residual+ReLU fused "
                        + "(HandWrittenResNet); the transformer on Embedding, Norms.layerNorm, Gemm with fused bias/GELU and "
                        + "Attention.forwardFused (HandWrittenGpt).", torch == null
                        ? "PyTorch: not measured (use --peers torch; needs /usr/bin/python3 with torch)."
                        : "PyTorch: same protocol in a separate python3 process, run right after ours at each batch size.")));
        tables.add(new Report.Table("cross_nd4j", "Cross-framework: Mithril + ND4J vs ND4J by hand (Mithril ND4J/" + best.classToken() + ")",
                List.of("Model", "Batch Size", "Mithril + ND4J (samples/s)", "ND4J by hand (samples/s)", "Mithril / by hand (x)",
                        "Overhead (%)"),
                nd4jCross, List.of("ND4J by hand: the same model written directly on ND4J (Nd4jHandWrittenDense in mithril-nd4j: "
                        + "weights converted once, intermediates preallocated, Nd4j.gemm, bias and ReLU in place) over the generated "
                        + "model's weights; its input is converted to an INDArray once, while the generated model takes a Tensor per "
                        + "call as users call it. Overhead = (Mithril's time - by hand time) / by hand time.")));
        double overheadNs = empty.medianNanos();
        tables.add(new Report.Table("overhead", "Harness overhead",
                List.of("Subject", "Median per call (ns)", "Min (ns)", "Max (ns)", "Share of fastest measured call (%)"),
                List.of(List.of("empty model", overheadNs, (double) empty.minNanos(), (double) empty.maxNanos(),
                        fastestMedianNs == Double.MAX_VALUE ? Double.NaN : 100 * overheadNs / fastestMedianNs)),
                List.of("An empty model timed with the same protocol: the call itself and the clock reads, which a sample of"
                        + " grouped calls shares among them.")));
    }

    /**
     * An untimed round before any Java subject of a batch is timed: the compared pair (the best level and the
     * hand-written model) each run their warm-up calls once. Subjects are timed one after the other, and the JIT is
     * still compiling the kernels they share while the first one runs: without this round, ResNet-18 at batch 1 put
     * Full, timed first, at 0.88x of the hand-written model after 30 warm-up calls each, and at 0.975x over 200 timed
     * calls, with Full's thread still in the Vector API's uncompiled fallback code in a profile of the short run.
     * Subjects are warmed one at a time, so no two models' buffers are alive at once.
     */
    private void warmBeforeTiming(Workload w, Level best, int batch) {
        warmOnly(w.id() + " Java/" + best.classToken() + " batch " + batch, () -> Subject.of(w, best, batch));
        warmOnly(w.id() + " hand-written batch " + batch, () -> Subject.handWritten(w, batch));
    }

    /** Runs the warm-up calls of a subject and closes it; one that cannot be created is reported by its timed pass. */
    private void warmOnly(String what, Supplier<Subject> make) {
        try (Subject s = make.get()) {
            warm(what, s::call);
        } catch (IllegalStateException | OutOfMemoryError e) {
            // the timed pass creates it again and notes why it was skipped
        }
    }

    /** The warm-up's number of untimed calls of {@code call}, recorded as {@code what}. */
    private void warm(String what, Runnable call) {
        long calls = Timing.warmUp(o.warmup(), o.minWarmupNanos(), call, clock);
        warmed.add(what + ": " + calls + " calls");
    }

    /** The untimed warm-up round's subjects in the order they ran, with their calls (for tests). */
    List<String> warmedBeforeTiming() { return List.copyOf(warmed); }

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
                for (Backend b : o.backends()) for (Level level : o.levels()) {
                    String name = Subject.label(b) + "/" + level.classToken();
                    progress.step("training " + w.id() + " " + name + " batch " + batch);
                    Timing.Samples s;
                    try (TrainingStep step = TrainingStep.of(w, b, level, batch)) {
                        s = Timing.measure(o.warmup(), o.minWarmupNanos(), o.runs(), o.minSampleNanos(), step::run, clock);
                    } catch (IllegalStateException | OutOfMemoryError e) {
                        skip("training " + w.id() + " " + name + " batch " + batch, e);
                        continue;
                    }
                    rows.add(trainingRow("Mithril " + name, w, batch, s));
                    thr.add(name, batch, s.throughput(batch));
                    if (b == Backend.JAVA && level == best) ours = s.throughput(batch);
                }
                double peerThr = Double.NaN;
                if (torch != null) {
                    progress.step("training " + w.id() + " PyTorch batch " + batch);
                    try {
                        Timing.Samples peer = torch.measureTraining(w, batch, Parallel.threads(), o.warmup(), o.runs(), o.minSampleNanos());
                        rows.add(trainingRow("PyTorch " + torch.version() + " (CPU)", w, batch, peer));
                        thr.add("PyTorch", batch, peer.throughput(batch));
                        peerThr = peer.throughput(batch);
                    } catch (IllegalStateException e) {
                        report.note("PyTorch peer failed for training " + w.id() + " batch " + batch + ": " + e.getMessage());
                    }
                }
                double oursThr = ours == null ? Double.NaN : ours;
                if (o.backends().contains(Backend.JAVA)) cross.add(List.of(w.id(), batch, oursThr, peerThr, oursThr / peerThr));
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

    /**
     * Per model and level: the build-time path ({@link BuildTimeCompiler}: javac in this process with the annotation
     * processor over the annotated sources, whole and with {@code -proc:only}) and the run-time compiler
     * ({@link RuntimeCompiler}: passes and rendering alone, and with in-memory javac and class loading).
     */
    private void compile(List<Workload> models) {
        if (!RuntimeCompiler.available()) {
            report.note("compile: skipped, this JVM has no javac (jdk.compiler); run it on a JDK");
            for (Workload w : models) for (Level l : o.levels()) progress.step("compile " + w.id() + " " + l.classToken() + " (skipped)");
            return;
        }
        List<List<Object>> rows = new ArrayList<>();
        for (Workload w : models) {
            int batch = o.batchesFor(w).getFirst();
            Map<String, Integer> dims = w.dims(batch);
            var graph = w.graph();
            BuildTimeCompiler build = BuildTimeCompiler.of(w);
            for (Level level : o.levels()) {
                progress.step("compile " + w.id() + " Java/" + level.classToken());
                double buildMs = Double.NaN, procMs = Double.NaN;
                try {
                    buildMs = Timing.measure(o.warmup(), o.runs(), () -> build.compile(level, false), clock).medianMillis();
                    procMs = Timing.measure(o.warmup(), o.runs(), () -> build.compile(level, true), clock).medianMillis();
                } catch (IllegalStateException e) {
                    report.note("compile: build-time " + w.id() + " " + level.classToken() + " failed: " + e.getMessage());
                }
                Timing.Samples r = Timing.measure(o.warmup(), o.runs(),
                        () -> RuntimeCompiler.render(graph, level, dims), clock);
                Timing.Samples s = Timing.measure(o.warmup(), o.runs(),
                        () -> RuntimeCompiler.compileAndClose(graph, level, dims), clock);
                compileMillis.put(w.id() + "/" + level, s.medianMillis());
                rows.add(List.of(w.id(), "Java/" + level.classToken(), batch, buildMs, procMs, r.medianMillis(), s.medianMillis(),
                        s.minNanos() / 1e6, s.maxNanos() / 1e6));
            }
        }
        tables.add(new Report.Table("compile", "Compile time",
                List.of("Model", "Backend", "Batch Size", "Build: javac + processor (ms)", "Build: processor only (ms)",
                        "Compilation Time (ms)", "With JIT (ms)", "Min (ms)", "Max (ms)"), rows,
                List.of("Build: javac run in this process (javax.tools) with MithrilProcessor over the model's annotated sources "
                        + "(examples/src/main/java, the block models included), its @Model rewritten to declare this level alone; "
                        + "whole = processing plus compiling the sources and the generated classes, processor only = -proc:only "
                        + "(parsing, attribution of the annotated types, the processor's rounds). Sizes there are the source's "
                        + "(batch symbolic); the Batch Size column is the run-time compiler's.",
                        "Compilation Time: run-time compiler, passes and Java rendering (Mithril.source). With JIT: Mithril.compile "
                        + "from scratch (class cache cleared): passes, rendering, in-memory javac, class loading and creating the "
                        + "model; Min/Max refer to it.",
                        "Medians of " + o.runs() + " after " + o.warmup() + " warm-up compiles each, so a cold first compile "
                        + "(javac itself not yet JIT-compiled) is slower.")));
    }

    // ------------------------------------------------------------------ generation

    /**
     * Greedy generation with the transformer ({@link Workload#TRANSFORMER}): {@link BenchGeneration#PROMPT} prompt tokens,
     * then {@link BenchGeneration#NEW_TOKENS} new ones, with the KV cache (once per batch: the decoder runs the runtime's
     * kernels and is the same at every level) and without it (the compiled forward pass per token) per level. Before a
     * batch is timed, the best level's cached decoder and the hand-written one each run the warm-up once, untimed
     * ({@link #warmBeforeTiming} for inference): the hand-written decoder is timed first.
     */
    private void generation(List<Workload> models) {
        if (!models.contains(Workload.TRANSFORMER)) {
            report.note("generation: only the transformer generates; add --model transformer");
            return;
        }
        Workload w = Workload.TRANSFORMER;
        List<List<Object>> rows = new ArrayList<>();
        Chart chart = new Chart("generation_" + w.id(), w.id() + ": generation", "Batch size", "New tokens/s", true);
        Level best = o.levels().getLast();
        for (int batch : o.batchesFor(w)) {
            // as in inference: the compared pair warmed once, untimed, before the hand-written decoder is timed first
            try (BenchGeneration g = BenchGeneration.of(best, batch)) {
                warm(w.id() + " KV cache Java/" + best.classToken() + " batch " + batch, g::withCache);
                warm(w.id() + " KV cache hand-written batch " + batch, g::withHandWrittenCache);
            }
            for (int i = 0; i < o.levels().size(); i++) {
                Level level = o.levels().get(i);
                try (BenchGeneration g = BenchGeneration.of(level, batch)) {
                    if (i == 0) {
                        progress.step("generation " + w.id() + " KV cache hand-written batch " + batch);
                        Timing.Samples s = Timing.measure(o.warmup(), o.minWarmupNanos(), o.runs(), 0, g::withHandWrittenCache, clock);
                        rows.add(generationRow("KV cache, hand-written (GptDecoder)", batch, s));
                        chart.add("KV cache hand-written", batch, BenchGeneration.tokensPerSecond(batch, s));
                    }
                    progress.step("generation " + w.id() + " KV cache Java/" + level.classToken() + " batch " + batch);
                    Timing.Samples c = Timing.measure(o.warmup(), o.minWarmupNanos(), o.runs(), 0, g::withCache, clock);
                    rows.add(generationRow("KV cache, Java/" + level.classToken(), batch, c));
                    chart.add("KV cache Java/" + level.classToken(), batch, BenchGeneration.tokensPerSecond(batch, c));
                    progress.step("generation " + w.id() + " no cache Java/" + level.classToken() + " batch " + batch);
                    Timing.Samples s = Timing.measure(o.warmup(), o.minWarmupNanos(), o.runs(), 0, g::withoutCache, clock);
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
                        + "KV cache: the decoder with caches compiled at the same level (CompiledDecoder: the prompt in one pass, then one "
                        + "position of work per token); hand-written: the same decoder written directly on the runtime's kernels "
                        + "(GptDecoder, the prompt in one pass, then one position per call); no cache: the compiled model's forward pass over "
                        + "the whole sequence for every token, as nanoGPT's generate does.")));
    }

    private List<Object> generationRow(String mode, int batch, Timing.Samples s) {
        return List.of(mode, batch, BenchGeneration.PROMPT, BenchGeneration.NEW_TOKENS, BenchGeneration.tokensPerSecond(batch, s),
                batch * (double) BenchGeneration.NEW_TOKENS / (s.maxNanos() / 1e9),
                batch * (double) BenchGeneration.NEW_TOKENS / (s.minNanos() / 1e9),
                s.medianMillis() / BenchGeneration.NEW_TOKENS);
    }

    // ------------------------------------------------------------------ memory

    /**
     * Peak memory per model and level while compiling (the run-time compiler, at the first batch size), and per
     * batch size during the timed inference calls and training steps (after their warm-up), from {@link MemoryProbe}.
     */
    private void memory(List<Workload> models) {
        List<List<Object>> rows = new ArrayList<>();
        for (Workload w : models) {
            Chart chart = new Chart("memory_" + w.id(), w.id() + ": peak heap", "Batch size", "Peak heap (MiB)", true);
            double paramMib = w.parameterCount() * 4 / MIB;
            int first = o.batchesFor(w).getFirst();
            var graph = w.graph();
            for (Level level : o.levels()) {
                String backend = "Java/" + level.classToken();
                progress.step("memory " + w.id() + " compile " + backend);
                if (RuntimeCompiler.available()) {
                    Map<String, Integer> dims = w.dims(first);
                    MemoryProbe.Usage u = MemoryProbe.around(() -> RuntimeCompiler.compileAndClose(graph, level, dims));
                    rows.add(memoryRow(w, "compile", backend, first, paramMib, u, 1));
                }
                for (int batch : o.batchesFor(w)) {
                    progress.step("memory " + w.id() + " inference " + backend + " batch " + batch);
                    try (Subject s = Subject.of(w, level, batch)) {
                        for (int i = 0; i < o.warmup(); i++) s.call();
                        MemoryProbe.Usage u = MemoryProbe.around(() -> { for (int i = 0; i < o.runs(); i++) s.call(); });
                        rows.add(memoryRow(w, "inference", backend, batch, paramMib, u, o.runs()));
                        chart.add("inference " + backend, batch, u.peakBytes() / MIB);
                    } catch (IllegalStateException | OutOfMemoryError e) {
                        skip("memory " + w.id() + " inference " + backend + " batch " + batch, e);
                    }
                    progress.step("memory " + w.id() + " training " + backend + " batch " + batch);
                    try (TrainingStep step = TrainingStep.of(w, level, batch)) {
                        for (int i = 0; i < o.warmup(); i++) step.run();
                        MemoryProbe.Usage u = MemoryProbe.around(() -> { for (int i = 0; i < o.runs(); i++) step.run(); });
                        rows.add(memoryRow(w, "training", backend, batch, paramMib, u, o.runs()));
                        chart.add("training " + backend, batch, u.peakBytes() / MIB);
                    } catch (IllegalStateException | OutOfMemoryError e) {
                        skip("memory " + w.id() + " training " + backend + " batch " + batch, e);
                    }
                }
            }
            charts.add(chart);
        }
        tables.add(new Report.Table("memory", "Memory",
                List.of("Model", "Phase", "Backend", "Batch Size", "Parameters (MiB)", "Live after GC (MiB)", "Peak heap (MiB)",
                        "Peak off-heap (MiB)", "Allocated per call (KiB)", "GCs", "GC time (ms)"), rows,
                List.of("compile: one Mithril.compile from scratch (class cache cleared) at the first batch size; inference: the "
                        + o.runs() + " timed forward calls; training: " + o.runs() + " training steps (forward, loss, backward, SGD); "
                        + "inference and training after their warm-up, so buffers allocated once are in 'Live after GC'.",
                        "Heap, from the platform MXBeans: System.gc(), then every heap pool's peak reset; Peak heap = sum of the "
                        + "pools' peak usage (an upper bound; it includes the harness and whatever garbage has not been collected "
                        + "yet). Off-heap: the JVM's direct and mapped buffer pools (ByteBuffer.allocateDirect and native "
                        + "MemorySegments count there), sampled every millisecond during the work; peak minus the level before. "
                        + "Allocated = bytes allocated by all threads (com.sun.management.ThreadMXBean) per call; GCs and GC time "
                        + "from the GarbageCollectorMXBeans.")));
    }

    private List<Object> memoryRow(Workload w, String phase, String backend, int batch, double paramMib, MemoryProbe.Usage u, int calls) {
        double perCallKib = u.allocatedBytes() < 0 ? Double.NaN : u.allocatedBytes() / 1024.0 / calls;
        return List.of(w.id(), phase, backend, batch, paramMib, u.baselineBytes() / MIB, u.peakBytes() / MIB,
                u.offHeapPeakBytes() / MIB, perCallKib, u.collections(), u.gcMillis());
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
                        Timing.Samples s = measureOrSkip("scaling " + w.id() + " batch " + batch + " threads " + t,
                                () -> Subject.of(w, level, batch));
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
            return Timing.measure(o.warmup(), o.minWarmupNanos(), o.runs(), o.minSampleNanos(), s::call, clock);
        }
    }

    /**
     * As {@link #measure}, but a subject that cannot be created (e.g. a class not generated) or runs out of heap
     * becomes a note naming {@code what}, and the run goes on with the next subject.
     */
    private Timing.Samples measureOrSkip(String what, Supplier<Subject> make) {
        try (Subject s = make.get()) {
            return Timing.measure(o.warmup(), o.minWarmupNanos(), o.runs(), o.minSampleNanos(), s::call, clock);
        } catch (IllegalStateException | OutOfMemoryError e) {
            skip(what, e);
            return null;
        }
    }

    /**
     * Notes a subject left out. Running out of heap is survivable here: the subject's buffers are unreachable once
     * its frame is gone, and the next (smaller or different) subject starts from a collected heap.
     */
    private void skip(String what, Throwable e) {
        String note = e instanceof OutOfMemoryError
                ? "skipped " + what + ": out of memory (" + e.getMessage() + ", max heap "
                        + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB; give the JVM more with -Xmx, e.g. MITHRIL_JAVA_OPTS=-Xmx16g)"
                : "skipped " + what + ": " + e.getMessage();
        if (!skippedSubjects.contains(note)) skippedSubjects.add(note);
    }
}
