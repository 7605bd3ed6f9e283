package dev.mithril.processor;

import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The PyTorch fixtures: load the parameters, run {@code input}, match {@code output.eval} at every level. */
class ReferenceFixturesTest {
    @ParameterizedTest
    @EnumSource(Level.class)
    void linearMatchesPyTorch(Level level) {
        ReferenceFixtures.check(ReferenceFixtures.linearModel(), "linear.safetensors", Backend.JAVA, level, ReferenceFixtures.OUTPUT);
    }

    @ParameterizedTest
    @EnumSource(Level.class)
    void mlpMatchesPyTorch(Level level) {
        ReferenceFixtures.check(Models.mlp(784, 128, 64, 32, 10), "mlp.safetensors", Backend.JAVA, level, ReferenceFixtures.OUTPUT);
    }
}
