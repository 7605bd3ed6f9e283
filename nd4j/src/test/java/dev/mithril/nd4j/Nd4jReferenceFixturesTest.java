package dev.mithril.nd4j;

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
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The PyTorch fixtures on backend ND4J: load {@code param.*}, run {@code input}, match {@code output.eval} at every level. */
class Nd4jReferenceFixturesTest {
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
            }
        }
    }
}
