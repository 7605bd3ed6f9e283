package dev.mithril.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.runtime.DType;
import dev.mithril.runtime.Safetensors;
import dev.mithril.runtime.Tensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training loop on a hand-written model: it learns, clips, schedules, and resumes bit for bit. */
class TrainerTest {
    /** A 3-class problem: the class is which of three directions a point lies closest to. */
    private static Tensor[] batch(long seed, int n) {
        Tensor x = Tensor.random(seed, n, 4);
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            float a = x.get(i, 0) + x.get(i, 1), b = x.get(i, 2) - x.get(i, 3), c = -a - b;
            y[i] = a > b && a > c ? 0 : b > c ? 1 : 2;
        }
        return new Tensor[] {x, Tensor.ofLongs(y, n)};
    }

    private static double accuracy(Trainer t, Tensor[] data) {
        Tensor logits = t.evaluate(data[0]);
        int ok = 0, n = logits.dim(0);
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < 3; j++) if (logits.get(i, j) > logits.get(i, best)) best = j;
            if (best == data[1].longs()[i]) ok++;
        }
        return ok / (double) n;
    }

    @Test void learnsAToyProblem() {
        Trainer t = Trainer.of(new HandMlp(4, 16, 3, DType.F32, 1), CrossEntropy.mean(), Sgd.lr(0.2).momentum(0.9))
                .clipGradNorm(5).schedule(LrSchedule.linearWarmup(0.1, 20).until(20, LrSchedule.cosine(280, 0.01)));
        Tensor[] test = batch(999, 500);
        double before = accuracy(t, test);
        float first = 0, last = 0;
        for (int s = 0; s < 300; s++) {
            Tensor[] b = batch(s, 32);
            float l = t.step(b[0], b[1]);
            if (s == 0) first = l;
            last = l;
        }
        assertEquals(300, t.steps());
        assertTrue(last < first / 3, "loss " + first + " -> " + last);
        assertTrue(accuracy(t, test) > 0.9, "accuracy " + before + " -> " + accuracy(t, test));
        assertTrue(t.lastGradNorm() > 0);
    }

    /** The model's gradient for the loss equals finite differences through Trainer's wiring (loss -> backward). */
    @Test void f64StepUsesTheLossGradient() {
        HandMlp m = new HandMlp(4, 5, 3, DType.F64, 3);
        Tensor x = Tensor.zeros(DType.F64, 6, 4);
        for (int i = 0; i < x.size(); i++) x.doubles()[i] = Math.sin(i);
        Tensor y = Tensor.ofLongs(new long[] {0, 1, 2, 1, 0, 2}, 6);
        Tensor w = m.parameters().get("fc1.weight").copy();
        double lr = 1e-3;
        Trainer t = Trainer.of(m, CrossEntropy.mean(), Sgd.lr(lr));
        t.step(x, y);
        // p_new = p - lr * grad, so grad = (p - p_new) / lr; compare one weight with a central difference.
        double grad = (w.doubles()[5] - m.parameters().get("fc1.weight").doubles()[5]) / lr;
        HandMlp probe = new HandMlp(4, 5, 3, DType.F64, 3);
        double h = 1e-6;
        probe.parameters().get("fc1.weight").doubles()[5] += h;
        double up = CrossEntropy.mean().forward(probe.evaluate(Map.of("x", x)).get("y"), y).value();
        probe.parameters().get("fc1.weight").doubles()[5] -= 2 * h;
        double down = CrossEntropy.mean().forward(probe.evaluate(Map.of("x", x)).get("y"), y).value();
        assertEquals((up - down) / (2 * h), grad, 1e-8);
    }

    @Test void restoredRunContinuesBitForBit(@TempDir Path dir) {
        Trainer a = newTrainer();
        for (int s = 0; s < 3; s++) step(a, s);
        Path ckpt = dir.resolve("run.safetensors");
        a.save(ckpt);
        for (int s = 3; s < 5; s++) step(a, s);

        Trainer b = newTrainer(); // fresh weights from another seed: everything must come from the file
        b.restore(ckpt);
        assertEquals(3, b.steps());
        for (int s = 3; s < 5; s++) step(b, s);
        for (String name : a.model().parameters().keySet()) {
            assertArrayEquals(a.model().parameters().get(name).data(), b.model().parameters().get(name).data(), name);
        }
        Map<String, String> meta = Safetensors.open(ckpt).metadata();
        assertEquals("3", meta.get("mithril.steps"));
        assertTrue(meta.get("mithril.optimizer").startsWith("AdamW(lr="), meta.get("mithril.optimizer"));
        assertEquals("0.01", meta.get("mithril.baseLr"));
        assertTrue(Safetensors.read(ckpt).containsKey("optimizer/fc1.weight.exp_avg_sq"));

        Trainer sgd = Trainer.of(new HandMlp(4, 8, 3, DType.F32, 5), CrossEntropy.mean(), Sgd.lr(0.1));
        var e = assertThrows(IllegalArgumentException.class, () -> sgd.restore(ckpt));
        assertTrue(e.getMessage().contains("AdamW") && e.getMessage().contains("Sgd"), e.getMessage());
    }

    private static long seed = 10;

    private static Trainer newTrainer() {
        return Trainer.of(new HandMlp(4, 8, 3, DType.F32, seed++), CrossEntropy.mean().labelSmoothing(0.1), AdamW.lr(0.01))
                .clipGradNorm(1).schedule(LrSchedule.cosine(10, 0.001));
    }

    private static void step(Trainer t, int s) {
        Tensor[] b = batch(100 + s, 16);
        t.step(b[0], b[1]);
    }
}
