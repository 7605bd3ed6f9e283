package dev.mithril.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.examples.MlpJavaFull;
import dev.mithril.examples.MlpModel;
import dev.mithril.runtime.Trainable;
import dev.mithril.runtime.train.Sgd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Fashion-MNIST pipeline: IDX reading, batching, and a short training run that only a correct gradient passes. */
class FashionMnistTrainingTest {
    private static FashionMnist.Split TRAIN, TEST;

    /**
     * The data comes from Debian's {@code dataset-fashion-mnist}. Without it these tests are skipped on a
     * developer's machine (saying what to install), but fail under CI ({@code CI=true}), which installs it.
     */
    @BeforeAll static void loadData() {
        boolean present = Files.isDirectory(FashionMnist.DEFAULT_DIR);
        if (!present && !"true".equals(System.getenv("CI"))) {
            Assumptions.abort("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist (files in " + FashionMnist.DEFAULT_DIR + ")");
        }
        TRAIN = FashionMnist.load(FashionMnist.DEFAULT_DIR, true, 2000);
        TEST = FashionMnist.load(FashionMnist.DEFAULT_DIR, false, 0);
    }

    @Test void readsTheDataset() {
        assertArrayEquals(new int[] {2000, 784}, TRAIN.images().shape());
        assertEquals(10000, TEST.size());
        // The first training image of Fashion-MNIST is an ankle boot (9), the first test image too.
        assertEquals(9, TRAIN.labels()[0]);
        assertEquals(9, TEST.labels()[0]);
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        for (float v : TRAIN.images().data()) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        assertEquals(-FashionMnist.MEAN / FashionMnist.STD, lo, 1e-6);
        assertEquals((1 - FashionMnist.MEAN) / FashionMnist.STD, hi, 1e-6);
    }

    @Test void batchesAreSeededPermutations() {
        var a = Batches.shuffled(TRAIN, 300, 5);
        assertEquals(7, a.size());
        assertEquals(200, a.getLast().labels().size());
        long[] counts = new long[10], total = new long[10];
        for (var b : a) for (long y : b.labels().longs()) counts[(int) y]++;
        for (long y : TRAIN.labels()) total[(int) y]++;
        assertArrayEquals(total, counts);
        assertArrayEquals(a.getFirst().labels().longs(), Batches.shuffled(TRAIN, 300, 5).getFirst().labels().longs());
        assertTrue(!java.util.Arrays.equals(a.getFirst().labels().longs(), Batches.shuffled(TRAIN, 300, 6).getFirst().labels().longs()));
    }

    @Test void malformedAndMissingFilesAreNamed(@TempDir Path dir) throws IOException {
        var e = assertThrows(IllegalArgumentException.class, () -> FashionMnist.load(dir.resolve("nope"), true, 0));
        assertTrue(e.getMessage().contains("dataset-fashion-mnist"), e.getMessage());
        Path bad = dir.resolve("bad.gz");
        try (var out = new GZIPOutputStream(Files.newOutputStream(bad))) { out.write(new byte[] {0, 0, 8, 3, 0, 0, 0, 5}); }
        e = assertThrows(IllegalArgumentException.class, () -> Idx.read(bad));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("bad.gz"), e.getMessage());
        Files.write(bad, new byte[] {1, 2, 3});
        e = assertThrows(IllegalArgumentException.class, () -> Idx.read(bad));
        assertTrue(e.getMessage().contains("not a gzip"), e.getMessage());
    }

    /** One epoch on 2000 images: chance is 10%, a wrong gradient sign or scale stays far below 70%. */
    @Test void oneEpochOnASubsetLearns() {
        var out = new ByteArrayOutputStream();
        var r = MnistTraining.run(new SoftmaxRegression(1), Sgd.lr(0.01).momentum(0.9), TRAIN, TEST, 1, 32, 1,
                new PrintStream(out), false);
        assertTrue(r.testAccuracy() > 0.70, "test accuracy " + r.testAccuracy());
        assertTrue(out.toString().contains("epoch 1/1"), out.toString());
    }

    /** The generated MLP, once the processor emits backward passes (it is skipped by construction until then). */
    @Test void generatedMlpLearnsWhenTrainable() {
        try (MlpModel m = MlpJavaFull.create(1)) {
            if (!(m instanceof Trainable t)) return;
            var r = MnistTraining.run(t, Sgd.lr(0.05).momentum(0.9), TRAIN, TEST, 1, 64, 1, new PrintStream(new ByteArrayOutputStream()), false);
            assertTrue(r.testAccuracy() > 0.70, "test accuracy " + r.testAccuracy());
        }
    }
}
