package dev.mithril.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.examples.FashionCnnJavaFull;
import dev.mithril.examples.FashionCnnModel;
import dev.mithril.examples.cli.UsageException;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.train.AdamW;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The convolutional example {@code FashionCnn} in CI size: one epoch on 2000 images. The full run
 * ({@code mithril train-mnist --model cnn --epochs 3}) is too slow for a test and is documented instead.
 */
class FashionCnnTrainingTest {
    @Test void generatedCnnMapsFlatImagesToTenLogits() {
        try (FashionCnnModel m = FashionCnnJavaFull.create(1)) {
            assertArrayEquals(new int[] {3, 10}, m.forward(Tensor.random(7, 3, 784)).shape());
        }
    }

    /**
     * Chance is 10%; after 63 AdamW steps the correct gradients reach 81.5% (seed 1), while a wrong convolution,
     * batch-norm or pooling gradient stays far below 75%.
     */
    @Test void oneEpochOnASubsetLearns() {
        boolean present = Files.isDirectory(FashionMnist.DEFAULT_DIR);
        if (!present && !"true".equals(System.getenv("CI"))) {
            Assumptions.abort("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist (files in " + FashionMnist.DEFAULT_DIR + ")");
        }
        // 2000 test images keep the evaluation short; the accuracy on them is within about a point of the full 10000's.
        FashionMnist.Split train = FashionMnist.load(FashionMnist.DEFAULT_DIR, true, 2000), test = FashionMnist.load(FashionMnist.DEFAULT_DIR, false, 2000);
        try (FashionCnnModel m = FashionCnnJavaFull.create(1)) {
            var out = new ByteArrayOutputStream();
            var r = MnistTraining.run(m, AdamW.lr(0.001), train, test, 1, 32, 1, new PrintStream(out), false);
            assertTrue(r.testAccuracy() > 0.75, "test accuracy " + r.testAccuracy() + "\n" + out);
        }
    }

    @Test void basicLevelOfTheCnnIsAUsageError() {
        var e = assertThrows(UsageException.class, () -> new TrainMnistCommand().run(new String[] {"--model", "cnn", "--level", "basic"}));
        assertTrue(e.getMessage().contains("--level basic") && e.getMessage().contains("FashionCnn"), e.getMessage());
    }
}
