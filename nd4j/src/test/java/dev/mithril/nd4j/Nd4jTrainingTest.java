package dev.mithril.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.squareup.javapoet.JavaFile;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.processor.InMemoryCompiler;
import dev.mithril.processor.ModelCompiler;
import dev.mithril.processor.RandomGraphs;
import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * ND4J training at every level against the Java backend's training at level None, on MLPs and random
 * graphs (the graphs the Java backend's gradient tests use), with the same random parameters: forward outputs, parameter gradients and
 * input gradients after two steps (the second must carry nothing over from the first), then inference
 * after the parameters were written in place; with the model-zoo layers, the running statistics that training
 * batch norms moved. Both backends compute in float32 (ND4J renders float32
 * only), so they agree to rounding: 1e-5 of the largest value, as the Java backend's levels agree. A
 * gradient that cancels to zero (a softmax's gradient summed along its axis into a bias, a bias before a
 * training batch norm) is float32 rounding noise of sums of hundreds of terms of order 1, up to about 1e-7
 * on either backend, so it is measured against {@link #FLOOR} instead of its own (noise) magnitude: the
 * other gradients here are of order 1 and more (random order-1 output gradients summed over rows), where
 * the floor does not apply.
 */
class Nd4jTrainingTest {
    private static final double TOLERANCE = 1e-5;
    private static final double FLOOR = 0.1;

    @Test
    void mlpGradientsAgreeWithJava() {
        check(List.of(Nd4jDifferentialTest.mlp(31, 17, 5, 3), Nd4jDifferentialTest.mlp(64, 33, 10)), new SplittableRandom(3));
    }

    @Test
    void randomGraphGradientsAgreeWithJava() {
        List<Graph> graphs = new ArrayList<>();
        for (int i = 0; i < 40; i++) graphs.add(RandomGraphs.generate(1000 + i));
        check(graphs, new SplittableRandom(5));
    }

    /** The model-zoo layers: convolutions with training batch norms (running statistics compared too), pools, a transformer block. */
    @Test
    void layerGradientsAgreeWithJava() {
        check(List.of(Nd4jLayersTest.convNet(), Nd4jLayersTest.transformerBlock()), new SplittableRandom(9));
    }

    @Test
    void frozenParametersGetNoGradient() {
        Graph g = Nd4jDifferentialTest.mlp(7, 5, 3);
        ClassLoader loader = compile(List.of(g));
        Trainable java = create(loader, 0, g, Backend.JAVA, Level.NONE), nd4j = create(loader, 0, g, Backend.ND4J, Level.FULL);
        String frozen = nd4j.parameters().keySet().iterator().next();
        java.setTrainable(frozen, false);
        nd4j.setTrainable(frozen, false);
        assertEquals(java.trainableParameters(), nd4j.trainableParameters());
        Map<String, Tensor> in = Map.of("x", Tensor.random(1, 4, 7));
        for (Trainable m : List.of(java, nd4j)) {
            m.zeroGrad();
            m.forwardTrain(in);
            m.backward(Map.of("logits", Tensor.random(2, 4, 3)));
        }
        assertTrue(Nd4jDifferentialTest.relativeError(nd4j.gradients().get(frozen), Tensor.zeros(nd4j.gradients().get(frozen).shape())) == 0);
        for (String p : java.trainableParameters())
            assertTrue(Nd4jDifferentialTest.relativeError(nd4j.gradients().get(p), java.gradients().get(p)) <= TOLERANCE, p);
        assertThrows(IllegalArgumentException.class, () -> nd4j.setTrainable("nope", false));
        assertThrows(IllegalArgumentException.class, () -> nd4j.backward(Map.of("nope", Tensor.zeros(4, 3))));
        assertThrows(IllegalArgumentException.class, () -> nd4j.backward(Map.of("logits", Tensor.zeros(4, 2))));
        assertThrows(IllegalStateException.class, () -> create(loader, 0, g, Backend.ND4J, Level.NONE).backward(Map.of()));
    }

    private static void check(List<Graph> graphs, SplittableRandom r) {
        ClassLoader loader = compile(graphs);
        for (int i = 0; i < graphs.size(); i++) {
            Graph g = graphs.get(i);
            int batch = 1 + r.nextInt(6);
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            for (Node n : g.inputs()) inputs.put(n.name(), n.type().dtype() == DType.I64 ? ids(r, shape(n, batch)) : Tensor.random(r.nextLong(), shape(n, batch)));
            Trainable reference = create(loader, i, g, Backend.JAVA, Level.NONE);
            Map<String, Tensor> params = Nd4jLayersTest.randomParameters(reference, r);
            reference.load(params);
            Map<String, Tensor> expected = run(reference, inputs);
            for (Level l : Level.values()) {
                Trainable m = create(loader, i, g, Backend.ND4J, l);
                m.load(params);
                assertEquals("nd4j", m.backend());
                Map<String, Tensor> got = run(m, inputs);
                assertEquals(expected.keySet(), got.keySet(), g.name() + " " + l);
                for (String k : expected.keySet()) {
                    if (expected.get(k).dtype() == DType.I64) {
                        assertArrayEquals(expected.get(k).longs(), got.get(k).longs(), g.name() + " ND4J " + l + " " + k);
                        continue;
                    }
                    double err = error(got.get(k), expected.get(k));
                    assertTrue(err <= TOLERANCE, () -> g.name() + " ND4J " + l + " " + k + ": relative error " + err + "\n" + g.toText());
                }
            }
        }
    }

    /** Two training steps, then inference with every parameter halved in place; everything observable, copied. */
    private static Map<String, Tensor> run(Trainable m, Map<String, Tensor> inputs) {
        for (String in : m.inputNames()) if (inputs.get(in).dtype().isFloatingPoint()) m.setInputRequiresGrad(in, true);
        Map<String, Tensor> got = new LinkedHashMap<>();
        for (int step = 0; step < 2; step++) {
            Map<String, Tensor> out = m.forwardTrain(inputs);
            Map<String, Tensor> grads = new LinkedHashMap<>();
            long seed = 77 + step;
            for (var e : out.entrySet()) {
                got.put("output " + e.getKey(), e.getValue().copy());
                grads.put(e.getKey(), Tensor.random(seed++, e.getValue().shape()));
            }
            m.zeroGrad();
            m.backward(grads);
        }
        m.gradients().forEach((k, v) -> got.put("gradient " + k, v.copy()));
        m.inputGradients().forEach((k, v) -> got.put("input gradient " + k, v.copy()));
        m.parameters().forEach((k, v) -> { if (v.dtype() == DType.F32) got.put("parameter " + k, v.copy()); });
        for (Tensor p : m.parameters().values()) if (p.dtype() == DType.F32) for (int i = 0; i < p.size(); i++) p.data()[i] *= 0.5f;
        m.parametersChanged();
        m.evaluate(inputs).forEach((k, v) -> { if (v.dtype() == DType.F32) got.put("after step " + k, v.copy()); });
        return got;
    }

    /** Largest |a - b| over the largest |b|, or over {@link #FLOOR} when that is smaller. */
    private static double error(Tensor actual, Tensor expected) {
        float[] e = expected.data();
        double max = 0;
        for (float v : e) max = Math.max(max, Math.abs(v));
        return Nd4jDifferentialTest.relativeError(actual, expected) * Math.max(max, 1e-30) / Math.max(max, FLOOR);
    }

    private static ClassLoader compile(List<Graph> graphs) {
        List<JavaFile> files = new ArrayList<>();
        for (int i = 0; i < graphs.size(); i++) {
            Graph g = graphs.get(i);
            String pkg = "nd4jtrain.g" + i;
            files.add(ModelCompiler.modelInterface(g, pkg));
            files.add(ModelCompiler.compile(g, pkg, Backend.JAVA, Level.NONE));
            for (Level l : Level.values()) files.add(ModelCompiler.compile(g, pkg, Backend.ND4J, l));
        }
        return InMemoryCompiler.compile(files);
    }

    private static Trainable create(ClassLoader loader, int index, Graph g, Backend b, Level l) {
        String name = "nd4jtrain.g" + index + "." + ModelCompiler.className(g, b, l);
        try {
            return (Trainable) loader.loadClass(name).getMethod("create", long.class).invoke(null, 7L);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot create " + name, e);
        }
    }

    /** Token ids below 7, the smallest table of the models here. */
    private static Tensor ids(SplittableRandom r, int[] shape) {
        long[] v = new long[java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(7);
        return Tensor.ofLongs(v, shape);
    }

    private static int[] shape(Node n, int batch) {
        return n.type().dims().stream().mapToInt(d -> (int) d.evaluate(Map.of("batch", batch))).toArray();
    }
}
