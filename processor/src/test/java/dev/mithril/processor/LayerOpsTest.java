package dev.mithril.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.runtime.DType;
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
 * The layer operations compiled at None against plain loops written here, their gradient rules against
 * central finite differences, and Basic and Full against None.
 */
class LayerOpsTest {
    private static final double TOLERANCE = 1e-5;

    @Test
    void conv2dWithGroupsStridePaddingAndDilationMatchesTheDefinition() {
        for (boolean bias : new boolean[] {true, false}) {
            Graph g = one("Conv" + bias, new int[] {2, 4, 7, 6}, x -> x.conv2d("conv", 6, 3, 2, 2, 1, 2, 2, bias));
            Trainable m = compile(g, Level.NONE);
            Tensor x = Tensor.random(1, 2, 4, 7, 6);
            Tensor y = m.evaluate(Map.of("x", x)).get("out");
            Tensor w = m.parameters().get("conv.weight");
            assertArrayEquals(new int[] {6, 2, 3, 2}, w.shape());
            float[] b = bias ? m.parameters().get("conv.bias").data() : null;
            int oh = (7 + 2 - 2 * 2 - 1) / 2 + 1, ow = (6 + 2 - 2 * 1 - 1) / 2 + 1;
            assertArrayEquals(new int[] {2, 6, oh, ow}, y.shape());
            Tensor expected = Tensor.zeros(2, 6, oh, ow);
            for (int n = 0; n < 2; n++) for (int o = 0; o < 6; o++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
                double s = b == null ? 0 : b[o];
                int group = o / 3;
                for (int c = 0; c < 2; c++) for (int p = 0; p < 3; p++) for (int q = 0; q < 2; q++) {
                    int h = i * 2 - 1 + p * 2, v = j * 2 - 1 + q * 2;
                    if (h >= 0 && h < 7 && v >= 0 && v < 6) s += (double) x.get(n, group * 2 + c, h, v) * w.get(o, c, p, q);
                }
                expected.set((float) s, n, o, i, j);
            }
            assertClose(expected, y, "conv2d bias=" + bias);
        }
    }

