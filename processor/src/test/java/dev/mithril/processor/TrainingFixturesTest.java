package dev.mithril.processor;

import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The generated backward pass against PyTorch: with the fixture's parameters, the mean softmax
 * cross-entropy of {@code output.train} against {@code target} and every {@code grad.*} tensor match
 * to 1e-4 relative, at every level, with the batch symbolic and bound (see {@link ReferenceFixtures#TRAINING}).
 */
class TrainingFixturesTest {
    @ParameterizedTest
    @EnumSource(Level.class)
    void linearGradientsMatchPyTorch(Level level) {
        ReferenceFixtures.check(ReferenceFixtures.linearModel(), "linear.safetensors", Backend.JAVA, level, ReferenceFixtures.TRAINING);
    }

    @ParameterizedTest
    @EnumSource(Level.class)
    void mlpGradientsMatchPyTorch(Level level) {
        ReferenceFixtures.check(Models.mlp(784, 128, 64, 32, 10), "mlp.safetensors", Backend.JAVA, level, ReferenceFixtures.TRAINING);
    }
}
