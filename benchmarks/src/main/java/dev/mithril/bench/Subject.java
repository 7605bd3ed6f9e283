package dev.mithril.bench;

import dev.mithril.dsl.Level;
import dev.mithril.examples.cli.ExampleModels;
import dev.mithril.runtime.Tensor;

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

    /** {@link HandWrittenDense} for the workload's widths. */
    static Subject handWritten(Workload w, int batch) {
        HandWrittenDense m = new HandWrittenDense(w.widths(), 11);
        float[] x = Tensor.random(7, batch, w.inputSize()).data();
        return new Subject() {
            @Override public String name() { return "hand-written (runtime kernels)"; }
            @Override public void call() { Sink.consume(m.forward(x, batch)[0]); }
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

        private Sink() {}

        static void consume(float v) { last = v; }
    }
}
