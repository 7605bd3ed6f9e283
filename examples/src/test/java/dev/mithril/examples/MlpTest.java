package dev.mithril.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ops.Linear;
import dev.mithril.dsl.ops.Relu;
import dev.mithril.runtime.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated MLP classes: levels agree with each other and with a plain loop; parameters round-trip. */
class MlpTest {
    static final int[] DIMS = {784, 1024, 512, 256, 10};
    static final List<String> PARAMS = List.of("layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
            "layers.4.weight", "layers.4.bias", "layers.6.weight", "layers.6.bias");

    /** Largest difference relative to the largest magnitude of {@code expected}. */
    static double relativeError(Tensor actual, Tensor expected) {
        assertArrayEquals(expected.shape(), actual.shape(), "shape");
        float[] a = actual.data(), e = expected.data();
        double diff = 0, scale = 0;
        for (int i = 0; i < e.length; i++) {
            diff = Math.max(diff, Math.abs((double) a[i] - e[i]));
            scale = Math.max(scale, Math.abs(e[i]));
        }
        assertTrue(scale > 0, "expected output is all zeros: the comparison would prove nothing");
        return diff / scale;
    }

    /** The MLP computed in double precision, straight from the parameters, as PyTorch defines it. */
    static Tensor reference(Map<String, Tensor> params, Tensor x) {
        int rows = x.dim(0);
        double[] h = new double[rows * DIMS[0]];
        for (int i = 0; i < h.length; i++) h[i] = x.data()[i];
        for (int layer = 0; layer < 4; layer++) {
            int in = DIMS[layer], out = DIMS[layer + 1];
            float[] w = params.get("layers." + 2 * layer + ".weight").data(), b = params.get("layers." + 2 * layer + ".bias").data();
            double[] next = new double[rows * out];
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < out; o++) {
                    double s = b[o];
                    for (int k = 0; k < in; k++) s += h[r * in + k] * w[o * in + k];
                    next[r * out + o] = layer < 3 ? Math.max(s, 0) : s;
                }
            }
            h = next;
        }
        float[] y = new float[h.length];
        for (int i = 0; i < y.length; i++) y[i] = (float) h[i];
        return Tensor.of(y, rows, DIMS[4]);
    }

    @Test
    void threeLevelsAgreeOnRandomInputs() {
        try (MlpModel none = MlpJavaNone.create(11); MlpModel basic = MlpJavaBasic.create(); MlpModel full = MlpJavaFull.create()) {
            basic.load(none.parameters());
            full.load(none.parameters());
            for (int batch : new int[] {1, 7, 32}) {
                Tensor x = Tensor.random(100 + batch, batch, 784);
                Tensor y = none.forward(x);
                assertArrayEquals(new int[] {batch, 10}, y.shape());
                assertTrue(relativeError(basic.forward(x), y) <= 1e-5, "Basic vs None, batch " + batch);
                assertTrue(relativeError(full.forward(x), y) <= 1e-5, "Full vs None, batch " + batch);
                // A second call must not depend on buffers left over from the first.
                assertTrue(relativeError(full.forward(x), y) <= 1e-5, "Full vs None, second call, batch " + batch);
            }
        }
    }

    @Test
    void noneComputesTheMlpAsPyTorchDefinesIt() {
        try (MlpModel none = MlpJavaNone.create(5)) {
            Tensor x = Tensor.random(6, 7, 784);
            double err = relativeError(none.forward(x), reference(none.parameters(), x));
            assertTrue(err <= 1e-5, "relative error " + err);
        }
    }

    @Test
    void parametersAreNamedLikeNnSequential() {
        try (MlpModel m = MlpJavaFull.create(1)) {
            assertEquals(PARAMS, List.copyOf(m.parameters().keySet()));
            for (int layer = 0; layer < 4; layer++) {
                assertArrayEquals(new int[] {DIMS[layer + 1], DIMS[layer]}, m.parameters().get(PARAMS.get(2 * layer)).shape());
                assertArrayEquals(new int[] {DIMS[layer + 1]}, m.parameters().get(PARAMS.get(2 * layer + 1)).shape());
            }
            assertEquals(List.of("x"), m.inputNames());
            assertEquals(List.of("logits"), m.outputNames());
        }
    }

    @Test
    void seededCreationIsDeterministicAndPyTorchLike() {
        try (MlpModel a = MlpJavaNone.create(9); MlpModel b = MlpJavaFull.create(9); MlpModel c = MlpJavaNone.create(10)) {
            float[] wa = a.parameters().get("layers.0.weight").data();
            assertArrayEquals(wa, b.parameters().get("layers.0.weight").data());
            assertTrue(wa[0] != c.parameters().get("layers.0.weight").data()[0]);
            float bound = (float) (1 / Math.sqrt(784));
            double max = 0;
            for (float v : wa) max = Math.max(max, Math.abs(v));
            assertTrue(max <= bound && max > 0.9 * bound, "nn.Linear init is uniform in ±1/sqrt(fan_in); max |w| = " + max);
        }
    }

    @Test
    void evaluateMatchesForward() {
        try (MlpModel m = MlpJavaBasic.create(2); MlpModel none = MlpJavaNone.create()) {
            none.load(m.parameters());
            Tensor x = Tensor.random(3, 4, 784);
            Map<String, Tensor> out = m.evaluate(Map.of("x", x));
            assertEquals(List.of("logits"), List.copyOf(out.keySet()));
            // Copied: Basic may hand out its own buffers, which the next call overwrites.
            Tensor viaEvaluate = out.get("logits").copy();
            assertTrue(relativeError(viaEvaluate, none.forward(x)) <= 1e-5);
            // Not bitwise: the runtime's GEMM may round a column differently from call to call.
            assertTrue(relativeError(m.forward(x), viaEvaluate) <= 1e-6);
        }
    }

    @Test
    void saveThenLoadReproducesOutputs(@TempDir Path dir) {
        Path file = dir.resolve("mlp.safetensors");
        Tensor x = Tensor.random(8, 5, 784);
        Tensor y;
        try (MlpModel saved = MlpJavaFull.create(3)) {
            y = saved.forward(x).copy(); // Full's outputs are its buffers
            saved.save(file);
        }
        try (MlpModel none = MlpJavaNone.create(4); MlpModel full = MlpJavaFull.create(4)) {
            assertTrue(relativeError(none.forward(x), y) > 1e-2, "differently seeded models should differ before loading");
            none.load(file);
            full.load(file);
            assertTrue(relativeError(none.forward(x), y) <= 1e-5);
            assertTrue(relativeError(full.forward(x), y) <= 1e-5);
        }
    }

    @Test
    void irTextIsShippedAsAResourceAndMatchesTheRunTimeBuilder() throws IOException {
        String ir;
        try (InputStream in = Mlp.class.getClassLoader().getResourceAsStream("META-INF/mithril/dev.mithril.examples.Mlp.ir")) {
            assertNotNull(in, "the processor writes the IR text next to the classes");
            ir = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // The same model through the run-time builder, node for node: both front ends must give one IR.
        ModelBuilder m = new ModelBuilder("Mlp");
        Value h = m.input("x", "batch", 784);
        String[] nodes = {"h1", "h2", "h3", "logits"};
        for (int layer = 0; layer < 4; layer++) {
            String p = "layers." + 2 * layer;
            int in = DIMS[layer], out = DIMS[layer + 1];
            Value w = m.parameter(p + ".weight", in, out, in), b = m.parameter(p + ".bias", in, out);
            String node = nodes[layer];
            h = layer < 3 ? m.apply(node, new Relu(), m.apply(node + "_linear", new Linear(), h, w, b))
                    : m.apply(node, new Linear(), h, w, b);
        }
        m.output("logits", h);
        assertEquals(m.build().toText(), ir);
        assertTrue(ir.contains("  %layers.0.weight = parameter(name=layers.0.weight, type=float32[1024, 784]) : float32[1024, 784]\n"), ir);
        assertTrue(ir.endsWith("  %logits = linear(%h3, %layers.6.weight, %layers.6.bias) : float32[batch, 10]\n  output logits = %logits\n}\n"), ir);
    }
}
