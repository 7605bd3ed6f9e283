package dev.mithril.bench;

import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * The optional ND4J backend as the harness sees it. This module does not compile against ND4J (its runnable jar
 * stays without ND4J's ~134 MB of jars), so whether ND4J is there is asked at run time, and the hand-written ND4J
 * model ({@code dev.mithril.nd4j.Nd4jHandWrittenDense} in the mithril-nd4j module) is loaded by name.
 */
final class Nd4jBench {
    static final String BRIDGE = "dev.mithril.nd4j.Nd4jBridge", TWIN = "dev.mithril.nd4j.Nd4jHandWrittenDense";
    /** Why {@code --backend nd4j} cannot run, and how to make it run. */
    static final String MISSING = "ND4J is not on the class path: it is the optional module mithril-nd4j, left out of "
            + "mithril.jar. ./mithril adds it when a command asks for --backend nd4j or all (after ./mvnw install has built "
            + "the nd4j module); running the jar by hand, add nd4j/target/mithril-nd4j-*.jar and the jars listed in "
            + "nd4j/target/runtime-classpath.txt to -cp";

    private Nd4jBench() {}

    /** Whether mithril-nd4j (and with it ND4J) is on the class path. */
    static boolean available() {
        try {
            Class.forName(BRIDGE, false, Nd4jBench.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * {@code w} (a dense workload) written by hand on ND4J, over the parameters of the generated ND4J model at
     * {@link Level#FULL} (seed 0) and the same random input as {@link Subject#compiled}.
     */
    static Subject handWritten(Workload w, int batch) {
        if (!w.dense()) throw new IllegalStateException(w.id() + " has no hand-written ND4J model (linear and mlp have)");
        // the generated model supplies the weights and stays open: the twin may view its off-heap parameters
        CompiledModel weights = Subject.compile(w, Backend.ND4J, Level.FULL, batch);
        DoubleSupplier pass;
        try {
            pass = (DoubleSupplier) Class.forName(TWIN).getMethod("forwardPass", Map.class, Tensor.class)
                    .invoke(null, weights.parameters(), Subject.input(w, batch, 7));
        } catch (ReflectiveOperationException | LinkageError e) {
            weights.close();
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("cannot create " + TWIN + ": " + cause, e);
        }
        return new Subject() {
            @Override public String name() { return "ND4J by hand"; }
            @Override public void call() { Subject.Sink.consume((float) pass.getAsDouble()); }
            @Override public void close() { weights.close(); }
        };
    }
}
