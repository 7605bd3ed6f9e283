package dev.mithril.nd4j;

import static dev.mithril.dsl.builder.Layers.linear;
import static dev.mithril.dsl.builder.Layers.relu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.JavaFile;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.builder.Sequential;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.processor.InMemoryCompiler;
import dev.mithril.processor.ModelCompiler;
import dev.mithril.processor.Pipeline;
import dev.mithril.processor.Program;
import dev.mithril.processor.RandomGraphs;
import dev.mithril.processor.backend.nd4j.Nd4jRenderer;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

    static Graph mlp(int... widths) {
        Sequential s = Sequential.input("x", "batch", widths[0]);
        for (int i = 1; i < widths.length; i++) {
            s.then(linear(widths[i]));
            if (i < widths.length - 1) s.then(relu());
        }
        return s.output("logits");
    }

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
            CompiledModel reference = create(loader, pkg + "." + ModelCompiler.className(graph, Backend.JAVA, Level.NONE));
            for (int b : new int[] {batch, BATCHES[r.nextInt(BATCHES.length)]}) {
                Map<String, Tensor> inputs = inputs(graph, b, r);
                Map<String, Tensor> expected = copies(reference.evaluate(inputs));
                for (Level l : Level.values()) {
                    compare(graph, l, "symbolic", create(loader, pkg + "." + ModelCompiler.className(graph, Backend.ND4J, l)), inputs, expected);
                    if (b == batch) compare(graph, l, "batch=" + batch,
                            create(loader, pkg + ".Bound" + ModelCompiler.className(graph, Backend.ND4J, l)), inputs, expected);
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

    /** Largest |a - b| over the largest |b|. */
    static double relativeError(Tensor actual, Tensor expected) {
        if (!java.util.Arrays.equals(actual.shape(), expected.shape()))
            throw new AssertionError("shape " + Tensor.shapeString(actual.shape()) + " != " + Tensor.shapeString(expected.shape()));
        float[] a = actual.data(), e = expected.data();
        double max = 0, diff = 0;
        for (int i = 0; i < e.length; i++) {
            max = Math.max(max, Math.abs(e[i]));
            double d = Math.abs((double) a[i] - e[i]);
            if (Double.isNaN(d)) d = Double.isNaN(a[i]) && Double.isNaN(e[i]) ? 0 : Double.POSITIVE_INFINITY;
            diff = Math.max(diff, d);
        }
        return diff / Math.max(max, 1e-30);
    }

    private static Map<String, Tensor> inputs(Graph g, int batch, SplittableRandom r) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (Node n : g.inputs()) {
            int[] shape = n.type().dims().stream().mapToInt(d -> (int) d.evaluate(Map.of("batch", batch))).toArray();
            in.put(n.name(), Tensor.random(r.nextLong(), shape));
        }
        return in;
    }

    private static Map<String, Tensor> copies(Map<String, Tensor> m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }

    private static CompiledModel create(ClassLoader loader, String name) {
        try {
            return (CompiledModel) loader.loadClass(name).getMethod("create", long.class).invoke(null, 7L);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot create " + name, e);
        }
    }
}
