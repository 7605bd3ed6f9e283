package dev.mithril.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.squareup.javapoet.JavaFile;
import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The backward pass the compiler derives: every operation's rule against central finite differences,
 * Basic and Full against None on random graphs, frozen parameters and determinism.
 */
class GradientsTest {
    /** One small float64 graph per rule: broadcasting both ways, reductions over each axis, vector and batched products. */
    private static List<Graph> ruleGraphs() {
        List<Graph> gs = new ArrayList<>();
        gs.add(two("AddBroadcastRow", new int[] {3, 4}, new int[] {4}, Value::plus));
        gs.add(two("AddBroadcastColumn", new int[] {3, 4}, new int[] {3, 1}, Value::plus));
        gs.add(two("SubBroadcast", new int[] {2, 3, 4}, new int[] {3, 1}, Value::minus));
        gs.add(two("SubReversed", new int[] {4}, new int[] {2, 4}, Value::minus));
        gs.add(two("MulBroadcast", new int[] {3, 4}, new int[] {1, 4}, Value::times));
        gs.add(two("MulSelf", new int[] {3, 4}, new int[] {3, 4}, (a, b) -> a.times(a).plus(b.times(a))));
        gs.add(two("DivBroadcast", new int[] {3, 4}, new int[] {4}, Value::div));
        gs.add(two("DivScalarNumerator", new int[] {1}, new int[] {3, 4}, Value::div));
        gs.add(one("Relu", new int[] {3, 4}, Value::relu));
        gs.add(one("Gelu", new int[] {3, 4}, Value::gelu));
        gs.add(one("Sigmoid", new int[] {3, 4}, Value::sigmoid));
        gs.add(one("Tanh", new int[] {3, 4}, Value::tanh));
        gs.add(one("SoftmaxLast", new int[] {3, 4}, x -> x.softmax(-1)));
        gs.add(one("SoftmaxFirst", new int[] {3, 4}, x -> x.softmax(0)));
        gs.add(one("Reshape", new int[] {3, 4}, x -> x.reshape(2, 6).times(x.reshape(2, 6))));
        gs.add(one("Flatten", new int[] {2, 3, 4}, x -> x.flatten().tanh()));
        gs.add(one("Permute", new int[] {2, 3, 4}, x -> x.permute(2, 0, 1).sigmoid()));
        gs.add(one("Transpose", new int[] {3, 4}, x -> x.transpose(0, 1).times(x.transpose(0, 1))));
        for (int axis = 0; axis < 3; axis++) {
            int a = axis;
            gs.add(one("Sum" + a, new int[] {2, 3, 4}, x -> x.times(x).sum(a)));
            gs.add(one("SumKeep" + a, new int[] {2, 3, 4}, x -> x.times(x).sum(true, a)));
            gs.add(one("Mean" + a, new int[] {2, 3, 4}, x -> x.times(x).mean(a)));
            gs.add(one("MeanKeep" + a, new int[] {2, 3, 4}, x -> x.times(x).mean(true, a)));
        }
        gs.add(one("SumAll", new int[] {2, 3, 4}, x -> x.times(x).sum()));
        gs.add(one("MeanTwoAxes", new int[] {2, 3, 4}, x -> x.times(x).mean(0, 2)));
        gs.add(two("MatMul", new int[] {3, 4}, new int[] {4, 5}, Value::matmul));
        gs.add(two("MatMulBatched", new int[] {2, 3, 4}, new int[] {2, 4, 5}, Value::matmul));
        gs.add(two("MatMulBroadcast", new int[] {2, 3, 4}, new int[] {4, 5}, Value::matmul));
        gs.add(two("MatMulVectorLeft", new int[] {4}, new int[] {4, 5}, Value::matmul));
        gs.add(two("MatMulVectorRight", new int[] {3, 4}, new int[] {4}, Value::matmul));
        gs.add(two("MatMulDot", new int[] {4}, new int[] {4}, Value::matmul));
        gs.add(one("Linear", new int[] {3, 4}, x -> x.linear("fc", 5).tanh()));
        gs.add(one("LinearRank3", new int[] {2, 3, 4}, x -> x.linear("fc", 5, false).gelu()));
        return gs;
    }

