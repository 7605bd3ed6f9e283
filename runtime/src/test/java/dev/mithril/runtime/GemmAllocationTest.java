package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The GEMM hot paths allocate nothing per call once compiled. A regression here means C2 fell back to the Vector
 * API's Java implementation somewhere (a vector boxed because it crossed a call that was not inlined), which is also
 * several times slower, or that a per-call object came back. Measured on the calling thread with one thread, where
 * the whole call runs on it; the MLP's shapes at batch 32 (784 -> 1024 -> 512 -> 256 -> 10) and a few epilogues.
 */
class GemmAllocationTest {
    private static final int WARMUP = 3000, CALLS = 200;
    private static final int[][] LAYERS = {{1024, 784}, {512, 1024}, {256, 512}, {10, 256}};
    private static final int BATCH = 32;
    private static int threadsBefore;

    @BeforeAll static void oneThread() {
        threadsBefore = Parallel.threads();
        Parallel.setThreads(1);
    }

    @AfterAll static void restoreThreads() { Parallel.setThreads(threadsBefore); }

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Bytes allocated by {@code CALLS} calls of {@code body}, on this thread. */
    private static long window(Runnable body) {
        long a0 = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < CALLS; i++) body.run();
        return THREADS.getCurrentThreadAllocatedBytes() - a0;
    }

    /**
     * Bytes allocated per call of {@code body} after warm-up, on this thread, less what the measurement itself
     * allocates (the bean's bookkeeping, measured around an empty body); the best of three tries. Any object is at
     * least 16 bytes, so an allocation in every call shows as 16 or more, while a one-off allocation somewhere in
     * the window (the JIT installing code, a class initialised) rounds down to 0.
     */
    private static long perCall(Runnable body) {
        for (int i = 0; i < WARMUP; i++) body.run();
        Runnable empty = () -> { };
        long best = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 3 && best > 0; attempt++) {
            long overhead = window(empty);
            best = Math.min(best, Math.max(0, window(body) - overhead) / CALLS);
        }
        return best;
    }

    @Test void linearWithPackedWeightsAllocatesNothing() {
        float[] x = Ref.randomArray(1, BATCH * 1024);
        Epilogue[] eps = {Epilogue.BIAS_RELU, Epilogue.BIAS_RELU, Epilogue.BIAS_GELU, Epilogue.BIAS};
        for (int l = 0; l < LAYERS.length; l++) {
            int n = LAYERS[l][0], k = LAYERS[l][1];
            PackedWeights w = Gemm.pack(Ref.randomArray(10 + l, n * k), 0, n, k);
            float[] bias = Ref.randomArray(20 + l, n), y = new float[BATCH * n];
            Epilogue ep = eps[l];
            long bytes = perCall(() -> Gemm.linear(x, 0, BATCH, w, bias, ep, y, 0));
            assertEquals(0, bytes, "Gemm.linear " + BATCH + "x" + n + "x" + k + " " + ep + " bytes per call");
        }
    }

    @Test void sgemmAllocatesNothing() {
        float[] x = Ref.randomArray(2, BATCH * 1024);
        for (int l = 0; l < LAYERS.length; l++) {
            int n = LAYERS[l][0], k = LAYERS[l][1];
            float[] w = Ref.randomArray(30 + l, n * k), y = new float[BATCH * n];
            long nt = perCall(() -> Gemm.sgemm(false, true, BATCH, n, k, 1f, x, 0, k, w, 0, k, 0f, y, 0, n));
            assertEquals(0, nt, "Gemm.sgemm NT " + BATCH + "x" + n + "x" + k + " bytes per call");
        }
    }

    @Test void float64LinearAllocatesNothing() {
        int n = 256, k = 512;
        double[] x = new double[BATCH * k], w = new double[n * k], bias = new double[n], y = new double[BATCH * n];
        for (int i = 0; i < x.length; i++) x[i] = Math.sin(i);
        for (int i = 0; i < w.length; i++) w[i] = Math.cos(i) * 0.01;
        PackedWeights pw = Gemm.pack(w, 0, n, k);
        long bytes = perCall(() -> Gemm.linear(x, 0, BATCH, pw, bias, Epilogue.BIAS_TANH, y, 0));
        assertEquals(0, bytes, "float64 Gemm.linear bytes per call");
    }
}
