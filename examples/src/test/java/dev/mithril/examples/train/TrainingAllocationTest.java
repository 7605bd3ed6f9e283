package dev.mithril.examples.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.mithril.examples.MlpJavaFull;
import dev.mithril.runtime.Parallel;
import dev.mithril.runtime.Tensor;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * After the first step, a training step of the fully optimized MLP ({@code forwardTrain} then {@code backward})
 * allocates nothing on the calling thread: buffers are planned once per batch size, gradients are accumulated in
 * place. Measured with one thread, where the whole step runs on the calling thread.
 */
class TrainingAllocationTest {
    private static final int WARMUP = 400, STEPS = 50, BATCH = 16;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static int threadsBefore;

    @BeforeAll static void oneThread() {
        threadsBefore = Parallel.threads();
        Parallel.setThreads(1);
    }

    @AfterAll static void restoreThreads() { Parallel.setThreads(threadsBefore); }

    private static long window(Runnable body) {
        long a0 = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < STEPS; i++) body.run();
        return THREADS.getCurrentThreadAllocatedBytes() - a0;
    }

    /** Bytes per call after warm-up, less the measurement's own, best of three (a one-off JIT allocation rounds to 0). */
    private static long perCall(Runnable body) {
        for (int i = 0; i < WARMUP; i++) body.run();
        Runnable empty = () -> { };
        long best = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 3 && best > 0; attempt++) {
            long overhead = window(empty);
            best = Math.min(best, Math.max(0, window(body) - overhead) / STEPS);
        }
        return best;
    }

    @Test
    void fullMlpTrainingStepAllocatesNothing() {
        MlpJavaFull mlp = MlpJavaFull.create(3);
        Map<String, Tensor> inputs = Map.of("x", Tensor.random(1, BATCH, 784));
        Map<String, Tensor> grads = Map.of("logits", Tensor.random(2, BATCH, 10));
        long bytes = perCall(() -> {
            mlp.forwardTrain(inputs);
            mlp.backward(grads);
        });
        assertEquals(0, bytes, "bytes allocated per forwardTrain + backward of MlpJavaFull after warm-up");
    }
}
