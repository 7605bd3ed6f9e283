package dev.mithril.runtime;

/**
 * Per-thread working arrays that grow and are kept, so that a kernel called every training step (per-channel
 * statistics, per-row sums, a small GEMM's accumulators) allocates nothing after its first call. Contents are left from the last user:
 * callers write before they read. A slot is one caller's; no kernel that holds a slot calls another that uses it.
 */
final class Scratch {
    /** Slots: batch norm's mean, variance and 1/std; batch norm backward's two per-channel sums; a float64 reduction's sums. */
    static final int MEAN = 0, VAR = 1, INV = 2, SUM_DY = 3, SUM_DYX = 4, REDUCE = 5;
    /** Integer slots: a reduction's merged axes (sizes, input and output strides, odometer); a convolution panel's runs and taps. */
    static final int DIMS = 0, IN_STRIDES = 1, OUT_STRIDES = 2, DIGITS = 3, PANEL_RUNS = 4, PANEL_TAPS = 5;
    private static final int SLOTS = 6, INT_SLOTS = 6;
    private static final ThreadLocal<double[][]> DOUBLES = ThreadLocal.withInitial(() -> new double[SLOTS][0]);
    private static final ThreadLocal<int[][]> INTS = ThreadLocal.withInitial(() -> new int[INT_SLOTS][0]);
    private static final ThreadLocal<boolean[][]> FLAGS = ThreadLocal.withInitial(() -> new boolean[1][0]);
    /**
     * Float slots: the small-row GEMM's gathered rows of a transposed A, and its row of accumulators; max pooling's
     * column maxima; the exponentials of a piece of a row for GELU and its gradient ({@link Activations#gaussianPiece}),
     * and of a whole row for log-softmax in place.
     */
    static final int SMALL_ROWS = 0, SMALL_ACC = 1, POOL_COLUMNS = 2, GELU_EXP = 3, LOG_SOFTMAX_EXP = 4;
    private static final ThreadLocal<float[][]> FLOATS = ThreadLocal.withInitial(() -> new float[5][0]);

    private Scratch() {}

    /** This thread's array of slot {@code slot}, at least {@code n} long. */
    static double[] doubles(int slot, int n) {
        double[][] s = DOUBLES.get();
        if (s[slot].length < n) s[slot] = new double[n];
        return s[slot];
    }

    /** This thread's float array of slot {@code slot}, at least {@code n} long. */
    static float[] floats(int slot, int n) {
        float[][] s = FLOATS.get();
        if (s[slot].length < n) s[slot] = new float[n];
        return s[slot];
    }

    /** This thread's integer array of slot {@code slot}, at least {@code n} long. */
    static int[] ints(int slot, int n) {
        int[][] s = INTS.get();
        if (s[slot].length < n) s[slot] = new int[n];
        return s[slot];
    }

    /** This thread's flags (one slot: a reduction's reduced axes), at least {@code n} long. */
    static boolean[] flags(int n) {
        boolean[][] s = FLAGS.get();
        if (s[0].length < n) s[0] = new boolean[n];
        return s[0];
    }
}
