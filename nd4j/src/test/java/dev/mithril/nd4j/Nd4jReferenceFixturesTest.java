package dev.mithril.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.examples.verify.FixtureCheck;
import dev.mithril.examples.verify.ReferenceFixture;
import dev.mithril.runtime.AbstractCompiledModel;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Safetensors;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import dev.mithril.runtime.train.CrossEntropy;
import dev.mithril.runtime.train.LossResult;
import java.nio.file.Path;
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

    private static Path fixture(String name) {
        return Path.of(System.getProperty("mithril.reference.dir", "../../shared/reference"), name);
    }

    @ParameterizedTest
    @EnumSource(Level.class)
    void linearMatchesPyTorch(Level level) {
        ModelBuilder m = new ModelBuilder("LinearModel");
        m.output("y", m.input("x", "batch", 64).linear("linear", 32));
        check(m.build(), "linear.safetensors", level);
    }

    @ParameterizedTest
    @EnumSource(Level.class)
    void mlpMatchesPyTorch(Level level) {
        check(Nd4jDifferentialTest.mlp(784, 128, 64, 32, 10), "mlp.safetensors", level);
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
        List<FixtureCheck.Result> results = FixtureCheck.run(ReferenceFixture.read(fixture(file)), Backend.ND4J, level);
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
        ReferenceFixture f = ReferenceFixture.read(fixture("resnet18_w8.safetensors"));
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
            double err = Nd4jDifferentialTest.relativeError(runs.get(1).get(k), runs.get(0).get(k));
            assertTrue(err < ILL_CONDITIONED, "resnet18_w8 " + k + " ND4J vs Java: relative error " + err);
        }
    }

    private static void checkTraining(Trainable model, Map<String, Tensor> f, String where) {
        String output = model.outputNames().get(0);
        for (int step = 0; step < 2; step++) {
            Tensor logits = model.forwardTrain(Map.of("x", f.get("input"))).get(output);
            assertTrue(Nd4jDifferentialTest.relativeError(logits, f.get("output.train")) < 1e-4, where + ": output.train");
            LossResult loss = CrossEntropy.mean().forward(logits, f.get("target"));
            double expectedLoss = f.get("loss.train").data()[0];
            assertTrue(Math.abs(loss.value() - expectedLoss) / Math.abs(expectedLoss) < 1e-4, where + ": loss " + loss.value() + " vs " + expectedLoss);
            model.zeroGrad();
            model.backward(Map.of(output, loss.gradient()));
            int checked = 0;
            for (var e : f.entrySet()) {
                if (!e.getKey().startsWith("grad.")) continue;
                double err = Nd4jDifferentialTest.relativeError(model.gradients().get(e.getKey().substring("grad.".length())), e.getValue());
                assertTrue(err < 1e-4, where + ": " + e.getKey() + " relative error " + err);
                checked++;
            }
            assertEquals(model.parameters().size(), checked, where + ": a grad.* tensor per parameter");
        }
    }

    private static void check(Graph g, String file, Level level) {
        Map<String, Tensor> f = Safetensors.read(fixture(file));
        Tensor input = f.get("input"), expected = f.get("output.eval");
        for (Map<String, Integer> dims : List.of(Map.<String, Integer>of(), Map.of("batch", input.dim(0)))) {
            try (CompiledModel model = Mithril.compile(g, Backend.ND4J, level, dims)) {
                assertEquals("nd4j", model.backend());
                assertEquals(level.name().toLowerCase(), model.level());
                ((AbstractCompiledModel) model).load(f, "param.");
                Tensor out = model.evaluate(Map.of("x", input)).get(model.outputNames().get(0));
                assertArrayEquals(expected.shape(), out.shape());
                double err = Nd4jDifferentialTest.relativeError(out, expected);
                assertTrue(err < 1e-4, file + " on ND4J at " + level + " " + dims + ": relative error " + err);
                checkTraining((Trainable) model, f, file + " on ND4J at " + level + " " + dims);
            }
        }
    }
}
