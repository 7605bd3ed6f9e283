package dev.mithril.examples.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.examples.zoo.Zoo;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Safetensors;
import dev.mithril.runtime.SafetensorsFile;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
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

    /**
     * Both shared ResNet fixtures train batch norm on 2 images that layer4 has shrunk to 1x1: some channels' batch
     * variance there falls far below eps (to 3e-7 in resnet18_w8, 3e-8 in resnet50_w4), where normalizing turns float32
     * rounding into large changes. Recomputed in float64 by PyTorch 1.13, resnet18_w8's training output is 1.3e-4 off
     * the fixture and its gradients 1.5e-3; resnet50_w4's training output 0.2 (and even two float64 computations of
     * resnet50_w4 differ by 3e-7 in its gradients: a condition number near 1e9). So inference and the running
     * statistics before layer4 are held to the README's 1e-4, resnet18_w8's running statistics too; resnet18_w8's
     * training output, loss and gradients to 5e-3, a few times PyTorch's own float64 distance (ours moves between
     * 4e-4 and 1.7e-3 with the GEMM's summation order); resnet50_w4's training results past layer3 are not comparable.
     * {@link ZooFixturesTest} checks every group of both models at 1e-4 (float32) and 1e-9 (float64) on
     * well-conditioned fixtures instead.
     */
    @Test
    void resnetFixturesMatchPyTorchAtEveryLevelWhereFloat32CanTell() {
        for (String name : List.of("resnet18_w8", "resnet50_w4")) {
            ReferenceFixture f = ReferenceFixture.read(fixture(name));
            int grads = f.group("grad.").size(), runningStats = f.group("after_train.").size();
            assertTrue(grads > 0 && runningStats > 0, name);
            for (Level level : Level.values()) {
                List<FixtureCheck.Result> results = FixtureCheck.run(f, Backend.JAVA, level);
                assertEquals(List.of("output.eval", "output.train", "loss.train", "grad.*", "after_train.*"),
                        results.stream().map(FixtureCheck.Result::group).toList(), name + " " + level);
                assertTrue(results.get(0).passed(), name + " " + level + " " + results.get(0));
                assertEquals(grads, results.get(3).tensors(), "gradient tensors compared");
                assertEquals(runningStats, results.get(4).tensors(), "running statistics compared");
                if (name.equals("resnet18_w8")) {
                    assertTrue(results.get(4).passed(), name + " " + level + " " + results.get(4));
                    for (int i : new int[] {1, 2, 3}) {
                        assertTrue(results.get(i).problem() == null && results.get(i).maxRelativeError() < 5e-3, name + " " + level + " " + results.get(i));
                    }
                }
            }
        }
        // resnet50_w4: the running statistics of every batch norm before layer4, after one training forward.
        ReferenceFixture f = ReferenceFixture.read(fixture("resnet50_w4"));
        try (CompiledModel m = Mithril.compile(Zoo.fromConfig(f.model(), FixtureCheck.configOf(f)), Backend.JAVA, Level.BASIC)) {
            m.load(f.parameters());
            ((Trainable) m).forwardTrain(Map.of("x", f.tensor("input")));
            Map<String, Tensor> before4 = new LinkedHashMap<>();
            f.group("after_train.").forEach((k, v) -> { if (!k.startsWith("layer4.")) before4.put(k, v); });
            assertEquals(86, before4.size());
            FixtureCheck.Result r = FixtureCheck.compare("after_train.*", before4, m.parameters());
            assertTrue(r.passed(), r.toString());
        }
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
