package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The dot-product path ({@link GemmDot}: {@code A * B^T} with B read in place, batches up to {@link GemmDot#MAX_M}
 * rows): every block shape it picks (4 x 5; at the column edge 4 x 4, 8 x 2 and 16 x 1), both block orders (row
 * blocks first for a small B, column blocks first for a large one) and every leftover it hands to single dot products,
 * against a double-precision reference. Widths of 1 to 17 columns leave each remainder of a 5-column block; rows
 * around 4, 8 and 16 leave every row remainder; depths below, at and past a vector's lanes exercise the tails past the
 * last whole vector; beta 0 (over NaN), 1 and another value, each with alpha 1 and another (alpha 1 with beta 0
 * multiplies a small B through its interleaved copy, {@link GemmDot#packDots}). Products of at least
 * {@link GemmDriver#SERIAL_WORK} run split over 2 threads, and give the same bits as on one.
 */
class GemmDotTest {
    private static final int[] MS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 31, 32, 33, 34, 96};
    private static final int[] NS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
    /** 256 and 1000 at 10 columns fall on either side of the row-blocks-first threshold. */
    private static final int[] KS = {1, 15, 16, 17, 255, 256, 257, 1000};
    private static final float[] BETAS = {0f, 1f, -0.5f};
    private static int threadsBefore;

    @BeforeAll static void saveThreads() { threadsBefore = Parallel.threads(); }

    @AfterAll static void restoreThreads() { Parallel.setThreads(threadsBefore); }

    @ParameterizedTest @ValueSource(ints = {1, 2})
    void everyBlockShapeAndRemainder(int threads) {
        Parallel.setThreads(threads);
        long seed = 100;
        int calls = 0;
        for (int m : MS) {
            for (int n : NS) {
                for (int k : KS) {
                    int lda = k + 3, ldb = k + 1, ldc = n + 2, aOff = 5, bOff = 2, cOff = 1;
                    float[] a = Ref.randomArray(seed++, aOff + m * lda), b = Ref.randomArray(seed++, bOff + n * ldb);
                    float[] c = Ref.randomArray(seed++, cOff + m * ldc);
                    // alpha 1 with beta 0 takes B interleaved into a copy (a small B, 4 rows or more), at B's own stride
                    float alpha = (calls / BETAS.length) % 2 == 0 ? 1f : 0.75f, beta = BETAS[calls++ % BETAS.length];
                    if (beta == 0f) Arrays.fill(c, Float.NaN); // must be ignored, not multiplied by 0
                    float[] c0 = c.clone();
                    Gemm.sgemm(false, true, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
                    double[] ref = Ref.gemm(false, true, m, n, k, a, aOff, lda, b, bOff, ldb);
                    String what = threads + " thread(s): A * B^T m=" + m + " n=" + n + " k=" + k + " beta=" + beta;
                    if (beta != 0f) {
                        Ref.assertClose(GemmTest.expected(ref, alpha, beta, c0, cOff, ldc, m, n), c, 1e-5, what);
                        continue;
                    }
                    float[] exp = new float[m * n], got = new float[m * n];
                    for (int i = 0; i < c.length; i++) {
                        int row = (i - cOff) / ldc, col = (i - cOff) % ldc;
                        boolean inC = i >= cOff && row < m && col < n;
                        if (inC) { exp[row * n + col] = (float) (alpha * ref[row * n + col]); got[row * n + col] = c[i]; }
                        else assertTrue(Float.isNaN(c[i]), what + ": wrote outside C at " + i);
                    }
                    Ref.assertClose(exp, got, 1e-5, what);
                }
            }
        }
    }

    @ParameterizedTest @ValueSource(ints = {96, 33})
    void splitOverTwoThreads(int m) {
        // 10 and 7 columns are fewer column blocks than two per thread: the rows are split, in multiples of 16 (33 rows:
        // the second share has the row below the last whole block); each share still has the 8 x 2 and 16 x 1 edges
        for (int n : new int[] {10, 7}) {
            int k = 1000;
            float[] a = Ref.randomArray(m + n, m * k), b = Ref.randomArray(m * n, n * k);
            float[][] cs = new float[2][m * n];
            for (int t = 1; t <= 2; t++) {
                Parallel.setThreads(t);
                Gemm.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, cs[t - 1], 0, n);
            }
            assertTrue((long) m * n * k >= GemmDot.SERIAL_WORK, "the product must be large enough to be split");
            double[] ref = Ref.gemm(false, true, m, n, k, a, 0, k, b, 0, k);
            float[] exp = new float[m * n];
            for (int i = 0; i < exp.length; i++) exp[i] = (float) ref[i];
            for (int t = 1; t <= 2; t++) Ref.assertClose(exp, cs[t - 1], 1e-5, t + " thread(s): m=" + m + " n=" + n + " k=" + k);
            // one thread reads B through the interleaved copy its first row of blocks makes, two threads in place:
            // the same products and lane sums in the same order, so the same bits
            assertArrayEquals(cs[0], cs[1], "1 and 2 threads: m=" + m + " n=" + n + " k=" + k);
        }
    }

    /**
     * Short products split by rows give the calling thread (the first share) the rows it finishes while the worker
     * starts: the classifier 32 x 10 x 256 goes 20 / 12, a product four times as deep evenly. Every share starts on a
     * multiple of the tallest block its column edge uses, the first share is never smaller than another, and together
     * they cover the rows once, for random shapes and thread counts.
     */
    @Test
    void rowSharesGiveTheCallerTheRowsItFinishesWhileWorkersStart() {
        int[] bounds = new int[9];
        assertEquals(2, GemmDot.rowShares(32, 10, 256, 2, false, bounds));
        assertArrayEquals(new int[] {0, 20, 32}, Arrays.copyOf(bounds, 3), "classifier: 20 / 12");
        assertEquals(2, GemmDot.rowShares(32, 10, 1024, 2, false, bounds));
        assertArrayEquals(new int[] {0, 16, 32}, Arrays.copyOf(bounds, 3), "deeper product: even");
        assertEquals(2, GemmDot.rowShares(48, 10, 256, 2, false, bounds));
        assertArrayEquals(new int[] {0, 28, 48}, Arrays.copyOf(bounds, 3), "48 rows: 28 / 20");
        assertEquals(4, GemmDot.rowUnit(10, false));
        assertEquals(4, GemmDot.rowUnit(14, false), "4 x 4 edge");
        assertEquals(8, GemmDot.rowUnit(7, false), "8 x 2 edge");
        assertEquals(16, GemmDot.rowUnit(11, false), "16 x 1 edge");
        assertEquals(4, GemmDot.rowUnit(13, false), "two 4 x 4 blocks over the last 8 columns");
        assertEquals(16, GemmDot.rowUnit(3, false), "no 5-column block to give up: 8 x 2 and 16 x 1");
        assertEquals(4, GemmDot.rowUnit(11, true), "4 x 2 blocks, then single dot products");
        assertEquals(1, GemmDot.edgeFours(9));
        assertEquals(1, GemmDot.edgeFours(4));
        assertEquals(2, GemmDot.edgeFours(8));
        assertEquals(0, GemmDot.edgeFours(3));
        assertEquals(0, GemmDot.edgeFours(10));
        java.util.Random r = new java.util.Random(7);
        for (int trial = 0; trial < 2000; trial++) {
            int m = 32 + r.nextInt(200), n = 1 + r.nextInt(20), k = 1 + r.nextInt(3000), threads = 2 + r.nextInt(7);
            boolean narrow = r.nextBoolean();
            int unit = GemmDot.rowUnit(n, narrow), shares = GemmDot.rowShares(m, n, k, threads, narrow, bounds);
            String what = "m=" + m + " n=" + n + " k=" + k + " threads=" + threads + " narrow=" + narrow;
            assertTrue(shares >= 1 && shares <= threads, what);
            assertEquals(0, bounds[0], what);
            assertEquals(m, bounds[shares], what);
            for (int i = 1; i <= shares; i++) {
                assertTrue(bounds[i] > bounds[i - 1], what + ": share " + i + " is empty");
                if (i < shares) assertEquals(0, bounds[i] % unit, what + ": share " + i + " ends off a block");
                assertTrue(bounds[1] >= bounds[i] - bounds[i - 1], what + ": the caller's share is the smaller");
            }
        }
    }

    /**
     * The uneven row shares give the same bits as one thread, through {@code sgemm} (B in place on two threads, its
     * interleaved copy on one) and through packed weights, for each tallest edge block; and so do column shares whose
     * last one ends in two 4 x 4 blocks (18 and 23 columns).
     */
    @ParameterizedTest @ValueSource(strings = {"32x10x256", "37x10x256", "48x7x256", "40x11x300", "64x13x128", "35x14x200",
            "32x8x256", "40x13x300", "32x18x256", "33x23x129"})
    void unevenRowSharesGiveTheBitsOfOneThread(String shape) {
        String[] p = shape.split("x");
        int m = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]);
        assertTrue((long) m * n * k >= GemmDot.SERIAL_WORK, "the product must be large enough to be split");
        float[] x = Ref.randomArray(m + 3, m * k), w = Ref.randomArray(n + 5, n * k);
        PackedWeights pw = Gemm.pack(w, 0, n, k);
        float[][] plain = new float[2][m * n], packed = new float[2][m * n];
        for (int t = 1; t <= 2; t++) {
            Parallel.setThreads(t);
            Gemm.sgemm(false, true, m, n, k, 1f, x, 0, k, w, 0, k, 0f, plain[t - 1], 0, n);
            Gemm.linear(x, 0, m, pw, null, Epilogue.NONE, packed[t - 1], 0);
        }
        double[] ref = Ref.gemm(false, true, m, n, k, x, 0, k, w, 0, k);
        float[] exp = new float[m * n];
        for (int i = 0; i < exp.length; i++) exp[i] = (float) ref[i];
        Ref.assertClose(exp, plain[1], 1e-5, "2 threads: " + shape);
        assertArrayEquals(plain[0], plain[1], "sgemm, 1 and 2 threads: " + shape);
        assertArrayEquals(packed[0], packed[1], "packed, 1 and 2 threads: " + shape);
    }

    /**
     * Split by rows, each thread finishes only its own rows: bias and activation applied once to every row (a row
     * finished twice would have ReLU(x + 2 bias) or a doubled bias), for the classifier's 32 x 10 x 256 and a row count
     * that leaves a partial row block.
     */
    @ParameterizedTest @ValueSource(ints = {32, 37})
    void rowSplitFinishesEveryRowOnce(int m) {
        int n = 10, k = 256;
        assertTrue((long) m * n * k >= GemmDot.SERIAL_WORK, "the product must be large enough to be split");
        float[] x = Ref.randomArray(m, m * k), w = Ref.randomArray(m + 1, n * k), bias = Ref.randomArray(m + 2, n);
        double[] ref = Ref.gemm(false, true, m, n, k, x, 0, k, w, 0, k);
        float[] exp = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) exp[i * n + j] = (float) Math.max(0, ref[i * n + j] + bias[j]);
        }
        for (int t = 1; t <= 2; t++) {
            Parallel.setThreads(t);
            float[] c = new float[m * n];
            Gemm.linear(x, 0, m, n, k, w, 0, bias, Epilogue.BIAS_RELU, c, 0);
            Ref.assertClose(exp, c, 1e-5, t + " thread(s): m=" + m);
        }
    }

    /**
     * The same products called until the JIT has compiled the block methods (hundreds of calls each), every call
     * checked: the compiled blocks must agree with the reference as the interpreted ones do. The shapes are those of
     * the random graph G1007 in the processor's GradientsTest (9 to 21 rows; 17 outputs of depth 7, all of it past the
     * last whole vector; 7 outputs of depth 17), the classifier's 32 x 10 x 256, an awkward 33 x 14 x 31 and 96 rows
     * by 9, 7 and 11 columns (many 4 x 4, 8 x 2 and 16 x 1 edge blocks per call, so that those compile too).
     */
    @Test
    void compiledBlocksAgreeWithTheReference() {
        Parallel.setThreads(1);
        int[][] shapes = {{9, 17, 7}, {21, 17, 7}, {9, 7, 17}, {21, 7, 17}, {32, 10, 256}, {33, 14, 31}, {96, 9, 20}, {96, 7, 20}, {96, 11, 20}};
        float[][] xs = new float[shapes.length][], ws = new float[shapes.length][], biases = new float[shapes.length][];
        float[][] expected = new float[shapes.length][];
        for (int s = 0; s < shapes.length; s++) {
            int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
            xs[s] = Ref.randomArray(40 + s, m * k);
            ws[s] = Ref.randomArray(50 + s, n * k);
            biases[s] = Ref.randomArray(60 + s, n);
            double[] ref = Ref.gemm(false, true, m, n, k, xs[s], 0, k, ws[s], 0, k);
            expected[s] = new float[m * n];
            for (int i = 0; i < m * n; i++) expected[s][i] = (float) (ref[i] + biases[s][i % n]);
        }
        for (int call = 0; call < 600; call++) {
            for (int s = 0; s < shapes.length; s++) {
                int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
                float[] y = new float[m * n];
                Arrays.fill(y, Float.NaN);
                Gemm.linear(xs[s], 0, m, n, k, ws[s], 0, biases[s], Epilogue.BIAS, y, 0);
                Ref.assertClose(expected[s], y, 1e-5, "call " + call + ": " + m + " x " + n + " x " + k);
            }
        }
    }

    /**
     * {@link GemmDot#packDots}'s layout by its definition: for each whole block of 5 weight rows and each whole vector
     * of k, the 5 rows' vectors side by side, rows 0 and 1 and rows 2 and 3 with their upper halves swapped; nothing
     * written past {@link GemmDot#dotsSize} (NaN-filled room, and an
     * offset into the destination).
     */
    @Test
    void dotsInterleaveWholeBlocksOfRowsAndWholeVectors() {
        int v = GemmKernel.V;
        for (int n : new int[] {1, 4, 5, 9, 10, 11, 48}) {
            for (int k : new int[] {1, v - 1, v, v + 1, 3 * v + 5, 256}) {
                float[] w = Ref.randomArray(n * 1000 + k, 3 + n * k);
                int size = GemmDot.dotsSize(n, k), kv = k / v * v;
                assertEquals(n / 5 * 5 * kv, size, "n=" + n + " k=" + k);
                float[] dst = new float[7 + size + 20];
                Arrays.fill(dst, Float.NaN);
                GemmDot.packDots(w, 3, k, n, k, dst, 7);
                for (int i = 0; i < dst.length; i++) {
                    if (i < 7 || i >= 7 + size) assertTrue(Float.isNaN(dst[i]), "wrote outside at " + i + ": n=" + n + " k=" + k);
                }
                for (int g = 0; g + 5 <= n; g += 5) {
                    for (int r = 0; r < 5; r++) {
                        for (int p = 0; p < kv; p++) {
                            // rows 0 and 1 (and 2 and 3) of a block share two vectors: the first takes the lower half
                            // of lanes from the first row and the upper half from the second, the other vector the rest
                            int lane = p % v, slot = r == 4 ? 4 : (r & ~1) + ((r & 1) ^ (lane < v / 2 ? 0 : 1));
                            int at = 7 + g * kv + 5 * (p / v * v) + slot * v + lane;
                            assertEquals(w[3 + (g + r) * k + p], dst[at], "row " + (g + r) + " float " + p + ": n=" + n + " k=" + k);
                        }
                    }
                }
            }
        }
    }

    /**
     * Packed weights of one panel at batches of the dot path read the interleaved copy: called until the JIT has
     * compiled its block, every call checked against the reference, at shapes with every remainder (rows below the
     * 4-row blocks, columns past the 5-column blocks, floats past the last whole vector) and the classifier's
     * 32 x 10 x 256, with bias and ReLU.
     */
    @Test
    void compiledInterleavedBlocksAgreeWithTheReference() {
        Parallel.setThreads(1);
        int[][] shapes = {{32, 10, 256}, {33, 14, 31}, {96, 11, 20}, {9, 17, 7}, {6, GemmKernel.NR, 40}};
        PackedWeights[] ws = new PackedWeights[shapes.length];
        float[][] xs = new float[shapes.length][], biases = new float[shapes.length][], expected = new float[shapes.length][];
        for (int s = 0; s < shapes.length; s++) {
            int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
            float[] w = Ref.randomArray(70 + s, n * k);
            ws[s] = Gemm.pack(w, 0, n, k);
            // one panel of outputs gets the interleaved copy, unless it would be empty (k below a vector: 9 x 17 x 7)
            assertEquals(k >= GemmKernel.V, ws[s].hasDots(), m + " x " + n + " x " + k);
            xs[s] = Ref.randomArray(80 + s, m * k);
            biases[s] = Ref.randomArray(90 + s, n);
            double[] ref = Ref.gemm(false, true, m, n, k, xs[s], 0, k, w, 0, k);
            expected[s] = new float[m * n];
            for (int i = 0; i < m * n; i++) expected[s][i] = (float) Math.max(0, ref[i] + biases[s][i % n]);
        }
        for (int call = 0; call < 600; call++) {
            for (int s = 0; s < shapes.length; s++) {
                int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
                float[] y = new float[m * n];
                Arrays.fill(y, Float.NaN);
                Gemm.linear(xs[s], 0, m, ws[s], biases[s], Epilogue.BIAS_RELU, y, 0);
                Ref.assertClose(expected[s], y, 1e-5, "call " + call + ": " + m + " x " + n + " x " + k);
            }
        }
        // compiled, the copy changes no bit: accumulating into zeros reads the weights in place, in the same order
        for (int s = 0; s < shapes.length; s++) {
            int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
            float[] viaCopy = new float[m * n], inPlace = new float[m * n];
            Gemm.linear(xs[s], 0, m, ws[s], null, Epilogue.NONE, viaCopy, 0);
            Gemm.linear(xs[s], 0, m, ws[s], null, Epilogue.NONE, null, 0, true, inPlace, 0);
            assertArrayEquals(inPlace, viaCopy, m + " x " + n + " x " + k);
        }
        assertFalse(Gemm.pack(Ref.randomArray(1, 49 * 8), 0, 49, 8).hasDots(), "more than one panel: no copy");
    }

    /** The classifier layer at Full level: packed weights of one panel go to the dot path, with bias, residual and ReLU. */
    @ParameterizedTest @ValueSource(ints = {1, 2})
    void classifierLayerWithEpilogue(int threads) {
        Parallel.setThreads(threads);
        for (int m : new int[] {1, 17, 32, 96}) {
            int n = 10, k = 256;
            float[] x = Ref.randomArray(m, m * k), w = Ref.randomArray(m + 1, n * k), bias = Ref.randomArray(m + 2, n);
            float[] res = Ref.randomArray(m + 3, m * n), y = new float[m * n];
            Arrays.fill(y, Float.NaN);
            Gemm.linear(x, 0, m, Gemm.pack(w, 0, n, k), bias, Epilogue.BIAS_RELU, res, 0, false, y, 0);
            double[] ref = Ref.gemm(false, true, m, n, k, x, 0, k, w, 0, k);
            float[] exp = new float[m * n];
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                exp[i * n + j] = (float) Math.max(0, ref[i * n + j] + bias[j] + res[i * n + j]);
            }
            Ref.assertClose(exp, y, 1e-5, threads + " thread(s): classifier m=" + m);
        }
    }

    /**
     * Which packed products of few rows leave the dot products for the panels ({@link Gemm#panelsForFewRows}): whole
     * vectors of outputs from 8 rows on; one vector everywhere, two or three only with 32 vector registers and, split
     * over threads, from 32 rows a thread; never a vector partly empty.
     */
    @Test
    void fewRowsTakeThePanelsOnlyForWholeVectorsOfOutputs() {
        int v = GemmKernel.V;
        boolean wide = GemmTuning.WIDE_REGISTER_FILE;
        try {
            Parallel.setThreads(1);
            assertFalse(Gemm.panelsForFewRows(7, v), "fewer than 8 rows");
            assertTrue(Gemm.panelsForFewRows(8, v), "one vector of outputs");
            assertTrue(Gemm.panelsForFewRows(96, v));
            assertFalse(Gemm.panelsForFewRows(32, v - 1), "a vector partly empty");
            assertFalse(Gemm.panelsForFewRows(32, v + 2), "a vector partly empty");
            assertEquals(wide, Gemm.panelsForFewRows(8, 2 * v), "two vectors: the 8 x 48 tiles");
            assertEquals(wide, Gemm.panelsForFewRows(32, 3 * v), "three vectors");
            Parallel.setThreads(2);
            assertTrue(Gemm.panelsForFewRows(8, v), "one vector, split or not");
            assertFalse(Gemm.panelsForFewRows(63, 2 * v), "two threads: fewer than 32 rows each");
            assertEquals(wide, Gemm.panelsForFewRows(64, 2 * v), "two threads: 32 rows each");
        } finally {
            Parallel.setThreads(threadsBefore);
        }
    }

    /**
     * Linear layers of up to one panel of outputs at batches within the dot path, weights packed once: every block
     * shape and remainder with bias, residual and an activation, and accumulation into C. Outputs that fill whole
     * vectors leave the dot products for the panels from 8 rows on, on two threads from 64 rows
     * ({@link Gemm#panelsForFewRows}): 7 and 8 rows, 31 and 33, 64 and 96 fall on either side.
     */
    @ParameterizedTest @ValueSource(ints = {1, 2})
    void packedLinearLayersOfEveryNarrowWidth(int threads) {
        Parallel.setThreads(threads);
        long seed = 900;
        for (int m : new int[] {1, 7, 8, 31, 33, 64, 96}) {
            for (int n = 1; n <= GemmKernel.NR; n++) {
                for (int k : new int[] {15, 256, 257}) {
                    float[] x = Ref.randomArray(seed++, 1 + m * k), w = Ref.randomArray(seed++, n * k), bias = Ref.randomArray(seed++, n);
                    float[] res = Ref.randomArray(seed++, m * n), c0 = Ref.randomArray(seed++, m * n);
                    PackedWeights pw = Gemm.pack(w, 0, n, k);
                    double[] ref = Ref.gemm(false, true, m, n, k, x, 1, k, w, 0, k);
                    float[] y = new float[m * n], acc = c0.clone();
                    Arrays.fill(y, Float.NaN);
                    Gemm.linear(x, 1, m, pw, bias, Epilogue.BIAS_RELU, res, 0, false, y, 0);
                    Gemm.linear(x, 1, m, pw, null, Epilogue.NONE, null, 0, true, acc, 0);
                    float[] expY = new float[m * n], expAcc = new float[m * n];
                    for (int i = 0; i < m * n; i++) {
                        expY[i] = (float) Math.max(0, ref[i] + bias[i % n] + res[i]);
                        expAcc[i] = (float) (c0[i] + ref[i]);
                    }
                    String what = threads + " thread(s): linear m=" + m + " n=" + n + " k=" + k;
                    Ref.assertClose(expY, y, 1e-5, what);
                    Ref.assertClose(expAcc, acc, 1e-5, "accumulate " + what);
                }
            }
        }
    }

    /**
     * Batches past the dot path's rows with at most one vector of outputs ({@link GemmNarrow}): blocks of 8 rows and the
     * rows left over, 1 to 16 columns, bias, residual, activation and accumulation into C; split over 2 threads when
     * large enough.
     */
    @ParameterizedTest @ValueSource(ints = {1, 2})
    void narrowOutputsPastTheDotPath(int threads) {
        Parallel.setThreads(threads);
        int v = GemmKernel.V;
        long seed = 500;
        for (int m : new int[] {97, 128, 131, 203}) {
            for (int n : new int[] {1, 10, v - 1, v}) {
                for (int k : new int[] {1, 7, 256}) {
                    float[] x = Ref.randomArray(seed++, 3 + m * k), w = Ref.randomArray(seed++, n * k), bias = Ref.randomArray(seed++, n);
                    float[] res = Ref.randomArray(seed++, m * n), c0 = Ref.randomArray(seed++, 2 + m * n);
                    PackedWeights pw = Gemm.pack(w, 0, n, k);
                    double[] ref = Ref.gemm(false, true, m, n, k, x, 3, k, w, 0, k);
                    float[] y = new float[2 + m * n], acc = c0.clone();
                    Arrays.fill(y, Float.NaN);
                    Gemm.linear(x, 3, m, pw, bias, Epilogue.BIAS_TANH, res, 0, false, y, 2);
                    Gemm.linear(x, 3, m, pw, null, Epilogue.NONE, null, 0, true, acc, 2);
                    float[] expY = new float[2 + m * n], expAcc = c0.clone();
                    expY[0] = y[0]; expY[1] = y[1]; // outside C: must stay as they were (NaN)
                    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                        expY[2 + i * n + j] = (float) Math.tanh(ref[i * n + j] + bias[j] + res[i * n + j]);
                        expAcc[2 + i * n + j] = (float) (c0[2 + i * n + j] + ref[i * n + j]);
                    }
                    String what = threads + " thread(s): m=" + m + " n=" + n + " k=" + k;
                    assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[1]), what + ": wrote before C");
                    Ref.assertClose(Arrays.copyOfRange(expY, 2, expY.length), Arrays.copyOfRange(y, 2, y.length), 1e-5, what);
                    Ref.assertClose(expAcc, acc, 1e-5, "accumulate " + what);
                }
            }
        }
    }

    /**
     * Wide products copy A's rows so that each starts on a cache line ({@link GemmDot#LINE_UP_N} columns on one thread,
     * {@link GemmDot#LINE_UP_N_PARALLEL} on two). With offsets, a leading dimension past k and depths that leave every
     * remainder of 16, against the reference; and the copy changes no bit: the columns of the 4 x 5 blocks that a
     * product one column narrower than the threshold computes the same way (everything but its edge) are equal. That
     * is compared after 400 calls of both, once the blocks are compiled: a lane reduction may add in another order in
     * the interpreter.
     */
    @ParameterizedTest @ValueSource(ints = {1, 2})
    void rowsLinedUpForWideProducts(int threads) {
        Parallel.setThreads(threads);
        int wide = threads == 1 ? GemmDot.LINE_UP_N : GemmDot.LINE_UP_N_PARALLEL;
        assertTrue(CacheLines.available(), "the tests run with native access, so the copy is taken");
        long seed = 700;
        for (int m : new int[] {1, 5, 32, 96}) {
            for (int k : new int[] {1, 17, 300}) {
                int lda = k + 3, aOff = 2, ldb = k + 1, bOff = 1, ldc = wide + 2, cOff = 3;
                float[] a = Ref.randomArray(seed++, aOff + m * lda), b = Ref.randomArray(seed++, bOff + wide * ldb);
                float[] c0 = Ref.randomArray(seed++, cOff + m * ldc);
                double[] ref = Ref.gemm(false, true, m, wide, k, a, aOff, lda, b, bOff, ldb);
                float[] c = c0.clone();
                Gemm.sgemm(false, true, m, wide, k, 1f, a, aOff, lda, b, bOff, ldb, -0.5f, c, cOff, ldc);
                float[] expected = c0.clone();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < wide; j++) expected[cOff + i * ldc + j] = (float) (ref[i * wide + j] - 0.5 * c0[cOff + i * ldc + j]);
                }
                String what = threads + " thread(s), " + m + " x " + wide + " x " + k;
                Ref.assertClose(expected, c, 1e-5, what);

                if (m != 32 || k != 300) continue;
                float[] narrow = c0.clone();
                for (int call = 0; call < 400; call++) {
                    System.arraycopy(c0, 0, c, 0, c.length);
                    Gemm.sgemm(false, true, m, wide, k, 1f, a, aOff, lda, b, bOff, ldb, -0.5f, c, cOff, ldc);
                    System.arraycopy(c0, 0, narrow, 0, c.length);
                    Gemm.sgemm(false, true, m, wide - 1, k, 1f, a, aOff, lda, b, bOff, ldb, -0.5f, narrow, cOff, ldc);
                }
                // the columns both products give to 4 x 5 blocks (a 4 x 4 block sums in another order)
                int blockColumns = Math.min((wide - 4 * GemmDot.edgeFours(wide)) / 5 * 5,
                        (wide - 1 - 4 * GemmDot.edgeFours(wide - 1)) / 5 * 5);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < blockColumns; j++) {
                        int at = cOff + i * ldc + j;
                        assertEquals(Float.floatToRawIntBits(narrow[at]), Float.floatToRawIntBits(c[at]),
                                what + ": row " + i + " column " + j + " with and without the copy");
                    }
                }
            }
        }
    }
}