    @Test
    void poolingsMatchTheDefinition() {
        Tensor x = Tensor.random(2, 2, 3, 7, 6);
        Tensor max = compile(one("MaxPool", new int[] {2, 3, 7, 6}, v -> v.maxPool2d(3, 2, 1)), Level.NONE).evaluate(Map.of("x", x)).get("out");
        Tensor avg = compile(one("AvgPool", new int[] {2, 3, 7, 6}, v -> v.avgPool2d(3, 2, 1)), Level.NONE).evaluate(Map.of("x", x)).get("out");
        Tensor ada = compile(one("AdaptivePool", new int[] {2, 3, 7, 6}, v -> v.adaptiveAvgPool2d(3, 4)), Level.NONE).evaluate(Map.of("x", x)).get("out");
        assertArrayEquals(new int[] {2, 3, 4, 3}, max.shape());
        for (int n = 0; n < 2; n++) for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) {
                float mx = Float.NEGATIVE_INFINITY;
                double sum = 0;
                for (int p = 0; p < 3; p++) for (int q = 0; q < 3; q++) {
                    int h = i * 2 - 1 + p, w = j * 2 - 1 + q;
                    if (h < 0 || h >= 7 || w < 0 || w >= 6) continue;
                    mx = Math.max(mx, x.get(n, c, h, w));
                    sum += x.get(n, c, h, w);
                }
                assertEquals(mx, max.get(n, c, i, j), 0f);
                assertEquals(sum / 9, avg.get(n, c, i, j), 1e-6, "count_include_pad: the divisor is always 9");
            }
            for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) {
                int h0 = i * 7 / 3, h1 = ((i + 1) * 7 + 2) / 3, w0 = j * 6 / 4, w1 = ((j + 1) * 6 + 3) / 4;
                double sum = 0;
                for (int h = h0; h < h1; h++) for (int w = w0; w < w1; w++) sum += x.get(n, c, h, w);
                assertEquals(sum / ((h1 - h0) * (w1 - w0)), ada.get(n, c, i, j), 1e-6);
            }
        }
    }

    @Test
    void batchNormUsesRunningStatisticsInInferenceAndBatchStatisticsInTraining() {
        Graph g = one("Bn", new int[] {3, 2, 2, 2}, x -> x.batchNorm("bn"));
        Trainable m = compile(g, Level.NONE);
        assertEquals(List.of("bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"),
                List.copyOf(m.parameters().keySet()), "PyTorch's state-dict order");
        assertEquals(DType.I64, m.parameters().get("bn.num_batches_tracked").dtype());
        assertEquals(java.util.Set.of("bn.weight", "bn.bias"), m.trainableParameters(), "buffers are not trained");
        float[] w = m.parameters().get("bn.weight").data(), b = m.parameters().get("bn.bias").data();
        assertArrayEquals(new float[] {1, 1}, w, "weight starts at one");
        assertArrayEquals(new float[] {1, 1}, m.parameters().get("bn.running_var").data(), "running variance starts at one");
        w[0] = 2f; w[1] = -0.5f; b[0] = 0.25f; b[1] = 1f;
        float[] rm = m.parameters().get("bn.running_mean").data(), rv = m.parameters().get("bn.running_var").data();
        rm[0] = 0.1f; rm[1] = -0.3f; rv[0] = 0.5f; rv[1] = 2f;
        Tensor x = Tensor.random(4, 3, 2, 2, 2);
        Tensor eval = m.evaluate(Map.of("x", x)).get("out");
        Tensor expectedEval = Tensor.zeros(3, 2, 2, 2), expectedTrain = Tensor.zeros(3, 2, 2, 2);
        double[] mean = new double[2], var = new double[2];
        for (int c = 0; c < 2; c++) {
            for (int n = 0; n < 3; n++) for (int i = 0; i < 4; i++) mean[c] += x.get(n, c, i / 2, i % 2) / 12.0;
            for (int n = 0; n < 3; n++) for (int i = 0; i < 4; i++) var[c] += Math.pow(x.get(n, c, i / 2, i % 2) - mean[c], 2) / 12.0;
            for (int n = 0; n < 3; n++) for (int i = 0; i < 4; i++) {
                float v = x.get(n, c, i / 2, i % 2);
                expectedEval.set((float) ((v - rm[c]) / Math.sqrt(rv[c] + 1e-5) * w[c] + b[c]), n, c, i / 2, i % 2);
                expectedTrain.set((float) ((v - mean[c]) / Math.sqrt(var[c] + 1e-5) * w[c] + b[c]), n, c, i / 2, i % 2);
            }
        }
        assertClose(expectedEval, eval, "inference");
        float[] rm0 = rm.clone(), rv0 = rv.clone();
        Tensor train = m.forwardTrain(Map.of("x", x)).get("out");
        assertClose(expectedTrain, train, "training");
        for (int c = 0; c < 2; c++) {
            assertEquals(0.9 * rm0[c] + 0.1 * mean[c], rm[c], 1e-6, "running mean, momentum 0.1");
            assertEquals(0.9 * rv0[c] + 0.1 * var[c] * 12 / 11, rv[c], 1e-6, "running variance, unbiased");
        }
        assertEquals(1L, m.parameters().get("bn.num_batches_tracked").longs()[0]);
        m.backward(Map.of("out", Tensor.random(5, 3, 2, 2, 2)));
        assertEquals(java.util.Set.of("bn.weight", "bn.bias"), m.gradients().keySet(), "buffers get no gradient");
    }

    @Test
    void layerNormEmbeddingAttentionConcatSliceAndArgmaxMatchTheirDefinitions() {
        Tensor x = Tensor.random(6, 2, 3, 8);
        Trainable ln = compile(one("Ln", new int[] {2, 3, 8}, v -> v.layerNorm("ln")), Level.NONE);
        ln.parameters().get("ln.weight").data()[3] = 3f;
        ln.parameters().get("ln.bias").data()[5] = -1f;
        Tensor y = ln.evaluate(Map.of("x", x)).get("out"), expected = Tensor.zeros(2, 3, 8);
        for (int r = 0; r < 6; r++) {
            double mean = 0, var = 0;
            for (int d = 0; d < 8; d++) mean += x.data()[r * 8 + d] / 8.0;
            for (int d = 0; d < 8; d++) var += Math.pow(x.data()[r * 8 + d] - mean, 2) / 8.0;
            for (int d = 0; d < 8; d++) expected.data()[r * 8 + d] = (float) ((x.data()[r * 8 + d] - mean) / Math.sqrt(var + 1e-5)
                    * (d == 3 ? 3 : 1) + (d == 5 ? -1 : 0));
        }
        assertClose(expected, y, "layer norm");

        ModelBuilder mb = new ModelBuilder("Emb");
        mb.output("out", mb.input("ids", DType.I64, 2, 3).embedding("wte", 5, 4));
        Trainable emb = compile(mb.build(), Level.NONE);
        Tensor ids = Tensor.ofLongs(new long[] {4, 0, 2, 2, 1, 3}, 2, 3);
        Tensor rows = emb.evaluate(Map.of("ids", ids)).get("out"), table = emb.parameters().get("wte.weight");
        for (int i = 0; i < 6; i++) for (int d = 0; d < 4; d++) assertEquals(table.get((int) ids.longs()[i], d), rows.data()[i * 4 + d], 0f);
        double sq = 0;
        for (float v : table.data()) sq += v * v;
        assertTrue(sq / 20 > 0.2 && sq / 20 < 3, "the table is N(0, 1) initialized, mean square " + sq / 20);

        int b = 2, t = 5, heads = 2, hd = 3, c = heads * hd;
        Tensor qkv = Tensor.random(8, b, t, 3 * c);
        Tensor att = compile(one("Attn", new int[] {b, t, 3 * c}, v -> v.causalAttention(heads)), Level.NONE).evaluate(Map.of("x", qkv)).get("out");
        Tensor expectedAtt = Tensor.zeros(b, t, c);
        for (int n = 0; n < b; n++) for (int h = 0; h < heads; h++) for (int i = 0; i < t; i++) {
            double[] p = new double[i + 1];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int d = 0; d < hd; d++) s += (double) qkv.get(n, i, h * hd + d) * qkv.get(n, j, c + h * hd + d);
                p[j] = s / Math.sqrt(hd);
                max = Math.max(max, p[j]);
            }
            for (int j = 0; j <= i; j++) sum += p[j] = Math.exp(p[j] - max);
            for (int d = 0; d < hd; d++) {
                double o = 0;
                for (int j = 0; j <= i; j++) o += p[j] / sum * qkv.get(n, j, 2 * c + h * hd + d);
                expectedAtt.set((float) o, n, i, h * hd + d);
            }
        }
        assertClose(expectedAtt, att, "causal attention");

        ModelBuilder cb = new ModelBuilder("Cat");
        Value a = cb.input("a", 2, 3), bb = cb.input("b", 2, 2);
        cb.output("cat", a.concat(1, bb));
        cb.output("odd", a.concat(1, bb).slice(1, 1, 5, 2));
        List<Value> parts = a.concat(1, bb).concat(1, bb).split(1, 7);
        cb.output("part", parts.get(5));
        cb.output("tail", a.concat(1, bb).concat(1, bb).slice(-1, -3, 100));
        cb.output("argmax", a.argmax(1));
        Trainable cat = compile(cb.build(), Level.NONE);
        Tensor av = Tensor.of(new float[] {1, 5, 3, 9, -2, 9}, 2, 3), bv = Tensor.of(new float[] {7, 8, 0, -1}, 2, 2);
        Map<String, Tensor> out = cat.evaluate(Map.of("a", av, "b", bv));
        assertArrayEquals(new float[] {1, 5, 3, 7, 8, 9, -2, 9, 0, -1}, out.get("cat").data());
        assertArrayEquals(new float[] {5, 7, -2, 0}, out.get("odd").data());
        assertArrayEquals(new float[] {7, 0}, out.get("part").data());
        assertArrayEquals(new float[] {8, 7, 8, -1, 0, -1}, out.get("tail").data(), "negative start, end clamped");
        assertEquals(DType.I64, out.get("argmax").dtype());
        assertArrayEquals(new long[] {1, 0}, out.get("argmax").longs(), "the first of equal maxima");
    }

    /**
     * Slices of an axis whose size is symbolic ({@code T}): from the end ({@code x[:, -1:]}, {@code x[:, -3:-1]}) and
     * from the start ({@code x[:, 1:3]}), at every level and at two sizes, forward and backward (the gradient is the
     * output gradient at the sliced positions and zero elsewhere); a size shorter than the slice is an error.
     */
    @Test
    void slicesOfASymbolicAxisAtEveryLevel() {
        for (Level level : Level.values()) {
            ModelBuilder b = new ModelBuilder("SymbolicSlices");
            Value x = b.input("x", "batch", "T", 3);
            b.output("last", x.slice(1, -1, dev.mithril.dsl.ops.Slice.END).tanh());
            b.output("inner", x.slice(1, -3, -1).tanh());
            b.output("head", x.slice(1, 1, 3).tanh());
            Trainable m = compile(b.build(), level);
            m.setInputRequiresGrad("x", true);
            for (int t : new int[] {5, 4}) {
                Tensor xv = Tensor.random(40 + t, 2, t, 3);
                Map<String, Tensor> out = m.evaluate(Map.of("x", xv));
                int[][] ranges = {{t - 1, t}, {t - 3, t - 1}, {1, 3}};
                String[] names = {"last", "inner", "head"};
                Map<String, Tensor> weights = new LinkedHashMap<>();
                for (int o = 0; o < 3; o++) {
                    int len = ranges[o][1] - ranges[o][0];
                    Tensor y = out.get(names[o]);
                    assertArrayEquals(new int[] {2, len, 3}, y.shape(), level + " " + names[o] + " at T=" + t);
                    for (int n = 0; n < 2; n++) for (int i = 0; i < len; i++) for (int c = 0; c < 3; c++) {
                        assertEquals(Math.tanh(xv.get(n, ranges[o][0] + i, c)), y.get(n, i, c), 1e-6, level + " " + names[o]);
                    }
                    weights.put(names[o], Tensor.random(70 + o + t, 2, len, 3));
                }
                m.forwardTrain(Map.of("x", xv));
                m.zeroGrad();
                m.backward(weights);
                Tensor dx = m.inputGradients().get("x");
                for (int n = 0; n < 2; n++) for (int p = 0; p < t; p++) for (int c = 0; c < 3; c++) {
                    double expected = 0, th = Math.tanh(xv.get(n, p, c));
                    for (int o = 0; o < 3; o++) {
                        if (p >= ranges[o][0] && p < ranges[o][1]) expected += (1 - th * th) * weights.get(names[o]).get(n, p - ranges[o][0], c);
                    }
                    assertEquals(expected, dx.get(n, p, c), 1e-5, level + " dx[" + n + "," + p + "," + c + "] at T=" + t);
                }
            }
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> m.evaluate(Map.of("x", Tensor.random(1, 2, 2, 3))), "T = 2 is shorter than x[:, -3:-1] and x[:, 1:3]");
            assertTrue(e.getMessage().contains("is not a slice of"), e.getMessage());
        }
    }

    /** One small graph per gradient rule; every input and trainable parameter is checked. */
    private static List<Graph> ruleGraphs() {
        List<Graph> gs = new ArrayList<>();
        gs.add(one("GConv", new int[] {2, 4, 5, 4}, x -> x.conv2d("conv", 4, 3, 2, 2, 1, 1, 2, true).tanh()));
        gs.add(one("GConvDilated", new int[] {1, 2, 6, 6}, x -> x.conv2d("conv", 3, 3, 3, 1, 0, 2, 1, false)));
        gs.add(one("GMaxPool", new int[] {1, 2, 5, 5}, x -> x.maxPool2d(3, 2, 1)));
        gs.add(one("GAvgPool", new int[] {1, 2, 5, 5}, x -> x.avgPool2d(3, 2, 1)));
        gs.add(one("GAdaptive", new int[] {1, 2, 5, 4}, x -> x.adaptiveAvgPool2d(2, 3)));
        gs.add(one("GBatchNorm", new int[] {3, 2, 2, 2}, x -> x.batchNorm("bn").tanh()));
        gs.add(one("GLayerNorm", new int[] {2, 2, 5}, x -> x.layerNorm("ln").tanh()));
        gs.add(one("GAttention", new int[] {1, 4, 12}, x -> x.causalAttention(2)));
        gs.add(one("GConcatSlice", new int[] {2, 6}, x -> x.slice(1, 1, 6, 2).concat(1, x.slice(1, 0, 2)).tanh()));
        ModelBuilder e = new ModelBuilder("GEmbedding");
        e.output("out", e.input("ids", DType.I64, 2, 3).embedding("wte", 4, 3).tanh());
        gs.add(e.build());
        return gs;
    }

    @Test
    void everyRuleMatchesFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(11);
        for (Graph g : ruleGraphs()) {
            Trainable m = compile(g, Level.NONE);
            Map<String, Tensor> inputs = inputs(g, r);
            for (String in : m.inputNames()) if (inputs.get(in).dtype() == DType.F32) m.setInputRequiresGrad(in, true);
            for (Tensor p : m.parameters().values()) if (p.dtype() == DType.F32 && !m.trainableParameters().isEmpty()) {
                float[] d = p.data(); // away from the initial ones and zeros, so every rule term matters
                for (int i = 0; i < d.length; i++) d[i] += (float) (0.2 * r.nextDouble());
            }
            Map<String, Tensor> weights = new LinkedHashMap<>();
            for (var o : g.outputs().entrySet()) weights.put(o.getKey(), Tensor.random(r.nextLong(), shape(o.getValue())));
            m.forwardTrain(inputs);
            m.zeroGrad();
            m.backward(weights);
            Map<String, Tensor> analytic = new LinkedHashMap<>();
            m.inputGradients().forEach((k, v) -> analytic.put(k, v.copy()));
            m.gradients().forEach((k, v) -> analytic.put(k, v.copy()));
            assertTrue(!analytic.isEmpty(), g.name());
            for (var e : analytic.entrySet()) {
                Tensor wrt = inputs.containsKey(e.getKey()) ? inputs.get(e.getKey()) : m.parameters().get(e.getKey());
                float[] x = wrt.data(), an = e.getValue().data();
                double scale = 0;
                for (float v : an) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < x.length; i++) {
                    float keep = x[i], h = 1e-2f;
                    x[i] = keep + h;
                    double up = loss(m, inputs, weights);
                    x[i] = keep - h;
                    double down = loss(m, inputs, weights);
                    x[i] = keep;
                    double fd = (up - down) / (2 * h), err = Math.abs(fd - an[i]);
                    int at = i;
                    assertTrue(err <= 5e-3 * Math.max(1, scale), () -> g.name() + " d/d" + e.getKey() + "[" + at + "]: analytic " + an[at]
                            + ", finite differences " + fd);
                }
            }
        }
    }

    @Test
    void basicAndFullAgreeWithNoneForwardAndBackward() {
        SplittableRandom r = new SplittableRandom(17);
        List<Graph> graphs = new ArrayList<>(ruleGraphs());
        ModelBuilder cnn = new ModelBuilder("Cnn");
        Value x = cnn.input("x", "batch", 3, 8, 8);
        Value h = x.conv2d("conv1", 4, 3, 3, 1, 1, 1, 1, false).batchNorm("bn1").relu().maxPool2d(2, 2, 0);
        cnn.output("logits", h.adaptiveAvgPool2d(1, 1).flatten().linear("fc", 5));
        graphs.add(cnn.build());
        for (Graph g : graphs) {
            Map<String, Tensor> inputs = inputs(g, r);
            Map<String, Tensor> weights = new LinkedHashMap<>();
            Map<String, Tensor> expected = null;
            for (Level l : Level.values()) {
                Trainable m = compile(g, l);
                Map<String, Tensor> got = new LinkedHashMap<>();
                for (int step = 0; step < 2; step++) { // twice: planned buffers must carry nothing over
                    Map<String, Tensor> out = m.forwardTrain(inputs);
                    for (var o : out.entrySet()) {
                        weights.computeIfAbsent(o.getKey(), k -> Tensor.random(r.nextLong(), o.getValue().shape()));
                        got.put("train " + o.getKey(), o.getValue().copy());
                    }
                    m.zeroGrad();
                    m.backward(weights);
                }
                m.evaluate(inputs).forEach((k, v) -> got.put("eval " + k, v.copy()));
                m.gradients().forEach((k, v) -> got.put(k, v.copy()));
                m.parameters().forEach((k, v) -> { if (v.dtype() == DType.F32) got.put("param " + k, v.copy()); });
                if (expected == null) { expected = got; continue; }
                assertEquals(expected.keySet(), got.keySet(), g.name() + " " + l);
                for (String k : expected.keySet()) assertClose(expected.get(k), got.get(k), g.name() + " " + l + " " + k);
            }
        }
    }

    private static double loss(Trainable m, Map<String, Tensor> inputs, Map<String, Tensor> weights) {
        double s = 0;
        for (var e : m.forwardTrain(inputs).entrySet()) { // training mode: batch norm on batch statistics
            float[] y = e.getValue().data(), w = weights.get(e.getKey()).data();
            for (int i = 0; i < y.length; i++) s += (double) y[i] * w[i];
        }
        return s;
    }

    private static Map<String, Tensor> inputs(Graph g, SplittableRandom r) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (Node n : g.inputs()) {
            int[] s = shape(n);
            int size = java.util.Arrays.stream(s).reduce(1, (p, q) -> p * q);
            if (n.type().dtype() == DType.I64) {
                long[] ids = new long[size];
                for (int i = 0; i < size; i++) ids[i] = i % 3; // repeated ids: the table gradient must add up
                in.put(n.name(), Tensor.ofLongs(ids, s));
            } else {
                float[] v = new float[size];
                for (int i = 0; i < size; i++) v[i] = (float) ((0.3 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
                in.put(n.name(), Tensor.of(v, s));
            }
        }
        return in;
    }

    private static int[] shape(Node n) {
        return n.type().dims().stream().mapToInt(d -> (int) d.evaluate(Map.of("batch", 2))).toArray();
    }

    private static Graph one(String name, int[] shape, Function<Value, Value> f) {
        ModelBuilder m = new ModelBuilder(name);
        m.output("out", f.apply(m.input("x", java.util.Arrays.stream(shape).boxed().toArray())));
        return m.build();
    }

    private static Trainable compile(Graph g, Level l) { return (Trainable) Mithril.compile(g, Backend.JAVA, l); }

    private static void assertClose(Tensor expected, Tensor actual, String what) {
        double err = Models.relativeError(actual, expected);
        assertTrue(err <= TOLERANCE, () -> what + ": relative error " + err);
    }
}
