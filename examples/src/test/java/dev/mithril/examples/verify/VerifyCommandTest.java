package dev.mithril.examples.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.runtime.Safetensors;
import dev.mithril.runtime.SafetensorsFile;
import dev.mithril.runtime.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyCommandTest {
    static Path fixture(String name) {
        Path p = Path.of(System.getProperty("mithril.reference.dir", "../../shared/reference"), name + ".safetensors");
        assertTrue(Files.isRegularFile(p), "missing PyTorch fixture " + p.toAbsolutePath());
        return p;
    }

    @Test
    void linearAndMlpFixturesMatchPyTorchAtEveryLevel() {
        for (String name : List.of("linear", "mlp")) {
            ReferenceFixture f = ReferenceFixture.read(fixture(name));
            for (Level level : Level.values()) {
                List<FixtureCheck.Result> results = FixtureCheck.run(f, Backend.JAVA, level);
                assertEquals(List.of("output.eval", "output.train", "loss.train", "grad.*"),
                        results.stream().map(FixtureCheck.Result::group).toList(), name + " " + level);
                for (FixtureCheck.Result r : results) {
                    assertTrue(r.passed(), name + " " + level + " " + r);
                    assertTrue(r.maxRelativeError() < 1e-4, r.toString());
                }
                assertEquals(name.equals("mlp") ? 8 : 2, results.getLast().tensors(), "gradient tensors compared");
            }
        }
    }

    @Test
    void resnetFixturesMatchPyTorchAtEveryLevel() {
        for (String name : List.of("resnet18_w8", "resnet50_w4")) {
            ReferenceFixture f = ReferenceFixture.read(fixture(name));
            int grads = f.group("grad.").size(), runningStats = f.group("after_train.").size();
            assertTrue(grads > 0 && runningStats > 0, name);
            for (Level level : Level.values()) {
                List<FixtureCheck.Result> results = FixtureCheck.run(f, Backend.JAVA, level);
                assertEquals(List.of("output.eval", "output.train", "loss.train", "grad.*", "after_train.*"),
                        results.stream().map(FixtureCheck.Result::group).toList(), name + " " + level);
                for (FixtureCheck.Result r : results) assertTrue(r.passed() && r.maxRelativeError() < 1e-4, name + " " + level + " " + r);
                assertEquals(grads, results.get(3).tensors(), "gradient tensors compared");
                assertEquals(runningStats, results.get(4).tensors(), "running statistics compared");
            }
        }
    }

    @Test
    void gptFixtureMatchesPyTorchAtEveryLevelAndGeneratesItsTokensWithAndWithoutTheCache() {
        ReferenceFixture f = ReferenceFixture.read(fixture("gpt_tiny"));
        int grads = f.group("grad.").size();
        assertTrue(grads > 0 && f.generate() > 0 && f.tensor("output.generate") != null);
        for (Level level : Level.values()) {
            List<FixtureCheck.Result> results = FixtureCheck.run(f, Backend.JAVA, level);
            assertEquals(List.of("output.eval", "output.train", "loss.train", "grad.*", "generate", "generate.cache"),
                    results.stream().map(FixtureCheck.Result::group).toList(), "gpt_tiny " + level);
            for (FixtureCheck.Result r : results) assertTrue(r.passed() && r.maxRelativeError() < 1e-4, "gpt_tiny " + level + " " + r);
            assertEquals(grads, results.get(3).tensors(), "gradient tensors compared (wte's includes the tied lm_head)");
        }
    }

    @Test
    void generationCheckCountsDifferingTokenIds() {
        Tensor expected = Tensor.ofLongs(new long[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertTrue(GenerationCheck.compare("generate", expected, expected.copy()).passed());
        FixtureCheck.Result r = GenerationCheck.compare("generate", expected, Tensor.ofLongs(new long[] {1, 2, 3, 4, 9, 6}, 2, 3));
        assertFalse(r.passed());
        assertEquals(1, r.maxRelativeError());
        assertTrue(r.problem().contains("first at [1, 1]: 9, PyTorch 5"), r.problem());
        assertFalse(GenerationCheck.compare("generate", expected, Tensor.ofLongs(new long[] {1, 2, 3, 4}, 2, 2)).passed());
    }

    @Test
    void commandExitsZeroOnGoodFixturesAndOneOnAlteredOnes(@TempDir Path dir) throws Exception {
        assertEquals(0, run(fixture("linear").toString(), "--level", "full"));

        // Alter one gradient element of the mlp fixture by 1% of the tensor's largest magnitude.
        Map<String, String> meta;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (SafetensorsFile f = Safetensors.open(fixture("mlp"))) {
            meta = f.metadata();
            f.all().forEach((k, v) -> tensors.put(k, v.copy()));
        }
        float[] g = tensors.get("grad.layers.2.weight").data();
        float max = 0;
        for (float v : g) max = Math.max(max, Math.abs(v));
        g[17] += 0.01f * max;
        Path altered = dir.resolve("mlp_altered.safetensors");
        Safetensors.write(altered, tensors, meta);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = run(out, altered.toString(), "--level", "none");
        assertEquals(1, code);
        String text = out.toString();
        assertTrue(text.contains("grad.*") && text.contains("FAIL: 'layers.2.weight' differs beyond 1e-4"), text);
        assertTrue(text.contains("MISMATCH"), text);
        assertFalse(text.contains("output.eval") && text.lines().anyMatch(l -> l.contains("output.eval") && l.contains("FAIL")), text);
    }

    private static int run(String... args) { return run(new ByteArrayOutputStream(), args); }

    private static int run(ByteArrayOutputStream sink, String... args) {
        PrintStream old = System.out;
        System.setOut(new PrintStream(sink, true));
        try {
            return new VerifyCommand().run(args);
        } finally {
            System.setOut(old);
        }
    }
}
