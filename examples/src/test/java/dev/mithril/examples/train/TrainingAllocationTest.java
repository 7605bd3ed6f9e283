package dev.mithril.examples.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.examples.MlpJavaFull;
import dev.mithril.examples.zoo.Zoo;
import dev.mithril.runtime.AbstractCompiledModel;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Parallel;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * After the first step, a training step at Full ({@code forwardTrain} then {@code backward}) allocates no tensor and
 * no buffer on the calling thread: buffers are planned once per batch size, every layer (convolution, batch and layer
 * norm, pooling, attention, embedding) writes its planned buffer and the statistics its backward reads into buffers of
 * their own, gradients are accumulated in place. The MLP's step allocates nothing at all; a ResNet's or a decoder's
 * allocates at most a few small objects per kernel call, independent of the batch. Measured with one thread, where the whole
 * step runs on the calling thread.
 */
class TrainingAllocationTest {
    private static final int WARMUP = 400, STEPS = 50, ROUNDS = 60, BATCH = 16;
    /**
     * Bytes per step allowed for the small objects of a convolutional and a decoder step (see {@link #assertNoBuffers}):
     * a few dozen bytes per kernel call at most (a ResNet-18 step makes a few hundred calls), where its activations alone
     * are hundreds of kilobytes.
     */
    private static final long RESNET_BOUND = 96 * 1024, DECODER_BOUND = 16 * 1024;
    /**
     * What a step at four times the batch may allocate beyond the small batch's: the JIT's variation between two
     * compiled classes, far less than the activations, which grow by hundreds of kilobytes.
     */
    private static final long GROWTH = 8 * 1024;
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

    /**
     * Bytes per call after warm-up, less the measurement's own: the best of up to {@code ROUNDS} windows, stopping at
     * the first that allocates nothing. Code the JIT has not compiled yet can allocate where its compiled form does
     * not (the Vector API boxes its vectors until C2 compiles the loop), and a small model's layers are called too
     * seldom for all of them to be compiled after the first warm-up; a kernel that allocates on every call shows in
     * every window.
     */
    private static long perCall(Runnable body) {
        for (int i = 0; i < WARMUP; i++) body.run();
        Runnable empty = () -> { };
        long best = Long.MAX_VALUE;
        for (int attempt = 0; attempt < ROUNDS && best > 0; attempt++) {
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

    /** Bytes per Full training step of {@code g} at the given dims (compiled at run time); the output's gradient is random. */
    private static long stepBytes(Graph g, Map<String, Integer> dims, Tensor input) {
        CompiledModel m = Mithril.compile(g, Backend.JAVA, Level.FULL, dims);
        ((AbstractCompiledModel) m).initialize(0);
        Trainable net = (Trainable) m;
        Map<String, Tensor> inputs = Map.of(net.inputNames().getFirst(), input);
        Tensor out = net.forwardTrain(inputs).get(net.outputNames().getFirst());
        Map<String, Tensor> grads = Map.of(net.outputNames().getFirst(), Tensor.random(5, out.shape()));
        return perCall(() -> {
            net.forwardTrain(inputs);
            net.backward(grads);
        });
    }

    /**
     * A convolutional or attention model's step allocates no buffer: what it allocates (small objects the JIT does not
     * always remove, such as the lambda a kernel hands to the thread pool or a record describing a GEMM operand) is under
     * {@code bound} bytes and does not grow with the batch, though every activation and gradient grows fourfold from
     * batch {@code b} to {@code 4b}.
     */
    private static void assertNoBuffers(String what, long small, long large, long bound) {
        assertTrue(small <= bound, what + ": " + small + " bytes per step at the small batch, more than " + bound);
        assertTrue(large <= small * 3 / 2 + GROWTH, what + ": " + large + " bytes per step at 4x the batch against " + small);
    }

    @Test
    void fullResNetTrainingStepAllocatesNoBuffer() {
        // ResNet-18 at width 4 on 3x32x32 images: every layer kind of the zoo's ResNets (strided and 1x1 convolutions,
        // training batch norm, max and adaptive average pooling, residual adds, the classifier).
        Graph g = Zoo.resnet(18, 10, 4, 3, 32, 32);
        long small = stepBytes(g, Map.of("batch", 2), Tensor.random(3, 2, 3, 32, 32));
        long large = stepBytes(g, Map.of("batch", 8), Tensor.random(3, 8, 3, 32, 32));
        assertNoBuffers("ResNet-18 (width 4) at Full", small, large, RESNET_BOUND);
    }

    @Test
    void fullDecoderTrainingStepAllocatesNoBuffer() {
        // Two blocks of width 32, 4 heads, 16 positions: embedding, layer norm, fused attention, GELU MLP, tied head.
        Graph g = Zoo.gpt(50, 16, 2, 4, 32);
        long small = stepBytes(g, Map.of("batch", 2, "T", 16), ids(2));
        long large = stepBytes(g, Map.of("batch", 8, "T", 16), ids(8));
        assertNoBuffers("2-block decoder at Full", small, large, DECODER_BOUND);
    }

    private static Tensor ids(int batch) {
        long[] ids = new long[batch * 16];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 7) % 50;
        return Tensor.ofLongs(ids, batch, 16);
    }
}
