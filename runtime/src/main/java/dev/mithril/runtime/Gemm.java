package dev.mithril.runtime;

import java.util.Arrays;

/**
 * Matrix multiplication on row-major arrays in float32 ({@code sgemm}) and float64 ({@code dgemm}): packed operands,
 * a register-tiled micro-kernel on the preferred vector species ({@link GemmKernel}, {@link GemmKernel64}), cache
 * blocking ({@link GemmBlocks}) and threads from {@link Parallel} ({@link GemmDriver}). Bias, residual, accumulation
 * and activation are fused into the store of each tile.
 *
 * <p>Where the JVM has native access ({@code --enable-native-access=ALL-UNNAMED}) the packed float32 panels start on
 * 64-byte cache lines and the k blocks go deeper, 5-10% faster on large products ({@link CacheLines}; off with
 * {@code -Dmithril.gemm.align=false}). Results differ from a JVM without native access only in rounding.
 *
 * <p>Optionally the general products go to OpenBLAS through {@link NativeBlas}: {@link #useNative(boolean)} or the
 * system property {@code mithril.blas=openblas}. Without the library a one-line warning is printed and the Java code
 * runs; {@link #implementation()} says which is in use.
 *
 * <pre>{@code
 * // c[2x4] = a[2x3] * b[3x4]
 * Gemm.sgemm(false, false, 2, 4, 3, 1f, a, 0, 3, b, 0, 4, 0f, c, 0, 4);
 * // a linear layer with fused bias and ReLU, weights packed once
 * PackedWeights pw = Gemm.pack(w, 0, out, in);
 * Gemm.linear(x, 0, batch, pw, bias, Epilogue.BIAS_RELU, y, 0);
 * // y = x * w^T + bias + r (a residual block), then h += x * w^T (gradient accumulation)
 * Gemm.linear(x, 0, batch, pw, bias, Epilogue.BIAS, r, 0, false, y, 0);
 * Gemm.linear(x, 0, batch, pw, null, Epilogue.NONE, null, 0, true, h, 0);
 * }</pre>
 */
public final class Gemm {
    private static volatile boolean nativeBlas = initialNative();
    private static volatile boolean warned;

    private Gemm() {}

    private static boolean initialNative() {
        String p = System.getProperty("mithril.blas", "java").trim();
        if (p.equalsIgnoreCase("openblas") || p.equalsIgnoreCase("native")) return enableNative();
        return false;
    }

    private static boolean enableNative() {
        if (NativeBlas.available()) return true;
        if (!warned) {
            warned = true;
            System.err.println("mithril: " + NativeBlas.loadError());
        }
        return false;
    }

    /**
     * Routes {@code sgemm}, {@code dgemm} and {@code linear} to OpenBLAS ({@code true}) or to the Java kernels
     * ({@code false}). Returns whether native BLAS is now in use: asking for it without the library prints one
     * warning and keeps Java.
     */
    public static boolean useNative(boolean on) {
        nativeBlas = on && enableNative();
        return nativeBlas;
    }

    /** Whether products currently go to native BLAS. */
    public static boolean usingNative() { return nativeBlas; }

    /** A one-line description of the GEMM in use, for {@code mithril info} and benchmark reports. */
    public static String implementation() {
        if (nativeBlas) return "OpenBLAS cblas_sgemm/cblas_dgemm via FFM (" + NativeBlas.library() + ", "
                + NativeBlas.threads() + " OpenBLAS threads)";
        return "pure Java: " + GemmKernel.MR + "x" + GemmKernel.NR + " float32 / " + GemmKernel64.MR + "x" + GemmKernel64.NR
                + " float64 register tiles on " + GemmKernel.S + ", packed panels, float32 k blocks of "
                + (CacheLines.available() ? GemmTuning.KC_LINED + " (panels on cache lines; L2 "
                        + (GemmTuning.L2_BYTES > 0 ? (GemmTuning.L2_BYTES >> 10) + " KiB)" : "size not known)")
                        : GemmTuning.KC + " (panels off cache lines: their addresses need --enable-native-access)")
                + ", float64 k blocks of " + GemmTuning.KC64
                + ", " + Parallel.threads() + " threads";
    }