    /**
     * Float64 end to end (inputs, parameters, kernels, generated code), so central differences with a small step are
     * accurate to about 1e-9 and each rule must match them to 1e-6 of the gradient's scale.
     */
    @Test
    void everyRuleMatchesFiniteDifferences() {
        List<Graph> graphs = ruleGraphs();
        ClassLoader loader = compileAll(graphs, Map.of(Level.NONE, ""));
        SplittableRandom r = new SplittableRandom(3);
        for (Graph g : graphs) {
            Trainable m = create(loader, "grad." + g.name() + "." + ModelCompiler.className(g, Backend.JAVA, Level.NONE));
            Map<String, Tensor> inputs = awayFromZero(g, r);
            for (String in : m.inputNames()) m.setInputRequiresGrad(in, true);
            Map<String, Tensor> weights = outputWeights(g, r);
            m.forwardTrain(inputs);
            m.zeroGrad();
            m.backward(weights);
            Map<String, Tensor> analytic = new LinkedHashMap<>();
            m.inputGradients().forEach((k, v) -> analytic.put(k, v.copy()));
            m.gradients().forEach((k, v) -> analytic.put(k, v.copy()));
            assertEquals(m.inputNames().size() + m.parameters().size(), analytic.size(), g.name() + ": every input and parameter gets a gradient");
            for (var e : analytic.entrySet()) {
                Tensor wrt = inputs.containsKey(e.getKey()) ? inputs.get(e.getKey()) : m.parameters().get(e.getKey());
                assertEquals(dev.mithril.runtime.DType.F64, e.getValue().dtype(), g.name() + " d/d" + e.getKey());
                double[] x = wrt.doubles(), an = e.getValue().doubles();
                double scale = 0;
                for (double v : an) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < x.length; i++) {
                    double keep = x[i];
                    double h = 1e-6;
                    x[i] = keep + h;
                    double up = loss(m, inputs, weights);
                    x[i] = keep - h;
                    double down = loss(m, inputs, weights);
                    x[i] = keep;
                    double fd = (up - down) / (2 * h);
                    double err = Math.abs(fd - an[i]);
                    int at = i;
                    assertTrue(err <= 1e-6 * Math.max(1, scale), () -> g.name() + " d/d" + e.getKey() + "[" + at + "]: analytic " + an[at]
                            + ", finite differences " + fd + "\n" + Pipeline.runTraining(g, Level.NONE, Map.of()).toText());
                }
            }
        }
    }

    /** Float64 through every level's generated training code: Basic and Full match None to rounding. */
    @Test
    void float64GradientsAgreeAcrossLevels() {
        List<Graph> graphs = new ArrayList<>();
        for (int i = 0; i < 12; i++) graphs.add(RandomGraphs.generate(2000 + i, dev.mithril.runtime.DType.F64));
        ClassLoader loader = compileAll(graphs, Map.of(Level.NONE, "", Level.BASIC, "", Level.FULL, ""));
        SplittableRandom r = new SplittableRandom(9);
        for (Graph g : graphs) {
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            int batch = 3 + r.nextInt(5);
            for (Node n : g.inputs()) inputs.put(n.name(), Tensor.random(r.nextLong(), shape(n, batch)).toF64());
            Map<String, Tensor> expected = null;
            for (Level l : Level.values()) {
                Trainable m = create(loader, "grad." + g.name() + "." + ModelCompiler.className(g, Backend.JAVA, l));
                for (String in : m.inputNames()) m.setInputRequiresGrad(in, true);
                Map<String, Tensor> out = m.forwardTrain(inputs);
                Map<String, Tensor> grads = new LinkedHashMap<>();
                long seed = 77;
                for (var e : out.entrySet()) grads.put(e.getKey(), Tensor.random(seed++, e.getValue().shape()).toF64());
                m.zeroGrad();
                m.backward(grads);
                Map<String, Tensor> got = new LinkedHashMap<>();
                m.gradients().forEach((k, v) -> got.put(k, v.copy()));
                m.inputGradients().forEach((k, v) -> got.put("input " + k, v.copy()));
                if (expected == null) { expected = got; continue; }
                assertEquals(expected.keySet(), got.keySet());
                for (String k : expected.keySet()) {
                    double err = Models.relativeError(got.get(k), expected.get(k));
                    assertTrue(err <= 1e-12, () -> g.name() + " " + l + " gradient " + k + ": relative error " + err + "\n" + g.toText());
                }
            }
        }
    }

    @Test
    void basicAndFullGradientsAgreeWithNone() {
        List<Graph> graphs = new ArrayList<>();
        for (int i = 0; i < 40; i++) graphs.add(RandomGraphs.generate(1000 + i));
        graphs.add(Models.mlp(31, 17, 5, 3));
        ClassLoader loader = compileAll(graphs, Map.of(Level.NONE, "", Level.BASIC, "", Level.FULL, ""));
        SplittableRandom r = new SplittableRandom(5);
        for (Graph g : graphs) {
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            int batch = 3 + r.nextInt(5);
            for (Node n : g.inputs()) inputs.put(n.name(), Tensor.random(r.nextLong(), shape(n, batch)));
            Map<String, Tensor> expected = null;
            for (Level l : Level.values()) {
                Trainable m = create(loader, "grad." + g.name() + "." + ModelCompiler.className(g, Backend.JAVA, l));
                for (String in : m.inputNames()) m.setInputRequiresGrad(in, true);
                Map<String, Tensor> got = new LinkedHashMap<>();
                for (int step = 0; step < 2; step++) { // twice: planned buffers must carry nothing over
                    Map<String, Tensor> out = m.forwardTrain(inputs);
                    Map<String, Tensor> grads = new LinkedHashMap<>();
                    long seed = 77;
                    for (var e : out.entrySet()) grads.put(e.getKey(), Tensor.random(seed++, e.getValue().shape()));
                    m.zeroGrad();
                    m.backward(grads);
                }
                m.gradients().forEach((k, v) -> got.put(k, v.copy()));
                m.inputGradients().forEach((k, v) -> got.put("input " + k, v.copy()));
                if (expected == null) { expected = got; continue; }
                assertEquals(expected.keySet(), got.keySet());
                double scale = 0;
                for (Tensor t : expected.values()) scale = Math.max(scale, largestMagnitude(t));
                for (String k : expected.keySet()) {
                    // against the larger of its own largest entry and a tenth of the graph's: a gradient that is zero
                    // in exact arithmetic (G1007's fc0.bias, a bias added before a softmax over the axis it is broadcast
                    // along) holds only rounding noise, about 1e-8 of the scale, which the levels share only while every
                    // kernel on its path is in the same JIT tier (the softmax's vector exp rounds by an ulp differently
                    // once C2 compiles it)
                    double err = Models.relativeError(got.get(k), expected.get(k), 0.1 * scale);
                    assertTrue(err <= 1e-5, () -> g.name() + " " + l + " gradient " + k + ": relative error " + err + "\n" + g.toText());
                }
            }
        }
    }

    private static double largestMagnitude(Tensor t) {
        double m = 0;
        for (double v : t.toF64().doubles()) m = Math.max(m, Math.abs(v));
        return m;
    }

    @Test
    void frozenParametersGetNoGradientAndSkipTheirKernels() {
        Graph g = Models.mlp(6, 5, 4);
        for (Level l : Level.values()) {
            Trainable m = (Trainable) Mithril.compile(g, Backend.JAVA, l);
            Trainable reference = (Trainable) Mithril.compile(g, Backend.JAVA, l);
            m.setTrainable("layers.0.weight", false);
            m.setTrainable("layers.0.bias", false);
            assertEquals(java.util.Set.of("layers.2.weight", "layers.2.bias"), m.trainableParameters());
            Tensor x = Tensor.random(1, 3, 6), d = Tensor.random(2, 3, 4);
            for (Trainable t : List.of(m, reference)) {
                t.forwardTrain(Map.of("x", x));
                t.backward(Map.of("logits", d));
            }
            for (float v : m.gradients().get("layers.0.weight").data()) assertEquals(0f, v, l + ": frozen weight got a gradient");
            assertTrue(Models.relativeError(m.gradients().get("layers.2.weight"), reference.gradients().get("layers.2.weight")) == 0);
            assertTrue(reference.gradients().get("layers.0.weight").data()[0] != 0f);
            assertTrue(m.inputGradients().isEmpty(), "inputs need no gradient by default");
            assertThrows(IllegalArgumentException.class, () -> m.setTrainable("nope", false));
            assertThrows(IllegalStateException.class, () -> ((Trainable) Mithril.compile(g, Backend.JAVA, l)).backward(Map.of()));
        }
        // The first layer's weight gradient (the only product reading x) runs only when that weight trains.
        String src = Mithril.source(g, Backend.JAVA, Level.FULL, Map.of());
        assertTrue(src.contains("if (layers_0_weightTrainable) {\n"), src);
        assertEquals(src, Mithril.source(g, Backend.JAVA, Level.FULL, Map.of()), "generated source is deterministic");
    }

    private static double loss(Trainable m, Map<String, Tensor> inputs, Map<String, Tensor> weights) {
        Map<String, Tensor> out = m.evaluate(inputs);
        double s = 0;
        for (var e : out.entrySet()) {
            double[] y = e.getValue().doubles(), w = weights.get(e.getKey()).doubles();
            for (int i = 0; i < e.getValue().size(); i++) s += y[i] * w[i];
        }
        return s;
    }

    private static Graph one(String name, int[] shape, Function<Value, Value> f) {
        ModelBuilder m = new ModelBuilder(name);
        m.output("out", f.apply(m.input("a", dev.mithril.runtime.DType.F64, box(shape))));
        return m.build();
    }

    private static Graph two(String name, int[] a, int[] b, java.util.function.BinaryOperator<Value> f) {
        ModelBuilder m = new ModelBuilder(name);
        m.output("out", f.apply(m.input("a", dev.mithril.runtime.DType.F64, box(a)), m.input("b", dev.mithril.runtime.DType.F64, box(b))));
        return m.build();
    }

    private static Object[] box(int[] shape) { return java.util.Arrays.stream(shape).boxed().toArray(); }

    /** Values in ±[0.3, 1.3): no ReLU kink or zero denominator within a finite-difference step. */
    private static Map<String, Tensor> awayFromZero(Graph g, SplittableRandom r) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (Node n : g.inputs()) {
            int[] s = shape(n, 1);
            int size = java.util.Arrays.stream(s).reduce(1, (p, q) -> p * q);
            double[] v = new double[size];
            for (int i = 0; i < size; i++) v[i] = (0.3 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1);
            in.put(n.name(), Tensor.of(v, s));
        }
        return in;
    }

    private static Map<String, Tensor> outputWeights(Graph g, SplittableRandom r) {
        Map<String, Tensor> w = new LinkedHashMap<>();
        for (var e : g.outputs().entrySet()) w.put(e.getKey(), Tensor.random(r.nextLong(), shape(e.getValue(), 1)).toF64());
        return w;
    }

    private static int[] shape(Node n, int batch) {
        return n.type().dims().stream().mapToInt(d -> (int) d.evaluate(Map.of("batch", batch))).toArray();
    }

    private static ClassLoader compileAll(List<Graph> graphs, Map<Level, String> levels) {
        List<JavaFile> files = new ArrayList<>();
        for (Graph g : graphs) {
            String pkg = "grad." + g.name();
            files.add(ModelCompiler.modelInterface(g, pkg));
            for (Level l : levels.keySet()) files.add(ModelCompiler.compile(g, pkg, Backend.JAVA, l));
        }
        return InMemoryCompiler.compile(files);
    }

    private static Trainable create(ClassLoader loader, String name) {
        try {
            return (Trainable) loader.loadClass(name).getMethod("create", long.class).invoke(null, 7L);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot create " + name, e);
        }
    }
}
