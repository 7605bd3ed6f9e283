package dev.mithril.bench;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.examples.cli.ExampleModels;
import dev.mithril.runtime.AbstractCompiledModel;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One thing being timed at one batch size: a generated model at a level, the hand-written model, or the empty
 * model that measures the harness itself. {@link #call()} is one forward pass on a prepared input.
 */
public interface Subject extends AutoCloseable {
    /** e.g. {@code Java/Full}, {@code hand-written (runtime kernels)}. */
    String name();

    /** One forward pass. */
    void call();

    @Override default void close() {}

    /** {@link #generated} for the dense workloads, {@link #compiled} for the zoo ones. */
    static Subject of(Workload w, Level level, int batch) {
        return w.dense() ? generated(w, level, batch) : compiled(w, level, batch);
    }

    /**
     * {@code w}'s graph compiled at run time ({@link Mithril#compile}) for {@code batch}, with random weights (seed 0)
     * and a random input: images in [-1, 1) or token ids.
     */
    static Subject compiled(Workload w, Level level, int batch) { return compiled(w, Backend.JAVA, level, batch); }

    /** As {@link #compiled(Workload, Level, int)} for backend {@code b}. */
    static Subject compiled(Workload w, Backend b, Level level, int batch) {
        CompiledModel m = compile(w, b, level, batch);
        Map<String, Tensor> in = Map.of(m.inputNames().getFirst(), input(w, batch, 7));
        String output = m.outputNames().getFirst();
        return new Subject() {
            @Override public String name() { return label(b) + "/" + level.classToken(); }
            // ND4J's outputs view off-heap memory, where reading one value would copy the whole array to the heap
            @Override public void call() { Sink.keep(m.evaluate(in).get(output)); }
            @Override public void close() { m.close(); }
        };
    }

    /** {@code w} generated for backend {@code b} at {@code level}: the annotated example for Java's dense models, else compiled at run time. */
    static Subject of(Workload w, Backend b, Level level, int batch) {
        return b == Backend.JAVA ? of(w, level, batch) : compiled(w, b, level, batch);
    }

    /** The backend's name in tables: {@code Java}, {@code ND4J}. */
    static String label(Backend b) { return b == Backend.ND4J ? "ND4J" : b.classToken(); }

    /** {@code w} compiled for {@code batch} at {@code level}, weights initialized PyTorch-style from seed 0. */
    static CompiledModel compile(Workload w, Level level, int batch) { return compile(w, Backend.JAVA, level, batch); }

    /** As {@link #compile(Workload, Level, int)} for backend {@code b}. */
    static CompiledModel compile(Workload w, Backend b, Level level, int batch) {
        CompiledModel m = Mithril.compile(w.graph(), b, level, w.dims(batch));
        if (m instanceof AbstractCompiledModel a) a.initialize(0);
        return m;
    }

    /** A random input of {@code w} at {@code batch}: uniform floats, or token ids below the vocabulary size. */
    static Tensor input(Workload w, int batch, long seed) {
        int[] shape = w.inputShape(batch);
        if (!w.tokens()) return Tensor.random(seed, shape);
        return tokens(seed, Workload.GPT.vocabSize(), shape);
    }

    /** Random int64 ids below {@code bound}, of {@code shape}. */
    static Tensor tokens(long seed, int bound, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1;
        for (int d : shape) n *= d;
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(bound);
        return Tensor.ofLongs(ids, shape);
    }

    /** The annotated example generated for the Java backend at {@code level}, on a random input. */
    static Subject generated(Workload w, Level level, int batch) {
        ExampleModels.Forward m = ExampleModels.of(w.exampleName(), level);
        Tensor x = Tensor.random(7, batch, w.inputSize());
        return new Subject() {
            @Override public String name() { return "Java/" + level.classToken(); }
            @Override public void call() { Sink.consume(m.forward(x).data()[0]); }
            @Override public void close() { m.close(); }
        };
    }

    /**
     * The workload written by hand on the runtime's kernels: {@link HandWrittenDense} (random weights, seed 11) for the
     * dense models; {@link HandWrittenResNet} or {@link HandWrittenGpt} over the weights of the compiled model at
     * {@link Level#FULL} (seed 0) for the zoo ones, on the same random input as {@link #compiled}.
     */
    static Subject handWritten(Workload w, int batch) {
        String name = "hand-written (runtime kernels)";
        if (w.dense()) {
            HandWrittenDense m = new HandWrittenDense(w.widths(), 11);
            float[] x = Tensor.random(7, batch, w.inputSize()).data();
            return new Subject() {
                @Override public String name() { return name; }
                @Override public void call() { Sink.consume(m.forward(x, batch)[0]); }
            };
        }
        // the compiled model only supplies the weights (the same at every batch size, from the same seed), compiled
        // at batch 1 so that it holds no large buffers; it stays open so that they stay valid
        CompiledModel weights = compile(w, Level.FULL, 1);
        Tensor x = input(w, batch, 7);
        if (w.tokens()) {
            HandWrittenGpt m = new HandWrittenGpt(Workload.GPT, weights.parameters());
            return new Subject() {
                @Override public String name() { return name; }
                @Override public void call() { Sink.consume(m.forward(x).data()[0]); }
                @Override public void close() { weights.close(); }
            };
        }
        HandWrittenResNet m = new HandWrittenResNet(weights.parameters());
        return new Subject() {
            @Override public String name() { return name; }
            @Override public void call() { Sink.consume(m.forward(x).data()[0]); }
            @Override public void close() { weights.close(); }
        };
    }

    /** Does nothing but what every subject's call does: the harness's own cost per timed call. */
    static Subject empty() {
        return new Subject() {
            @Override public String name() { return "empty model"; }
            @Override public void call() { Sink.consume(0f); }
        };
    }

    /** Keeps results observable so the JIT cannot drop a forward pass whose output nobody reads. */
    final class Sink {
        private static volatile float last;
        private static volatile Object lastObject;

        private Sink() {}

        static void consume(float v) { last = v; }

        static void keep(Object o) { lastObject = o; }
    }
}
