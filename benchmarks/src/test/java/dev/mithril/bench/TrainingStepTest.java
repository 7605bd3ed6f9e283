package dev.mithril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.Level;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The training step the harness and TrainStepBenchmark time, and the harness's training tables (nothing is timed here). */
class TrainingStepTest {
    @Test
    void levelsTakeTheSameStepAndLearn() {
        TrainingStep none = TrainingStep.of(Workload.MLP, Level.NONE, 8), full = TrainingStep.of(Workload.MLP, Level.FULL, 8);
        float first = full.run();
        assertEquals(none.run(), first, 1e-5f * Math.abs(first), "same seed, same batch: same loss at every level");
        float last = first;
        for (int i = 0; i < 30; i++) last = full.run();
        assertTrue(last < 0.5f * first, "30 SGD steps on one batch should halve the loss: " + first + " -> " + last);
        float linear = TrainingStep.of(Workload.LINEAR, Level.FULL, 4).run();
        assertTrue(linear > 0 && Float.isFinite(linear), "linear MSE loss " + linear);
    }

    @Test
    void trainingModeReportsAStepTable() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = new BenchCommand(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(new String[] {"--mode", "training", "--model", "linear", "--level", "full", "--batch-sizes", "2", "--runs", "1",
                        "--warmup", "0", "--format", "markdown", "--out", "none"});
        String s = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, s + err.toString(StandardCharsets.UTF_8));
        assertTrue(s.contains("Training step") && s.contains("Mithril Java/Full") && s.contains("Mithril / PyTorch (x)"), s);
        assertTrue(!s.contains("training: not available yet"), s);
    }
}
