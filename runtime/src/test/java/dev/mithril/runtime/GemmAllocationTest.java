package dev.mithril.runtime;

import static dev.mithril.runtime.Allocations.perCall;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The GEMM hot paths allocate nothing per call once compiled. A regression here means C2 fell back to the Vector
 * API's Java implementation somewhere (a vector boxed because it crossed a call that was not inlined), which is also
 * several times slower, or that a per-call object came back. Measured on the calling thread, with one thread (the
 * whole call runs on it) and with two (the calling thread also sets up the parallel region: the pool's region state
 * and the GEMM's region bodies are reused, not allocated); the MLP's shapes at batch 32
 * (784 -> 1024 -> 512 -> 256 -> 10), a few epilogues, and a product large enough to pack B in parallel.
 */
class GemmAllocationTest {
    private static final int[][] LAYERS = {{1024, 784}, {512, 1024}, {256, 512}, {10, 256}};
    private static final int BATCH = 32;
    private static int threadsBefore;

    @BeforeAll static void saveThreads() { threadsBefore = Parallel.threads(); }

    @AfterAll static void restoreThreads() { Parallel.setThreads(threadsBefore); }

    private static Object sink;

    /** The measurement itself: one small array per call is seen, with no patience and with it. */
    @Test
    void anAllocationInEveryCallIsSeen() {
        assertTrue(perCall(() -> sink = new int[1], 0) >= 16, "an int[1] per call");
        assertTrue(perCall(() -> sink = new float[64], 1_000_000_000L) >= 256, "a float[64] per call");
    }

    @ParameterizedTest @ValueSource(ints = {1, 2})
    void linearWithPackedWeightsAllocatesNothing(int threads) {
        Parallel.setThreads(threads);
        float[] x = Ref.randomArray(1, BATCH * 1024);
        Epilogue[] eps = {Epilogue.BIAS_RELU, Epilogue.BIAS_RELU, Epilogue.BIAS_GELU, Epilogue.BIAS};
        for (int l = 0; l < LAYERS.length; l++) {
            int n = LAYERS[l][0], k = LAYERS[l][1];
            PackedWeights w = Gemm.pack(Ref.randomArray(10 + l, n * k), 0, n, k);
            float[] bias = Ref.randomArray(20 + l, n), y = new float[BATCH * n];
            Epilogue ep = eps[l];
            long bytes = perCall(() -> Gemm.linear(x, 0, BATCH, w, bias, ep, y, 0));
            assertEquals(0, bytes, threads + " thread(s): Gemm.linear " + BATCH + "x" + n + "x" + k + " " + ep + " bytes per call");
        }
    }

    @ParameterizedTest @ValueSource(ints = {1, 2})
    void sgemmAllocatesNothing(int threads) {
        Parallel.setThreads(threads);
        float[] x = Ref.randomArray(2, BATCH * 1024);
        for (int l = 0; l < LAYERS.length; l++) {
            int n = LAYERS[l][0], k = LAYERS[l][1];
            float[] w = Ref.randomArray(30 + l, n * k), y = new float[BATCH * n];
            long nt = perCall(() -> Gemm.sgemm(false, true, BATCH, n, k, 1f, x, 0, k, w, 0, k, 0f, y, 0, n));
            assertEquals(0, nt, threads + " thread(s): Gemm.sgemm NT " + BATCH + "x" + n + "x" + k + " bytes per call");
        }
    }

    /**
     * The dot path's 4 x 5 blocks reached every way at once, as a model's training step reaches them: one thread with
     * a small B (interleaved through a copy that the first row of blocks makes), fewer than 8 rows (B in place, no
     * copy), alpha and beta (sums through a small block), 8 columns (two 4 x 4 blocks storing their sums by rows), 7
     * columns (8 x 2 blocks storing theirs by rows) and two threads (B in place). Whatever C2 compiles for the
     * blocks from that mixed profile must not box. (What it compiles also depends on the order in which the ways first
     * ran: the examples' {@code TrainingAllocationTest}, after the other examples' tests in one JVM, caught the 4 x 5
     * block compiled with its vector operations left to the Java fallback, 29 MB per MLP training step, when copying
     * was a flag of that block; this test, in its own JVM, did not.)
     */
    @Test
    void dotBlocksReachedEveryWayAllocateNothing() {
        int n = 10, k = 256;
        float[] x = Ref.randomArray(5, BATCH * k), w = Ref.randomArray(6, n * k), y = new float[BATCH * n];
        Runnable copy = () -> Gemm.sgemm(false, true, BATCH, n, k, 1f, x, 0, k, w, 0, k, 0f, y, 0, n);
        Runnable fewRows = () -> Gemm.sgemm(false, true, 6, n, k, 1f, x, 0, k, w, 0, k, 0f, y, 0, n);
        Runnable scaled = () -> Gemm.sgemm(false, true, BATCH, n, k, 0.5f, x, 0, k, w, 0, k, 1f, y, 0, n);
        // 8 of 10 columns: two 4 x 4 blocks (GemmDot.edgeFours) instead of 4 x 5 blocks
        Runnable fours = () -> Gemm.sgemm(false, true, BATCH, 8, k, 1f, x, 0, k, w, 0, k, 0f, y, 0, 8);
        // 7 columns: a 4 x 5 block, then 8 x 2 blocks storing their sums by rows (GemmDot.stored8x2)
        Runnable twos = () -> Gemm.sgemm(false, true, BATCH, 7, k, 1f, x, 0, k, w, 0, k, 0f, y, 0, 7);
        Runnable[] ways = {copy, fewRows, scaled, fours, twos};
        String[] names = {"32 rows, alpha 1, beta 0", "6 rows", "alpha 0.5, beta 1", "8 columns", "7 columns"};
        for (int round = 0; round < 3; round++) {
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                for (Runnable r : ways) for (int i = 0; i < 20_000; i++) r.run();
            }
        }
        for (int threads = 1; threads <= 2; threads++) {
            Parallel.setThreads(threads);
            for (int i = 0; i < ways.length; i++) {
                assertEquals(0, perCall(ways[i]), threads + " thread(s): Gemm.sgemm NT " + names[i] + " bytes per call");
            }
        }
    }

    /** 200 x 520 x 300 packs B (transposed, then not) on every call, in parallel on two threads, then splits rows. */
    @ParameterizedTest @ValueSource(ints = {1, 2})
    void sgemmPackingBAllocatesNothing(int threads) {
        Parallel.setThreads(threads);
        int m = 200, n = 520, k = 300;
        float[] a = Ref.randomArray(3, m * k), b = Ref.randomArray(4, n * k), c = new float[m * n];
        long nt = perCall(() -> Gemm.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, c, 0, n));
        assertEquals(0, nt, threads + " thread(s): Gemm.sgemm NT " + m + "x" + n + "x" + k + " bytes per call");
        long nn = perCall(() -> Gemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 1f, c, 0, n));
        assertEquals(0, nn, threads + " thread(s): Gemm.sgemm NN " + m + "x" + n + "x" + k + " bytes per call");
    }

    /** The classifier layer past the dot path's batch ({@link GemmNarrow}), split over 2 threads. */
    @ParameterizedTest @ValueSource(ints = {1, 2})
    void narrowLinearAllocatesNothing(int threads) {
        Parallel.setThreads(threads);
        int m = 128, n = 10, k = 256;
        float[] x = Ref.randomArray(5, m * k), bias = Ref.randomArray(6, n), y = new float[m * n];
        PackedWeights pw = Gemm.pack(Ref.randomArray(7, n * k), 0, n, k);
        long bytes = perCall(() -> Gemm.linear(x, 0, m, pw, bias, Epilogue.BIAS, y, 0));
        assertEquals(0, bytes, threads + " thread(s): Gemm.linear " + m + "x" + n + "x" + k + " bytes per call");
    }

    @ParameterizedTest @ValueSource(ints = {1, 2})
    void float64LinearAllocatesNothing(int threads) {
        Parallel.setThreads(threads);
        int n = 256, k = 512;
        double[] x = new double[BATCH * k], w = new double[n * k], bias = new double[n], y = new double[BATCH * n];
        for (int i = 0; i < x.length; i++) x[i] = Math.sin(i);
        for (int i = 0; i < w.length; i++) w[i] = Math.cos(i) * 0.01;
        PackedWeights pw = Gemm.pack(w, 0, n, k);
        long bytes = perCall(() -> Gemm.linear(x, 0, BATCH, pw, bias, Epilogue.BIAS_TANH, y, 0));
        assertEquals(0, bytes, threads + " thread(s): float64 Gemm.linear bytes per call");
    }

    /** The float64 dot path ({@link GemmDot64}): dgemm with an [out, in] weight and the classifier layer, packed. */
    @ParameterizedTest @ValueSource(ints = {1, 2})
    void float64DotProductsAllocateNothing(int threads) {
        Parallel.setThreads(threads);
        int m = 32, n = 10, k = 256, wide = 300;
        double[] x = new double[m * k], w = new double[wide * k], bias = new double[n], y = new double[m * wide];
        for (int i = 0; i < x.length; i++) x[i] = Math.sin(i);
        for (int i = 0; i < w.length; i++) w[i] = Math.cos(i) * 0.01;
        long nt = perCall(() -> Gemm.dgemm(false, true, m, wide, k, 1.0, x, 0, k, w, 0, k, 0.0, y, 0, wide));
        assertEquals(0, nt, threads + " thread(s): Gemm.dgemm NT " + m + "x" + wide + "x" + k + " bytes per call");
        PackedWeights pw = Gemm.pack(w, 0, n, k);
        long bytes = perCall(() -> Gemm.linear(x, 0, m, pw, bias, Epilogue.BIAS_RELU, y, 0));
        assertEquals(0, bytes, threads + " thread(s): float64 classifier " + m + "x" + n + "x" + k + " bytes per call");
    }

    /**
     * Float64 products past the dot path that pack B as they go ({@code GemmBlocks.runPackingB}): one row block (each
     * k block of a panel packed into the thread's slice buffer) and several (the whole buffer, packed on the first),
     * B as it is and transposed (the 8 x 8 register transposes).
     */
    @ParameterizedTest @ValueSource(ints = {1, 2})
    void float64PackingProductsAllocateNothing(int threads) {
        Parallel.setThreads(threads);
        int n = 200, k = 300;
        double[] w = new double[n * k], x = new double[300 * k], y = new double[300 * n];
        for (int i = 0; i < x.length; i++) x[i] = Math.sin(i);
        for (int i = 0; i < w.length; i++) w[i] = Math.cos(i) * 0.01;
        for (int m : new int[] {48, 300}) {
            for (boolean transB : new boolean[] {false, true}) {
                int ldb = transB ? k : n;
                long bytes = perCall(() -> Gemm.dgemm(false, transB, m, n, k, 1.0, x, 0, k, w, 0, ldb, 0.0, y, 0, n));
                assertEquals(0, bytes, threads + " thread(s): Gemm.dgemm " + m + "x" + n + "x" + k + " transB=" + transB + " bytes per call");
            }
        }
    }
}
