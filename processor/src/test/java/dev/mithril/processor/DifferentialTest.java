package dev.mithril.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.squareup.javapoet.JavaFile;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Basic and Full against None, the one-kernel-per-node reference: on MLPs and on random graphs over the
 * whole operation set, with symbolic and compile-time-bound batch sizes. Every model of a batch of graphs
 * is compiled in one javac run to keep the suite fast.
 */
class DifferentialTest {
    private static final double TOLERANCE = 1e-5;
    private static final int[] BATCHES = {1, 3, 7, 16, 17};

    @Test
    void mlpAgreesAcrossLevels() {
        check(List.of(Models.mlp(784, 1024, 512, 256, 10), Models.mlp(31, 17, 5, 3)), new SplittableRandom(1));
    }

    @Test
    void randomGraphsAgreeAcrossLevels() {
        SplittableRandom r = new SplittableRandom(42);
        for (int chunk = 0; chunk < 4; chunk++) {
            List<Graph> graphs = new ArrayList<>();
            for (int i = 0; i < 50; i++) graphs.add(RandomGraphs.generate(chunk * 50 + i));
            check(graphs, r);
        }
    }

    /** Float64 models through every level's generated code (double loops, float64 GEMM, double buffers). */
    @Test
    void float64RandomGraphsAgreeAcrossLevels() {
        List<Graph> graphs = new ArrayList<>();
        for (int i = 0; i < 40; i++) graphs.add(RandomGraphs.generate(3000 + i, dev.mithril.runtime.DType.F64));
        graphs.add(Models.mlp(31, 17, 5, 3)); // float32 beside them: one class loader, both element types
        check(graphs, new SplittableRandom(64), 1e-12);
    }

    private static void check(List<Graph> graphs, SplittableRandom r) { check(graphs, r, TOLERANCE); }

    /** Compiles every graph at every level, symbolic and bound, and compares each to None on random inputs. */
    private static void check(List<Graph> graphs, SplittableRandom r, double tolerance) {
        List<JavaFile> files = new ArrayList<>();
        List<Integer> bound = new ArrayList<>();
        for (int g = 0; g < graphs.size(); g++) {
            Graph graph = graphs.get(g);
            String pkg = "diff.g" + g;
            int batch = BATCHES[r.nextInt(BATCHES.length)];
            bound.add(batch);
            files.add(ModelCompiler.modelInterface(graph, pkg));
            for (Level l : Level.values()) {
                files.add(ModelCompiler.compile(graph, pkg, Backend.JAVA, l));
                files.add(renamed(graph, pkg, l, batch));
            }
        }
        ClassLoader loader = InMemoryCompiler.compile(files);
        for (int g = 0; g < graphs.size(); g++) {
            Graph graph = graphs.get(g);
            String pkg = "diff.g" + g;
            int batch = bound.get(g);
            CompiledModel reference = Models.create(loader, pkg + "." + ModelCompiler.className(graph, Backend.JAVA, Level.NONE));
            // Symbolic models see two batch sizes in turn, so buffers are planned again in between.
            for (int b : new int[] {batch, BATCHES[r.nextInt(BATCHES.length)]}) {
                Map<String, Tensor> inputs = Models.randomInputs(graph, b, r);
                Map<String, Tensor> expected = Models.copies(reference.evaluate(inputs));
                for (Level l : List.of(Level.BASIC, Level.FULL)) {
                    compare(graph, l, "symbolic", Models.create(loader, pkg + "." + ModelCompiler.className(graph, Backend.JAVA, l)), inputs, expected,
                            graph.inputs().get(0).type().dtype() == dev.mithril.runtime.DType.F64 ? tolerance : TOLERANCE);
                }
                if (b == batch) {
                    for (Level l : Level.values()) {
                        compare(graph, l, "batch=" + batch, Models.create(loader, pkg + ".Bound" + ModelCompiler.className(graph, Backend.JAVA, l)),
                                inputs, expected, graph.inputs().get(0).type().dtype() == dev.mithril.runtime.DType.F64 ? tolerance : TOLERANCE);
                    }
                }
            }
        }
    }

    /** The class bound to {@code batch}, renamed so it can sit beside the symbolic one. */
    private static JavaFile renamed(Graph graph, String pkg, Level l, int batch) {
        Program p = Pipeline.run(graph, l, Map.of("batch", batch));
        Program t = Pipeline.runTraining(graph, l, Map.of("batch", batch));
        return new dev.mithril.processor.backend.java.JavaRenderer().render(p, t, pkg,
                "Bound" + ModelCompiler.className(graph, Backend.JAVA, l), com.squareup.javapoet.ClassName.get(pkg, ModelCompiler.interfaceName(graph)));
    }

    private static void compare(Graph graph, Level l, String how, CompiledModel model, Map<String, Tensor> inputs, Map<String, Tensor> expected,
                                double tolerance) {
        // Run twice: the second call reuses the planned buffers, which must not leak state between calls.
        model.evaluate(inputs);
        Map<String, Tensor> actual = model.evaluate(inputs);
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            double err = Models.relativeError(actual.get(name), expected.get(name));
            assertTrue(err <= tolerance, () -> graph.name() + " " + l + " " + how + " output '" + name + "': relative error " + err
                    + "\n" + graph.toText() + "\n" + Pipeline.run(graph, l, Map.of()).toText());
        }
    }
}
