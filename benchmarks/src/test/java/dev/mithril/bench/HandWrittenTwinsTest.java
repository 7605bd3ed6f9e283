package dev.mithril.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.examples.zoo.GptConfig;
import dev.mithril.examples.zoo.Zoo;
import dev.mithril.runtime.AbstractCompiledModel;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The hand-written twins compute what the compiled zoo models compute, on small hyperparameters with every
 * normalization parameter randomized (so folding a batch norm wrongly, or skipping a layer norm's affine part,
 * shows), at awkward batch sizes and sequence lengths.
 */
class HandWrittenTwinsTest {
    @Test
    void resnet18MatchesTheCompiledModel() {
        // width 4, 3 channels, 32x32 (odd 37x29 exercises the padding arithmetic), 10 classes
        for (int[] image : new int[][] {{32, 32}, {37, 29}}) {
            for (Level level : new Level[] {Level.NONE, Level.FULL}) {
                assertResNetTwin(Zoo.resnet(18, 10, 4, 3, image[0], image[1]), level, 3, image);
            }
        }
    }

    @Test
    void resnet50MatchesTheCompiledModel() {
        assertResNetTwin(Zoo.resnet(50, 7, 4, 3, 32, 32), Level.FULL, 2, new int[] {32, 32});
    }

    @Test
    void gptMatchesTheCompiledModel() {
        GptConfig c = new GptConfig(53, 16, 1, 4, 32);
        assertGptTwin(c, Level.FULL, 2, 5);
        assertGptTwin(c, Level.NONE, 1, 16);
        assertGptTwin(new GptConfig(31, 8, 2, 2, 12), Level.FULL, 3, 7);
    }

    @Test
    void missingParametersAreNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> new HandWrittenResNet(Map.of()));
        assertTrue(e.getMessage().contains("conv1.weight"), e.getMessage());
        var g = assertThrows(IllegalArgumentException.class, () -> new HandWrittenGpt(new GptConfig(5, 4, 1, 1, 4), Map.of()));
        assertTrue(g.getMessage().contains("transformer.wte.weight"), g.getMessage());
    }

    private static void assertResNetTwin(Graph g, Level level, int batch, int[] image) {
        try (CompiledModel m = compile(g, level, Map.of("batch", batch))) {
            Tensor x = Tensor.random(5, batch, 3, image[0], image[1]);
            float[] expected = m.evaluate(Map.of("x", x)).get("logits").data();
            Tensor got = new HandWrittenResNet(m.parameters()).forward(x);
            assertArrayEquals(new int[] {batch, expected.length / batch}, got.shape());
            assertClose(expected, got.data(), "resnet " + level + " " + image[0] + "x" + image[1]);
            // a second call reuses the buffers and must give the same answer
            assertClose(expected, new HandWrittenResNet(m.parameters()).forward(x).data(), "resnet, second twin");
        }
    }

    private static void assertGptTwin(GptConfig c, Level level, int batch, int t) {
        try (CompiledModel m = compile(Zoo.gpt(c), level, Map.of("batch", batch, "T", t))) {
            Tensor idx = Subject.tokens(9, c.vocabSize(), batch, t);
            float[] expected = m.evaluate(Map.of("idx", idx)).get("logits").data();
            HandWrittenGpt twin = new HandWrittenGpt(c, m.parameters());
            Tensor got = twin.forward(idx);
            assertArrayEquals(new int[] {batch, t, c.vocabSize()}, got.shape());
            assertClose(expected, got.data(), "gpt " + c + " " + level);
            assertClose(expected, twin.forward(idx).data(), "gpt, second call");
        }
    }

    /** Compiled at {@code level} with PyTorch-style random weights, then every norm parameter randomized. */
    private static CompiledModel compile(Graph g, Level level, Map<String, Integer> dims) {
        CompiledModel m = Mithril.compile(g, Backend.JAVA, level, new HashMap<>(dims));
        ((AbstractCompiledModel) m).initialize(0);
        SplittableRandom r = new SplittableRandom(1);
        for (var e : m.parameters().entrySet()) {
            if (e.getValue().dtype() != DType.F32) continue;
            String name = e.getKey();
            float[] d = e.getValue().data();
            boolean norm = name.contains("bn") || name.contains("downsample.1") || name.contains("ln_");
            if (!norm) continue;
            for (int i = 0; i < d.length; i++) {
                double u = r.nextDouble();
                d[i] = (float) (name.endsWith("running_var") || name.endsWith(".weight") ? 0.5 + u : 0.4 * (u - 0.5));
            }
        }
        if (m instanceof Trainable t) t.parametersChanged();
        return m;
    }

    private static void assertClose(float[] expected, float[] got, String what) {
        assertTrue(got.length >= expected.length, what + ": " + got.length + " values, expected " + expected.length);
        double scale = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        assertTrue(scale > 1e-3, what + ": degenerate output (all near zero), the comparison would prove nothing");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], 2e-4 * (1 + scale), what + ": value " + i);
        }
    }
}
