package dev.mithril.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.ir.Graph;
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

/**
 * The PyTorch fixtures of {@code shared/reference} ({@code param.*}, {@code input}, {@code output.eval}, {@code target},
 * {@code output.train}, {@code loss.train}, {@code grad.*}), checked against compiled models of any backend; used by
 * this module's fixture tests and (through its test jar) the ND4J module's.
 */
public final class ReferenceFixtures {
    private ReferenceFixtures() {}

    /** A check of one compiled model (its parameters loaded) against fixture {@code f}; {@code where} heads its messages. */
    @FunctionalInterface
    public interface Check {
        void run(CompiledModel model, Map<String, Tensor> f, String where);
    }

    /** {@code evaluate} on {@code input} gives {@code output.eval} to 1e-4 relative. */
    public static final Check OUTPUT = (model, f, where) -> {
        Tensor out = model.evaluate(Map.of("x", f.get("input"))).get(model.outputNames().get(0));
        Tensor expected = f.get("output.eval");
        assertArrayEquals(expected.shape(), out.shape(), where);
        double err = Models.relativeError(out, expected);
        assertTrue(err < 1e-4, where + ": output.eval relative error " + err);
    };

    /**
     * Two training steps, each matching {@code output.train}, the mean cross-entropy against {@code target}
     * ({@code loss.train}) and every {@code grad.*} (one per parameter) to 1e-4 relative: the second step checks that
     * {@code zeroGrad} and reused buffers leave no trace of the first.
     */
    public static final Check TRAINING = (model, f, where) -> {
        Trainable t = (Trainable) model;
        String output = model.outputNames().get(0);
        for (int step = 0; step < 2; step++) {
            Tensor logits = t.forwardTrain(Map.of("x", f.get("input"))).get(output);
            assertSmall(Models.relativeError(logits, f.get("output.train")), where + " step " + step + ": output.train");
            LossResult loss = CrossEntropy.mean().forward(logits, f.get("target"));
            double expectedLoss = f.get("loss.train").data()[0];
            assertSmall(Math.abs(loss.value() - expectedLoss) / Math.abs(expectedLoss), where + " step " + step + ": loss.train");
            t.zeroGrad();
            t.backward(Map.of(output, loss.gradient()));
            int checked = 0;
            for (var e : f.entrySet()) {
                if (!e.getKey().startsWith("grad.")) continue;
                String p = e.getKey().substring("grad.".length());
                assertSmall(Models.relativeError(t.gradients().get(p), e.getValue()), where + " step " + step + ": " + e.getKey());
                checked++;
            }
            assertEquals(model.parameters().size(), checked, where + ": a grad.* tensor per parameter");
        }
    };

    /** Fixture file {@code name}, in the folder the build names ({@code mithril.reference.dir}). */
    public static Path path(String name) {
        return Path.of(System.getProperty("mithril.reference.dir", "../../shared/reference"), name);
    }

    /** The model of {@code linear.safetensors}: one linear layer, 64 to 32 features. */
    public static Graph linearModel() {
        ModelBuilder m = new ModelBuilder("LinearModel");
        m.output("y", m.input("x", "batch", 64).linear("linear", 32));
        return m.build();
    }

    /**
     * Compiles {@code g} for {@code backend} at {@code level}, once with the batch symbolic and once bound to the
     * fixture's, loads the fixture's parameters into each and runs {@code checks} on it.
     */
    public static void check(Graph g, String file, Backend backend, Level level, Check... checks) {
        Map<String, Tensor> f = Safetensors.read(path(file));
        for (Map<String, Integer> dims : List.of(Map.<String, Integer>of(), Map.of("batch", f.get("input").dim(0)))) {
            String where = file + " on " + backend + " at " + level + " " + dims;
            try (CompiledModel model = Mithril.compile(g, backend, level, dims)) {
                assertEquals(backend.name().toLowerCase(), model.backend(), where);
                assertEquals(level.name().toLowerCase(), model.level(), where);
                ((AbstractCompiledModel) model).load(f, "param.");
                for (Check c : checks) c.run(model, f, where);
            }
        }
    }

    private static void assertSmall(double err, String what) {
        assertTrue(err < 1e-4, what + ": relative error " + err);
    }
}
