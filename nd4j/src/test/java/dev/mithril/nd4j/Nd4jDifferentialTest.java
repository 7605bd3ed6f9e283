package dev.mithril.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.JavaFile;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ops.Slice;
import dev.mithril.processor.InMemoryCompiler;
import dev.mithril.processor.ModelCompiler;
import dev.mithril.processor.Models;
import dev.mithril.processor.Pipeline;
import dev.mithril.processor.Program;
import dev.mithril.processor.RandomGraphs;
import dev.mithril.processor.backend.nd4j.Nd4jRenderer;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * ND4J at every level against the Java backend at level None (one kernel per node), on MLPs and random
 * graphs over the whole operation set, with a symbolic and a compile-time-bound batch. Both backends
 * initialize parameters from the same seed, so the models are the same model.
 */
class Nd4jDifferentialTest {
    private static final double TOLERANCE = 1e-5;
    private static final int[] BATCHES = {1, 3, 7, 16, 17};

    /** {@link Models#mlp}, which the other ND4J tests reach through this class. */
    static Graph mlp(int... widths) { return Models.mlp(widths); }

    @Test
    void mlpAgreesWithJava() {
        check(List.of(mlp(784, 1024, 512, 256, 10), mlp(31, 17, 5, 3)), new SplittableRandom(1));
    }

    @Test
    void randomGraphsAgreeWithJava() {
        SplittableRandom r = new SplittableRandom(42);
        List<Graph> graphs = new ArrayList<>();
        for (int i = 0; i < 60; i++) graphs.add(RandomGraphs.generate(i));
        check(graphs, r);
    }

    /** Slices of the symbolic batch axis (its last and its first row), whose first index the model finds when it runs. */
    @Test
    void slicesOfTheSymbolicBatchAgreeWithJava() {
        ModelBuilder b = new ModelBuilder("BatchSlices");
        Value x = b.input("x", "batch", 6);
        b.output("last", x.slice(0, -1, Slice.END).tanh());
        b.output("first", x.slice(0, 0, 1).linear("fc", 3));
        check(List.of(b.build()), new SplittableRandom(5));
    }

    /** A sequence shorter than a slice counted from the end is an error at every level, not a shorter slice. */
    @Test
    void aSliceLongerThanTheSymbolicAxisIsAnError() {
        ModelBuilder b = new ModelBuilder("ShortAxis");
        b.output("inner", b.input("x", "batch", "T", 3).slice(1, -3, -1).tanh());
        Graph g = b.build();
        for (Level l : Level.values()) {
            CompiledModel model = dev.mithril.Mithril.compile(g, Backend.ND4J, l);
            Tensor fits = Tensor.random(1, 2, 4, 3);
            assertEquals(2, model.evaluate(Map.of("x", fits)).get("inner").dim(1), l.toString());
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> model.evaluate(Map.of("x", Tensor.random(2, 2, 2, 3))), l.toString());
            assertTrue(e.getMessage().contains("too short"), e.getMessage());
        }
    }

    private static void check(List<Graph> graphs, SplittableRandom r) {
        List<JavaFile> files = new ArrayList<>();
        List<Integer> bound = new ArrayList<>();
        for (int g = 0; g < graphs.size(); g++) {
            Graph graph = graphs.get(g);
            String pkg = "nd4jdiff.g" + g;
            int batch = BATCHES[r.nextInt(BATCHES.length)];
            bound.add(batch);
            files.add(ModelCompiler.modelInterface(graph, pkg));
            files.add(ModelCompiler.compile(graph, pkg, Backend.JAVA, Level.NONE));
            for (Level l : Level.values()) {
                files.add(ModelCompiler.compile(graph, pkg, Backend.ND4J, l));
                files.add(bound(graph, pkg, l, batch));
            }
        }
        ClassLoader loader = InMemoryCompiler.compile(files);
        for (int g = 0; g < graphs.size(); g++) {
            Graph graph = graphs.get(g);
            String pkg = "nd4jdiff.g" + g;
            int batch = bound.get(g);
            CompiledModel reference = Models.create(loader, pkg + "." + ModelCompiler.className(graph, Backend.JAVA, Level.NONE));
            for (int b : new int[] {batch, BATCHES[r.nextInt(BATCHES.length)]}) {
                Map<String, Tensor> inputs = Models.randomInputs(graph, b, r);
                Map<String, Tensor> expected = Models.copies(reference.evaluate(inputs));
                for (Level l : Level.values()) {
                    compare(graph, l, "symbolic", Models.create(loader, pkg + "." + ModelCompiler.className(graph, Backend.ND4J, l)), inputs, expected);
                    if (b == batch) compare(graph, l, "batch=" + batch,
                            Models.create(loader, pkg + ".Bound" + ModelCompiler.className(graph, Backend.ND4J, l)), inputs, expected);
                }
            }
        }
    }

    private static JavaFile bound(Graph graph, String pkg, Level l, int batch) {
        Program p = Pipeline.run(graph, l, Map.of("batch", batch));
        return new Nd4jRenderer().render(p, pkg, "Bound" + ModelCompiler.className(graph, Backend.ND4J, l),
                ClassName.get(pkg, ModelCompiler.interfaceName(graph)));
    }

    private static void compare(Graph graph, Level l, String how, CompiledModel model, Map<String, Tensor> inputs, Map<String, Tensor> expected) {
        assertEquals("nd4j", model.backend());
        // Twice: the second call reuses the planned arrays, which must not carry state from the first.
        model.evaluate(inputs);
        Map<String, Tensor> actual = model.evaluate(inputs);
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            double err = relativeError(actual.get(name), expected.get(name));
            assertTrue(err <= TOLERANCE, () -> graph.name() + " ND4J " + l + " " + how + " output '" + name + "': relative error " + err
                    + "\n" + graph.toText());
        }
    }

    /** {@link Models#relativeError}: largest |a - b| over the largest |b|. */
    static double relativeError(Tensor actual, Tensor expected) { return Models.relativeError(actual, expected); }
}
