package dev.mithril.runtime;

/**
 * Single-precision matrix multiplication on row-major arrays: packed operands, a register-tiled
 * {@link GemmKernel}, cache blocking over k and m, and threads over blocks of rows and column panels.
 *
 * <pre>{@code
 * // c[2x4] = a[2x3] * b[3x4]
 * Gemm.sgemm(false, false, 2, 4, 3, 1f, a, 0, 3, b, 0, 4, 0f, c, 0, 4);
 * // a linear layer with fused bias and ReLU, weights packed once
 * PackedWeights pw = Gemm.pack(w, 0, out, in);
 * Gemm.linear(x, 0, batch, pw, bias, Epilogue.BIAS_RELU, y, 0);
 * }</pre>
 */
public final class Gemm {
    static final int MR = GemmKernel.MR, NR = GemmKernel.NR;
    /** k block: one packed B panel slice (KC x NR floats) stays in L1. */
    static final int KC = 256;
    /** m block: one packed A block (MC x KC floats) stays in L2. */
    static final int MC = 96;

    private static final ThreadLocal<float[]> A_BUF = ThreadLocal.withInitial(() -> new float[MC * KC]);
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    private Gemm() {}

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C} with row-major storage, like BLAS {@code sgemm}: op(A) is
     * m x k, op(B) is k x n, C is m x n with row stride {@code ldc}. With {@code transA} A is stored k x m
     * (row stride {@code lda}); likewise B. When {@code beta == 0} the old contents of C are ignored (even NaN).
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        checkDims("Gemm.sgemm", m, n, k);
        checkMatrix("Gemm.sgemm", "A", a, aOff, transA ? k : m, transA ? m : k, lda);
        checkMatrix("Gemm.sgemm", "B", b, bOff, transB ? n : k, transB ? k : n, ldb);
        checkMatrix("Gemm.sgemm", "C", c, cOff, m, n, ldc);
        if (m == 0 || n == 0) return;
        GemmKernel.Out out = new GemmKernel.Out(c, cOff, ldc, alpha, beta, null, Epilogue.NONE);
        if (k == 0 || alpha == 0f) { scaleOnly(out, m, n); return; }
        if (m <= GemmSmall.MAX_M) { GemmSmall.run(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, out); return; }
        run(transA, a, aOff, lda, GemmPacking.packB(transB, k, n, b, bOff, ldb), m, n, k, out);
    }

    /** Packs a linear layer's weight {@code w[n][k]} (PyTorch layout, row stride k) for {@link #linear}. */
    public static PackedWeights pack(float[] w, int wOff, int n, int k) {
        checkDims("Gemm.pack", 1, n, k);
        checkMatrix("Gemm.pack", "w", w, wOff, n, k, k);
        return new PackedWeights(n, k, GemmPacking.packB(true, k, n, w, wOff, k));
    }

    /**
     * {@code c[m][n] = ep(x[m][k] * w^T + bias)} with pre-packed weights; rows of x and c are contiguous
     * (strides k and n). {@code bias} (length n) is required exactly when {@code ep.hasBias()}.
     */
    public static void linear(float[] x, int xOff, int m, PackedWeights w, float[] bias, Epilogue ep, float[] c, int cOff) {
        int n = w.n(), k = w.k();
        checkLinear(x, xOff, m, n, k, bias, ep, c, cOff);
        if (m == 0 || n == 0) return;
        GemmKernel.Out out = new GemmKernel.Out(c, cOff, n, 1f, 0f, bias, ep);
        if (k == 0) { scaleOnly(out, m, n); return; }
        run(false, x, xOff, k, w.panels, m, n, k, out);
    }

    /** As {@link #linear(float[], int, int, PackedWeights, float[], Epilogue, float[], int)}, packing {@code w[n][k]} on the fly. */
    public static void linear(float[] x, int xOff, int m, int n, int k, float[] w, int wOff, float[] bias, Epilogue ep,
                              float[] c, int cOff) {
        checkDims("Gemm.linear", m, n, k);
        checkMatrix("Gemm.linear", "w", w, wOff, n, k, k);
        checkLinear(x, xOff, m, n, k, bias, ep, c, cOff);
        if (m == 0 || n == 0) return;
        GemmKernel.Out out = new GemmKernel.Out(c, cOff, n, 1f, 0f, bias, ep);
        if (k == 0) { scaleOnly(out, m, n); return; }
        if (m <= GemmSmall.MAX_M) { GemmSmall.run(false, true, m, n, k, x, xOff, k, w, wOff, k, out); return; }
        run(false, x, xOff, k, GemmPacking.packB(true, k, n, w, wOff, k), m, n, k, out);
    }

    /** The blocked driver: tasks are (block of MC rows) x (range of NR-column panels). */
    private static void run(boolean transA, float[] a, int aOff, int lda, float[] bp, int m, int n, int k, GemmKernel.Out out) {
        int mBlocks = (m + MC - 1) / MC;
        int panels = GemmPacking.panels(n);
        int threads = Parallel.threads();
        // Enough tasks to keep every thread busy even when m is small (e.g. one row at inference time).
        int nChunks = Math.min(panels, Math.max(1, (2 * threads + mBlocks - 1) / mBlocks));
        if ((long) m * n * k < 64L * 64 * 64) nChunks = 1;
        int tasks = mBlocks * nChunks;
        final int chunks = nChunks;
        Parallel.forRange(tasks, (long) m * n * k < 64L * 64 * 64 ? tasks : 1, (from, to) -> {
            float[] ap = A_BUF.get(), tmp = TILE.get();
            for (int t = from; t < to; t++) {
                int mb = t / chunks, ch = t % chunks;
                int i0 = mb * MC, mc = Math.min(MC, m - i0);
                int p0 = (int) ((long) panels * ch / chunks), p1 = (int) ((long) panels * (ch + 1) / chunks);
                block(transA, a, aOff, lda, bp, m, n, k, out, i0, mc, p0, p1, ap, tmp);
            }
        });
    }

    private static void block(boolean transA, float[] a, int aOff, int lda, float[] bp, int m, int n, int k,
                              GemmKernel.Out out, int i0, int mc, int p0, int p1, float[] ap, float[] tmp) {
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            boolean first = pc == 0, last = pc + kc == k;
            GemmPacking.packA(transA, a, aOff, lda, i0, mc, pc, kc, ap);
            for (int j = p0; j < p1; j++) {
                int col = j * NR, nr = Math.min(NR, n - col);
                int bO = j * k * NR + pc * NR;
                for (int ir = 0; ir < mc; ir += MR) {
                    GemmKernel.tile(out, ap, (ir / MR) * kc * MR, bp, bO, kc, i0 + ir, col, Math.min(MR, mc - ir), nr,
                            first, last, tmp);
                }
            }
        }
    }

    /** k == 0 (or alpha == 0): the product vanishes, leaving beta * C and the epilogue. */
    private static void scaleOnly(GemmKernel.Out o, int m, int n) {
        float[] c = o.c();
        for (int i = 0; i < m; i++) {
            int row = o.cOff() + i * o.ldc();
            for (int j = 0; j < n; j++) {
                float v = o.beta() == 0f ? 0f : o.beta() * c[row + j];
                c[row + j] = GemmKernel.epilogue(o.ep(), v, o.bias(), j);
            }
        }
    }

    private static void checkLinear(float[] x, int xOff, int m, int n, int k, float[] bias, Epilogue ep, float[] c, int cOff) {
        checkDims("Gemm.linear", m, n, k);
        checkMatrix("Gemm.linear", "x", x, xOff, m, k, k);
        checkMatrix("Gemm.linear", "c", c, cOff, m, n, n);
        if (ep == null) throw new IllegalArgumentException("Gemm.linear: epilogue is null (use Epilogue.NONE)");
        if (ep.hasBias()) {
            if (bias == null) throw new IllegalArgumentException("Gemm.linear: epilogue " + ep + " needs a bias but bias is null");
            if (bias.length < n) throw new IllegalArgumentException("Gemm.linear: bias has " + bias.length + " elements, need n = " + n);
        }
    }

    private static void checkDims(String where, int m, int n, int k) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException(where + ": negative size m=" + m + ", n=" + n + ", k=" + k);
    }

    /** A rows x cols matrix at {@code off} with row stride {@code ld} must fit inside {@code arr}. */
    private static void checkMatrix(String where, String name, float[] arr, int off, int rows, int cols, int ld) {
        if (arr == null) throw new IllegalArgumentException(where + ": " + name + " is null");
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(where + ": leading dimension of " + name + " is " + ld + " but rows have " + cols + " elements");
        }
        if (off < 0) throw new IllegalArgumentException(where + ": negative offset " + off + " for " + name);
        if (rows == 0 || cols == 0) return;
        long lastIdx = off + (long) (rows - 1) * ld + cols - 1;
        if (lastIdx >= arr.length) {
            throw new IllegalArgumentException(where + ": " + name + " (" + rows + " x " + cols + ", offset " + off + ", stride " + ld
                    + ") needs " + (lastIdx + 1) + " elements but the array has " + arr.length);
        }
    }
}