    // ---------------------------------------------------------------- float32

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C} with row-major storage, like BLAS {@code sgemm}: op(A) is
     * m x k, op(B) is k x n, C is m x n with row stride {@code ldc}. With {@code transA} A is stored k x m
     * (row stride {@code lda}); likewise B. When {@code beta == 0} the old contents of C are ignored (even NaN).
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, null, Epilogue.NONE);
    }

    /**
     * As {@link #sgemm(boolean, boolean, int, int, int, float, float[], int, int, float[], int, int, float, float[], int, int)},
     * then {@code C = ep(C + bias[column])}: {@code bias} (length >= n) is required exactly when {@code ep.hasBias()}.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc, float[] bias, Epilogue ep) {
        sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, bias, ep, GemmBlocks.KEEP_B);
    }

    /** The 18-argument {@code sgemm} with products whose packed B exceeds {@code maxPacked} floats done in pieces. */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc, float[] bias, Epilogue ep, int maxPacked) {
        String where = "Gemm.sgemm";
        checkDims(where, m, n, k);
        checkMatrix(where, "A", len(a), aOff, transA ? k : m, transA ? m : k, lda);
        checkMatrix(where, "B", len(b), bOff, transB ? n : k, transB ? k : n, ldb);
        checkMatrix(where, "C", len(c), cOff, m, n, ldc);
        checkEpilogue(where, ep, len(bias), n, false);
        if (m == 0 || n == 0) return;
        GemmKernel.Out out = GemmKernel.Out.reuse(c, cOff, ldc, alpha, beta, bias, ep, null, 0, 0);
        try {
            if (k == 0 || alpha == 0f) { finishOnly(out, m, n, true); return; }
            if (nativeBlas) {
                NativeBlas.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
                finishOnly(out, m, n, false);
                return;
            }
            if (transB && !transA && m <= GemmDot.MAX_M) { GemmDot.run(m, n, k, a, aOff, lda, b, bOff, ldb, out); return; }
            if (m <= GemmSmall.MAX_M) { GemmSmall.run(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, out); return; }
            int packed = GemmPacking.packedSize(k, n, GemmKernel.NR);
            if (packed > maxPacked) {
                inPieces(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, bias, ep, maxPacked);
                return;
            }
            int roomy = GemmBlocks.packedSize32(k, n, Parallel.threads()); // room for the threads' own panels
            CacheLines.Tracked buffer = GemmBlocks.bBuffer32(roomy <= maxPacked ? roomy : packed);
            float[] bp = buffer.data();
            if (!transA && GemmNarrow.fits(n)) { // one vector of columns: pack the one panel, read A in place
                GemmPacking.packB(transB, k, n, b, bOff, ldb, bp, 0, 0, 1);
                GemmNarrow.run(m, n, k, a, aOff, lda, bp, 0, out);
                return;
            }
            GemmBlocks.runPackingB(out, transA, a, aOff, lda, transB, b, bOff, ldb, bp, buffer.start(), CacheLines.available(), m, n, k);
        } finally {
            out.release();
        }
    }

    /**
     * A product whose packed B would not fit the packing buffer kept between calls (a decoder's tied 50257 x 512 output
     * layer packs into 26M floats; the buffer kept holds {@link GemmBlocks#KEEP_B}), done as products that fit it, so
     * that no call allocates a buffer of that size: by blocks of whole column panels when op(B) is at least as wide
     * as it is deep, else by k blocks added into C, the first with {@code beta} and the last with the epilogue. Only a
     * column block's slice of the bias is copied. {@code maxPacked} must be at least {@code NR * NR}, so that every
     * piece is smaller than the product it came from.
     */
    private static void inPieces(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                 float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                 float beta, float[] c, int cOff, int ldc, float[] bias, Epilogue ep, int maxPacked) {
        int nr = GemmKernel.NR;
        if (maxPacked < nr * nr) throw new IllegalArgumentException("Gemm.sgemm: maxPacked " + maxPacked + " < " + nr * nr);
        if (n >= k) {
            int cols = Math.max(nr, maxPacked / k / nr * nr);
            for (int j0 = 0; j0 < n; j0 += cols) {
                int w = Math.min(cols, n - j0);
                float[] slice = ep.hasBias() ? Arrays.copyOfRange(bias, j0, j0 + w) : null;
                sgemm(transA, transB, m, w, k, alpha, a, aOff, lda, b, transB ? bOff + j0 * ldb : bOff + j0, ldb,
                        beta, c, cOff + j0, ldc, slice, ep, maxPacked);
            }
        } else {
            int depth = Math.max(1, maxPacked / (GemmPacking.panels(n, nr) * nr));
            for (int p0 = 0; p0 < k; p0 += depth) {
                int d = Math.min(depth, k - p0);
                boolean last = p0 + d == k;
                sgemm(transA, transB, m, n, d, alpha, a, transA ? aOff + p0 * lda : aOff + p0, lda,
                        b, transB ? bOff + p0 : bOff + p0 * ldb, ldb, p0 == 0 ? beta : 1f, c, cOff, ldc,
                        last ? bias : null, last ? ep : Epilogue.NONE, maxPacked);
            }
        }
    }

    /** Packs a linear layer's weight {@code w[n][k]} (PyTorch layout, row stride k) for {@link #linear}. */
    public static PackedWeights pack(float[] w, int wOff, int n, int k) {
        checkDims("Gemm.pack", 1, n, k);
        checkMatrix("Gemm.pack", "w", len(w), wOff, n, k, Math.max(1, k));
        int size = GemmPacking.packedSize(k, n, GemmKernel.NR);
        // one panel of outputs (a classifier) is multiplied by dot products at small batches (linear): for those, a
        // copy with each 5 rows' vectors interleaved (GemmDot.packDots) follows the panels, on a line as well
        int dots = n <= GemmKernel.NR ? GemmDot.dotsSize(n, k) : 0, dotsAt = (size + 15) & ~15;
        CacheLines.Tracked p = new CacheLines.Tracked(new float[dotsAt + dots + CacheLines.SLACK]);
        int off = p.start(); // on a cache line where its address is known (PackedWeights)
        GemmPacking.packB(true, k, n, w, wOff, k, p.data(), off);
        if (dots > 0) GemmDot.packDots(w, wOff, k, n, k, p.data(), off + dotsAt);
        return PackedWeights.f32(n, k, p, off, dots > 0 ? dotsAt + dots : size, dots > 0 ? dotsAt : -1, w, wOff);
    }

    /**
     * {@code c[m][n] = ep(x[m][k] * w^T + bias)} with pre-packed weights; rows of x and c are contiguous
     * (strides k and n). {@code bias} (length n) is required exactly when {@code ep.hasBias()}.
     */
    public static void linear(float[] x, int xOff, int m, PackedWeights w, float[] bias, Epilogue ep, float[] c, int cOff) {
        linear(x, xOff, m, w, bias, ep, null, 0, false, c, cOff);
    }

    /**
     * {@code c[m][n] = ep(x[m][k] * w^T + bias + residual + (accumulate ? c : 0))} with pre-packed weights: the
     * activation of {@code ep} comes last (as in {@code relu(conv(x) + shortcut)}). {@code residual} (may be null) is
     * m x n at {@code rOff}, row stride n, and must not be {@code c} itself: to add into c in place, use
     * {@code accumulate}.
     */
    public static void linear(float[] x, int xOff, int m, PackedWeights w, float[] bias, Epilogue ep,
                              float[] residual, int rOff, boolean accumulate, float[] c, int cOff) {
        if (w == null) throw new IllegalArgumentException("Gemm.linear: weights are null");
        if (w.dtype() != DType.F32) throw new IllegalArgumentException("Gemm.linear: " + w + " are float64; use the double[] overload");
        int n = w.n(), k = w.k();
        checkLinear(len(x), xOff, m, n, k, len(bias), ep, len(c), cOff);
        checkResidual(residual == null ? -2 : residual.length, residual == c, rOff, m, n);
        if (m == 0 || n == 0) return;
        GemmKernel.Out out = GemmKernel.Out.reuse(c, cOff, n, 1f, accumulate ? 1f : 0f, bias, ep, residual, rOff, n);
        try {
            if (k == 0) { finishOnly(out, m, n, true); return; }
            if (nativeBlas) {
                NativeBlas.sgemm(false, true, m, n, k, 1f, x, xOff, k, w.source, w.sourceOff, k, out.beta(), c, cOff, n);
                finishOnly(out, m, n, false);
                return;
            }
            // One panel of outputs (the classifier layer): packing A would cost more than the product, so small
            // batches take dot products of x and the original weights in place; larger ones with at most one vector
            // of outputs read x in place against the packed panel (GemmNarrow). One or two rows (a decoder's step)
            // also take dot products: the packed tiles would compute 4 rows for them (1.1-1.7x slower at m = 1,
            // 1.3-1.75x at m = 2; at 3 rows either way wins on some shapes). Outputs that fill whole vectors go to the
            // panels from 8 rows on (panelsForFewRows).
            if ((n <= GemmKernel.NR || m <= 2) && m <= GemmDot.MAX_M && !panelsForFewRows(m, n)) {
                // the interleaved copy's blocks store their sums, so accumulating into C reads the weights in place;
                // below 4 rows there are no 4 x 5 blocks to read it, and no reason to hold the panels
                if (!w.hasDots() || accumulate || !GemmDot.hasRowBlocks(m)) {
                    GemmDot.run(m, n, k, x, xOff, k, w.source, w.sourceOff, k, out);
                } else {
                    long stamp = w.readPanels(true);
                    try {
                        GemmDot.run(m, n, k, x, xOff, k, w.source, w.sourceOff, k, w.panels(), w.dotsOff(), out);
                    } finally {
                        w.release(stamp);
                    }
                }
            } else {
                boolean narrow = GemmNarrow.fits(n);
                long stamp = w.readPanels(!narrow); // the panels stay where they are until released
                try {
                    if (narrow) GemmNarrow.run(m, n, k, x, xOff, k, w.panels(), w.panelOff(), out);
                    else GemmBlocks.run(out, false, x, xOff, k, w.panels(), w.panelOff(), CacheLines.available(), m, n, k);
                } finally {
                    w.release(stamp);
                }
            }
        } finally {
            out.release();
        }
    }

    /**
     * Whether packed weights of at most one panel, at a batch the dot products would take, go to the packed panels
     * instead: outputs that fill whole vectors (16, 32 and 48 with 16 lanes), from 8 rows on (a block of
     * {@link GemmNarrow}'s rows, and at least a tile of the micro-kernel's; fewer go one row at a time there).
     * The dot products' loops feed their FMAs from two vector loads per ~4.5 FMAs and run at about half the FMA rate
     * (docs/BENCHMARKS.md, {@code DotLoopRates}); the micro-kernel broadcasts A and loads one vector per 8 FMAs. One
     * vector of outputs reads A in place against the panel ({@link GemmNarrow}): against OpenBLAS at 16 outputs by
     * 256, one thread, 0.82 -> 1.00 at 8 rows, 0.92 -> 0.97 at 32, 1.25 -> 1.37 at 96 (AVX2: 8 outputs by 256, 1.12 ->
     * 1.47 at 32 rows). Two and three vectors take the 8 x 48 tiles, which pack A: 32 outputs 0.98 -> 1.28 at 8 rows,
     * 0.97 -> 1.20 at 32, 1.02 -> 1.43 at 96; 48 outputs 1.44 -> 1.84 at 32. Not where the product is split over
     * threads with fewer than 32 rows each (two threads at 32 x 48 x 256 went from 175-190 to 128-131 GFLOP/s, at 96
     * rows from 160-173 to 238-248), nor on 16 vector registers (AVX2's tiles, 4 x 24 when measured: 16 outputs 0.91
     * -> 0.56; not measured again with the 3 x 24 tiles of the eighteenth session). Outputs
     * that leave part of a vector empty stay with the dot products (10 outputs: 1.02 against 0.63 through
     * {@code GemmNarrow}).
     */
    static boolean panelsForFewRows(int m, int n) {
        if (m < Math.max(GemmKernel.MR, GemmNarrow.ROWS) || n % GemmKernel.V != 0) return false;
        if (n == GemmKernel.V) return true;
        int threads = Parallel.threads();
        return GemmTuning.WIDE_REGISTER_FILE && (threads == 1 || m >= 32 * threads);
    }

    /** As {@link #linear(float[], int, int, PackedWeights, float[], Epilogue, float[], int)}, packing {@code w[n][k]} on the fly. */
    public static void linear(float[] x, int xOff, int m, int n, int k, float[] w, int wOff, float[] bias, Epilogue ep,
                              float[] c, int cOff) {
        checkDims("Gemm.linear", m, n, k);
        checkMatrix("Gemm.linear", "w", len(w), wOff, n, k, k);
        checkLinear(len(x), xOff, m, n, k, len(bias), ep, len(c), cOff);
        sgemm(false, true, m, n, k, 1f, x, xOff, k, w, wOff, k, 0f, c, cOff, n, bias, ep);
    }

    // ---------------------------------------------------------------- float64

    /** {@link #sgemm(boolean, boolean, int, int, int, float, float[], int, int, float[], int, int, float, float[], int, int)} in float64. */
    public static void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                             double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                             double beta, double[] c, int cOff, int ldc) {
        dgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, null, Epilogue.NONE);
    }

    /** {@code dgemm} followed by {@code C = ep(C + bias[column])}; GELU epilogues are float32 only. */
    public static void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                             double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                             double beta, double[] c, int cOff, int ldc, double[] bias, Epilogue ep) {
        String where = "Gemm.dgemm";
        checkDims(where, m, n, k);
        checkMatrix(where, "A", len(a), aOff, transA ? k : m, transA ? m : k, lda);
        checkMatrix(where, "B", len(b), bOff, transB ? n : k, transB ? k : n, ldb);
        checkMatrix(where, "C", len(c), cOff, m, n, ldc);
        checkEpilogue(where, ep, len(bias), n, true);
        if (m == 0 || n == 0) return;
        GemmKernel64.Out out = GemmKernel64.Out.reuse(c, cOff, ldc, alpha, beta, bias, ep, null, 0, 0);
        try {
            if (k == 0 || alpha == 0.0) { finishOnly(out, m, n, true); return; }
            if (nativeBlas) {
                NativeBlas.dgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
                finishOnly(out, m, n, false);
                return;
            }
            if (transB && !transA && m <= GemmDot64.MAX_M) { GemmDot64.run(m, n, k, a, aOff, lda, b, bOff, ldb, out); return; }
            double[] bp = GemmBlocks.bBuffer64(GemmPacking.packedSize(k, n, GemmKernel64.NR));
            GemmBlocks.runPackingB(out, transA, a, aOff, lda, transB, b, bOff, ldb, bp, m, n, k);
        } finally {
            out.release();
        }
    }

    /** Packs a float64 weight {@code w[n][k]} for {@link #linear(double[], int, int, PackedWeights, double[], Epilogue, double[], int, boolean, double[], int)}. */
    public static PackedWeights pack(double[] w, int wOff, int n, int k) {
        checkDims("Gemm.pack", 1, n, k);
        checkMatrix("Gemm.pack", "w", len(w), wOff, n, k, Math.max(1, k));
        double[] p = new double[GemmPacking.packedSize(k, n, GemmKernel64.NR)];
        GemmPacking.packB(true, k, n, w, wOff, k, p);
        return PackedWeights.f64(n, k, p, w, wOff);
    }

    /** {@link #linear(float[], int, int, PackedWeights, float[], Epilogue, float[], int)} in float64. */
    public static void linear(double[] x, int xOff, int m, PackedWeights w, double[] bias, Epilogue ep, double[] c, int cOff) {
        linear(x, xOff, m, w, bias, ep, null, 0, false, c, cOff);
    }

    /** {@link #linear(float[], int, int, PackedWeights, float[], Epilogue, float[], int, boolean, float[], int)} in float64. */
    public static void linear(double[] x, int xOff, int m, PackedWeights w, double[] bias, Epilogue ep,
                              double[] residual, int rOff, boolean accumulate, double[] c, int cOff) {
        if (w == null) throw new IllegalArgumentException("Gemm.linear: weights are null");
        if (w.panels64 == null) throw new IllegalArgumentException("Gemm.linear: " + w + " are float32; use the float[] overload");
        int n = w.n(), k = w.k();
        checkLinear(len(x), xOff, m, n, k, len(bias), ep, len(c), cOff);
        checkEpilogue("Gemm.linear", ep, len(bias), n, true);
        checkResidual(residual == null ? -2 : residual.length, residual == c, rOff, m, n);
        if (m == 0 || n == 0) return;
        GemmKernel64.Out out = GemmKernel64.Out.reuse(c, cOff, n, 1.0, accumulate ? 1.0 : 0.0, bias, ep, residual, rOff, n);
        try {
            if (k == 0) { finishOnly(out, m, n, true); return; }
            if (nativeBlas) {
                NativeBlas.dgemm(false, true, m, n, k, 1.0, x, xOff, k, w.source64, w.sourceOff, k, out.beta(), c, cOff, n);
                finishOnly(out, m, n, false);
                return;
            }
            // as in float32: one panel of outputs, or one or two rows, take dot products of x and the weights in place
            if ((n <= GemmKernel64.NR || m <= 2) && m <= GemmDot64.MAX_M) {
                GemmDot64.run(m, n, k, x, xOff, k, w.source64, w.sourceOff, k, out);
            } else {
                GemmBlocks.run(out, false, x, xOff, k, w.panels64, m, n, k);
            }
        } finally {
            out.release();
        }
    }

    // ---------------------------------------------------------------- epilogue-only passes and checks

    /**
     * The epilogue over all of C when no Java kernel stored it: {@code zeroProduct} means the product vanishes
     * (k == 0 or alpha == 0: C = beta * C, then the epilogue); false means C already holds alpha*AB + beta*C (native).
     */
    private static void finishOnly(GemmKernel.Out o, int m, int n, boolean zeroProduct) {
        if (!zeroProduct && o.ep() == Epilogue.NONE && o.res() == null) return;
        float[] c = o.c();
        GemmKernel.Out post = zeroProduct ? o : new GemmKernel.Out(c, o.cOff(), o.ldc(), 1f, 0f, o.bias(), o.ep(), o.res(), o.rOff(), o.ldr());
        for (int i = 0; i < m; i++) {
            int row = o.cOff() + i * o.ldc();
            for (int j = 0; j < n; j++) c[row + j] = GemmKernel.scalar(post, zeroProduct ? 0f : c[row + j], i, j);
        }
    }

    private static void finishOnly(GemmKernel64.Out o, int m, int n, boolean zeroProduct) {
        if (!zeroProduct && o.ep() == Epilogue.NONE && o.res() == null) return;
        double[] c = o.c();
        GemmKernel64.Out post = zeroProduct ? o : new GemmKernel64.Out(c, o.cOff(), o.ldc(), 1.0, 0.0, o.bias(), o.ep(), o.res(), o.rOff(), o.ldr());
        for (int i = 0; i < m; i++) {
            int row = o.cOff() + i * o.ldc();
            for (int j = 0; j < n; j++) c[row + j] = GemmKernel64.scalar(post, zeroProduct ? 0.0 : c[row + j], i, j);
        }
    }

    private static int len(float[] a) { return a == null ? -1 : a.length; }
    private static int len(double[] a) { return a == null ? -1 : a.length; }

    private static void checkLinear(int xLen, int xOff, int m, int n, int k, int biasLen, Epilogue ep, int cLen, int cOff) {
        checkDims("Gemm.linear", m, n, k);
        checkMatrix("Gemm.linear", "x", xLen, xOff, m, k, Math.max(1, k));
        checkMatrix("Gemm.linear", "c", cLen, cOff, m, n, n);
        checkEpilogue("Gemm.linear", ep, biasLen, n, false);
    }

    private static void checkEpilogue(String where, Epilogue ep, int biasLen, int n, boolean float64) {
        if (ep == null) throw new IllegalArgumentException(where + ": epilogue is null (use Epilogue.NONE)");
        if (ep.hasBias()) {
            if (biasLen < 0) throw new IllegalArgumentException(where + ": epilogue " + ep + " needs a bias but bias is null");
            if (biasLen < n) throw new IllegalArgumentException(where + ": bias has " + biasLen + " elements, need n = " + n);
        }
        if (float64 && (ep == Epilogue.GELU || ep == Epilogue.BIAS_GELU)) {
            throw new IllegalArgumentException(where + ": epilogue " + ep + " is not available in float64");
        }
    }

    private static void checkResidual(int len, boolean isOutput, int rOff, int m, int n) {
        if (len == -2) return;
        if (isOutput) {
            throw new IllegalArgumentException("Gemm.linear: residual is the output array c; pass accumulate = true to add into c in place");
        }
        checkMatrix("Gemm.linear", "residual", len, rOff, m, n, n);
    }

    private static void checkDims(String where, int m, int n, int k) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException(where + ": negative size m=" + m + ", n=" + n + ", k=" + k);
    }

    /** A rows x cols matrix at {@code off} with row stride {@code ld} must fit inside an array of {@code len} (-1: null). */
    private static void checkMatrix(String where, String name, int len, int off, int rows, int cols, int ld) {
        if (len < 0) throw new IllegalArgumentException(where + ": " + name + " is null");
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(where + ": leading dimension of " + name + " is " + ld + " but rows have " + cols + " elements");
        }
        if (off < 0) throw new IllegalArgumentException(where + ": negative offset " + off + " for " + name);
        if (rows == 0 || cols == 0) return;
        long lastIdx = off + (long) (rows - 1) * ld + cols - 1;
        if (lastIdx >= len) {
            throw new IllegalArgumentException(where + ": " + name + " (" + rows + " x " + cols + ", offset " + off + ", stride " + ld
                    + ") needs " + (lastIdx + 1) + " elements but the array has " + len);
        }
    }
}
