package dev.mithril.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.examples.verify.FixtureCheck;
import dev.mithril.examples.verify.ReferenceFixture;
import dev.mithril.processor.Models;
import dev.mithril.processor.ReferenceFixtures;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import dev.mithril.runtime.train.CrossEntropy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The PyTorch fixtures on backend ND4J: load {@code param.*}, run {@code input}, match {@code output.eval} at
 * every level; then train: {@code output.train}, the mean cross-entropy against {@code target} ({@code loss.train})
 * and every {@code grad.*}, twice (the second step must carry nothing over from the first).
 */
class Nd4jReferenceFixturesTest {
    private static final double ILL_CONDITIONED = 5e-3;

    @ParameterizedTest
    @EnumSource(Level.class)
    void linearMatchesPyTorch(Level level) {
        ReferenceFixtures.check(ReferenceFixtures.linearModel(), "linear.safetensors", Backend.ND4J, level,
                ReferenceFixtures.OUTPUT, ReferenceFixtures.TRAINING);
    }

    @ParameterizedTest
    @EnumSource(Level.class)
    void mlpMatchesPyTorch(Level level) {
        ReferenceFixtures.check(Models.mlp(784, 128, 64, 32, 10), "mlp.safetensors", Backend.ND4J, level,
                ReferenceFixtures.OUTPUT, ReferenceFixtures.TRAINING);
    }

    /**
     * {@code mithril verify FIXTURE --backend nd4j} on the model-zoo fixtures, one level each to keep the suite short
     * (Full for the GPT, Basic for the ResNet: batch norms folded by the pass, unfolded again for ND4J). The GPT
     * passes every group: output, training loss and gradients, generated ids with and without the key-value cache.
     * The ResNet's training output and gradients are ill-conditioned (batch norms over 2 values at 1x1 in layer4):
     * they miss 1e-4 against PyTorch on the Java backend too, so {@link #resnetTrainsLikeJava} compares them with
     * the Java backend instead; its output and the running statistics that training moved pass here.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"gpt_tiny.safetensors, FULL", "resnet18_w8.safetensors, BASIC"})
    void zooFixturesVerify(String file, Level level) {
        List<FixtureCheck.Result> results = FixtureCheck.run(ReferenceFixture.read(ReferenceFixtures.path(file)), Backend.ND4J, level);
        List<String> groups = results.stream().map(FixtureCheck.Result::group).toList();
        List<String> expected = file.startsWith("gpt") ? List.of("output.eval", "output.train", "loss.train", "grad.*", "generate", "generate.cache", "generate.hand")
                : List.of("output.eval", "output.train", "loss.train", "grad.*", "after_train.*");
        assertEquals(expected, groups, file);
        for (FixtureCheck.Result r : results) {
            if (file.startsWith("resnet") && (r.group().equals("output.train") || r.group().equals("grad.*"))) continue;
            assertTrue(r.passed(), file + " " + r.group() + " on ND4J at " + level + ": " + r.maxRelativeError() + " " + r.worst() + " " + r.problem());
        }
    }

    /**
     * The ResNet fixture's training step on ND4J (Basic) against the Java backend (None): output, every gradient and the
     * moved running statistics. Both compute in float32, and the batch norms over 2 values amplify rounding (PyTorch's
     * own float32 and float64 differ by more than 1e-4 here; the Java backend and ND4J each miss PyTorch's gradients by
     * up to 2e-3), so the tolerance is {@value #ILL_CONDITIONED} relative: about three times the largest difference
     * measured between the two (1.6e-3, layer4.0.conv1.weight's gradient), where a wrong rule gives errors of order 1.
     */
    @org.junit.jupiter.api.Test
    void resnetTrainsLikeJava() {
        ReferenceFixture f = ReferenceFixture.read(ReferenceFixtures.path("resnet18_w8.safetensors"));
        Graph g = dev.mithril.examples.zoo.Zoo.fromConfig(f.model(), FixtureCheck.configOf(f), dev.mithril.runtime.DType.F32);
        List<Map<String, Tensor>> runs = new java.util.ArrayList<>();
        for (Backend b : List.of(Backend.JAVA, Backend.ND4J)) {
            try (CompiledModel model = Mithril.compile(g, b, b == Backend.JAVA ? Level.NONE : Level.BASIC)) {
                Trainable t = (Trainable) model;
                model.load(f.parameters());
                String output = model.outputNames().getFirst();
                Tensor out = t.forwardTrain(Map.of(model.inputNames().getFirst(), f.tensor("input"))).get(output).copy();
                t.zeroGrad();
                t.backward(Map.of(output, CrossEntropy.mean().forward(out, f.tensor("target")).gradient()));
                Map<String, Tensor> got = new java.util.LinkedHashMap<>();
                got.put("output.train", out);
                t.gradients().forEach((k, v) -> got.put("grad." + k, v.copy()));
                model.parameters().forEach((k, v) -> { if (k.startsWith("running", k.lastIndexOf('.') + 1)) got.put(k, v.copy()); });
                runs.add(got);
            }
        }
        assertEquals(runs.get(0).keySet(), runs.get(1).keySet());
        for (String k : runs.get(0).keySet()) {
            double err = Models.relativeError(runs.get(1).get(k), runs.get(0).get(k));
            assertTrue(err < ILL_CONDITIONED, "resnet18_w8 " + k + " ND4J vs Java: relative error " + err);
        }
    }
}
