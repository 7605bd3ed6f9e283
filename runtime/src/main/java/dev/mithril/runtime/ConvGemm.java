package dev.mithril.runtime;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Float convolution lowered to GEMMs: per group, {@code out[og, cols] = W[og, kk] x col[kk, cols]} over a chunk of
 * images. Small output planes are batched into one GEMM (the columns of several images side by side) so the GEMM
 * has enough columns to fill its panels; 1x1 stride-1 convolutions of one image read the input in place. The
 * forward product and the weight gradient's pack the input patches straight into the GEMM's panels
 * ({@link ConvPanels}, then {@link GemmBlocks}) rather than through an im2col matrix. With at least as many chunks
 * as threads, each thread takes whole chunks (every step serial on it); otherwise chunks run one after another and
 * each step is split over the threads.
 */
final class ConvGemm {
    /**
     * GEMM columns (output pixels of a chunk of images) to aim for per call, by direction. Measured at batch 32 on
     * ResNet's layers (CPU time, 2 threads): one 28x28 plane per forward call instead of two took 10-15% less (the
     * product then stores straight into the output, no scatter pass), four 14x14 planes instead of six 18% less;
     * the weight gradient took 15-25% less with two 14x14 or seven 7x7 planes per call than with six or 21 (its
     * packed patches, pixels by taps, stay nearer the cache); the input gradient was fastest with the most columns.
     */
    static final int FORWARD_COLUMNS = 784, INPUT_GRAD_COLUMNS = 1024, WEIGHT_GRAD_COLUMNS = 320;
    /**
     * Below this many GEMM columns (one small plane, e.g. 7x7 at batch 1) the products run transposed, with the
     * output plane as GEMM rows: a GEMM with a few dozen columns wastes most of its column panels (measured 2x
     * on ResNet's 7x7 layers).
     */
    static final int TRANSPOSE_BELOW = 64;
    /**
     * The input gradient's product also runs transposed (pixels as GEMM rows) below this many pixels when the weight
     * has at least {@link #INPUT_GRAD_TRANSPOSE_TAPS} taps per output channel: the product then packs the weight as
     * plain rows of B instead of transposing all of it into A slivers (measured 12-14% less CPU time on ResNet's 3x3
     * 256-channel layer at 14x14, batch 1). A small weight gains nothing, and its few column panels split unevenly.
     */
    static final int INPUT_GRAD_TRANSPOSE_BELOW = 256, INPUT_GRAD_TRANSPOSE_TAPS = 1024;
    /** Budget for one GEMM call's packed columns (bytes): about half of a 2 MiB L2 cache. */
    private static final long PANEL_BYTES = 1L << 20;
    /** Fewest panels per call worth blocking the columns for. */
    private static final int MIN_BLOCK_PANELS = 8;
    /** Cap on the im2col buffer, in floats (16 MiB). */
    private static final int MAX_COL = 1 << 22;

    /**
     * Per-calling-thread scratch (im2col columns, gathered or GEMM-ordered planes), kept between calls: allocating
     * and zeroing megabytes per convolution cost a third of a small layer's time. Index 0: columns, 1: planes,
     * 2: transposed GEMM results, 3: the other threads' weight gradients, 4: packed GEMM panels.
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[5][]);

    private ConvGemm() {}

    /** A scratch array of at least {@code n} floats (contents undefined), or null when {@code n == 0}. */
    static float[] scratch(int slot, int n) {
        if (n == 0) return null;
        float[][] s = SCRATCH.get();
        if (s[slot] == null || s[slot].length < n) s[slot] = new float[n];
        return s[slot];
    }

    /** Images per GEMM call when aiming for {@code columns} GEMM columns. */
    static int chunk(ConvGeometry g, int columns) {
        int nb = Math.max(1, (columns + g.ohw() - 1) / g.ohw());
        nb = Math.min(nb, Math.max(1, MAX_COL / Math.max(1, g.kk() * g.ohw())));
        return Math.max(1, Math.min(nb, g.n()));
    }

    /** Work on the images {@code [n0, n0 + b)}; {@code nb} is the largest {@code b} of the run (sizes the scratch). */
    @FunctionalInterface
    interface ChunkBody {
        void run(int n0, int b, int nb);
    }

    /**
     * Images per chunk when whole chunks run in parallel, one thread each (their im2col, GEMM and scatter then run
     * serially on that thread, with its own scratch): the chunk count is rounded up to a multiple of the thread count so
     * that every thread gets as many images. 0 when there are fewer chunks than threads; then the chunks run one after
     * another and each kernel is split over the threads. Whole chunks per thread took up to 1.9x less CPU time at batch 32
     * on ResNet's 3x3 layers (never more): no barrier between the steps, and each thread's columns stay in its own cache.
     */
    static int parallelChunk(ConvGeometry g, int columns) {
        int t = Parallel.threads(), nb = chunk(g, columns);
        int chunks = (g.n() + nb - 1) / nb;
        if (t <= 1 || chunks < t) return 0;
        chunks = (chunks + t - 1) / t * t;
        return (g.n() + chunks - 1) / chunks;
    }

    /** Runs {@code body} over every chunk of images, in parallel over chunks when {@link #parallelChunk} says so. */
    static void forEachChunk(ConvGeometry g, int columns, ChunkBody body) {
        int pb = parallelChunk(g, columns);
        if (pb > 0) {
            int chunks = (g.n() + pb - 1) / pb;
            AtomicInteger next = new AtomicInteger();
            // Threads claim chunks one at a time, so one that is slowed down (a shared machine) takes fewer.
            Parallel.forRange(Parallel.threads(), 1, (from, to) -> {
                for (int c; (c = next.getAndIncrement()) < chunks; ) body.run(c * pb, Math.min(pb, g.n() - c * pb), pb);
            });
        } else {
            int nb = chunk(g, columns);
            for (int n0 = 0; n0 < g.n(); n0 += nb) body.run(n0, Math.min(nb, g.n() - n0), nb);
        }
    }

    static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] out) {
        forward(g, x, w, bias, null, Epilogue.NONE, out);
    }

    /**
     * {@code out = act(conv(x, w) + bias + res)}: the bias, the residual {@code res} (may be null; the output's layout)
     * and the activation of {@code act} (one without a bias) are applied as each output is stored.
     */
    static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] res, Epilogue act, float[] out) {
        forEachChunk(g, FORWARD_COLUMNS, (n0, b, nb) -> forwardChunk(g, x, w, bias, res, act, out, n0, b, nb));
    }

    private static void forwardChunk(ConvGeometry g, float[] x, float[] w, float[] bias, float[] res, Epilogue act, float[] out,
                                     int n0, int b, int nb) {
        int og = g.og(), kk = g.kk(), ohw = g.ohw(), ld = b * ohw;
        for (int gi = 0; gi < g.groups(); gi++) {
            if (ld < TRANSPOSE_BELOW) {
                Operand col = patches(g, x, n0, b, nb, gi);
                float[] t = scratch(2, ld * og); // t[ld, og] = col^T W^T
                Gemm.sgemm(true, true, ld, og, kk, 1f, col.a(), col.off(), col.ld(), w, gi * og * kk, kk, 0f, t, 0, og);
                scatterTransposed(g, t, n0, b, gi, bias, res, act, out);
            } else if (b == 1) {
                int cOff = (n0 * g.o() + gi * og) * ohw;
                // The bias (a row's constant here) and the residual go into C first; the GEMM accumulates onto them
                // and applies the activation in its store.
                if (res != null) {
                    for (int o = 0; o < og; o++) {
                        float bv = bias == null ? 0f : bias[gi * og + o];
                        for (int j = cOff + o * ohw; j < cOff + (o + 1) * ohw; j++) out[j] = res[j] + bv;
                    }
                } else if (bias != null) {
                    for (int o = 0; o < og; o++) Arrays.fill(out, cOff + o * ohw, cOff + (o + 1) * ohw, bias[gi * og + o]);
                }
                product(g, x, w, n0, b, nb, gi, bias != null || res != null ? 1f : 0f, act, out, cOff, ohw);
            } else {
                float[] tmp = scratch(1, og * nb * ohw);
                product(g, x, w, n0, b, nb, gi, 0f, Epilogue.NONE, tmp, 0, ld);
                scatter(g, tmp, n0, b, gi, bias, res, act, out);
            }
        }
    }

    /**
     * Panels per GEMM call in {@link #product}: as many as keep the packed columns within {@link #PANEL_BYTES}, so that
     * the GEMM's passes over them (one per k block and row block) hit the L2 cache, unless that would make calls
     * of fewer than {@link #MIN_BLOCK_PANELS} panels (each call packs the weights again).
     */
    static int blockPanels(int kk, int panels) {
        int fit = (int) Math.min(panels, PANEL_BYTES / (4L * kk * GemmKernel.NR));
        return fit < MIN_BLOCK_PANELS ? panels : Math.max(1, fit);
    }

    /**
     * {@code C = act(W x col + beta C)} for group {@code gi} of images {@code [n0, n0 + b)}: {@code C} is
     * {@code og} rows of {@code b * ohw} at {@code c[cOff...]} with row stride {@code ldc}. The columns are packed
     * straight into the GEMM's panels ({@link ConvPanels}); the in-place 1x1 case, products of fewer rows than
     * the micro-kernel has (another GEMM path) and OpenBLAS take the plain im2col matrix.
     */
    private static void product(ConvGeometry g, float[] x, float[] w, int n0, int b, int nb, int gi, float beta, Epilogue act,
                                float[] c, int cOff, int ldc) {
        int og = g.og(), kk = g.kk(), ld = b * g.ohw();
        boolean inPlace = g.pointwise() && nb == 1;
        if (!inPlace && og >= GemmKernel.MR && !Gemm.usingNative()) {
            int nr = GemmKernel.NR, panels = GemmPacking.panels(ld, nr), step = blockPanels(kk, panels);
            float[] packed = scratch(4, GemmPacking.packedSize(kk, Math.min(ld, step * nr), nr));
            for (int j0 = 0; j0 < panels; j0 += step) {
                int j1 = Math.min(panels, j0 + step), col = j0 * nr, cols = Math.min(ld, j1 * nr) - col;
                ConvPanels.pack(g, x, n0, b, gi, j0, j1, packed);
                GemmBlocks.run(new GemmKernel.Out(c, cOff + col, ldc, 1f, beta, null, act, null, 0, 0), false, w, gi * og * kk, kk,
                        packed, og, cols, kk);
            }
            return;
        }
        Operand col = patches(g, x, n0, b, nb, gi);
        Gemm.sgemm(false, false, og, ld, kk, 1f, w, gi * og * kk, kk, col.a(), col.off(), col.ld(), beta, c, cOff, ldc, null, act);
    }

    /** {@code out[n0 + i, gi * og + o, :] = act(tmp[o, i * ohw ...] + bias + res)}. */
    private static void scatter(ConvGeometry g, float[] tmp, int n0, int b, int gi, float[] bias, float[] res, Epilogue act, float[] out) {
        int og = g.og(), ohw = g.ohw(), ld = b * ohw;
        Parallel.forRange(b * og, Math.max(1, 16384 / ohw), (from, to) -> {
            for (int t = from; t < to; t++) {
                int i = t / og, o = t % og;
                int dst = ((n0 + i) * g.o() + gi * og + o) * ohw, src = o * ld + i * ohw;
                if (bias == null && res == null && act == Epilogue.NONE) {
                    System.arraycopy(tmp, src, out, dst, ohw);
                } else {
                    float bv = bias == null ? 0f : bias[gi * og + o];
                    for (int j = 0; j < ohw; j++) {
                        float v = tmp[src + j] + bv;
                        if (res != null) v += res[dst + j];
                        out[dst + j] = GemmKernel.activation(act, v);
                    }
                }
            }
        });
    }

    /** {@code out[n0 + i, gi * og + o, j] = act(t[i * ohw + j, o] + bias + res)}: the transposed product back to NCHW. */
    static void scatterTransposed(ConvGeometry g, float[] t, int n0, int b, int gi, float[] bias, float[] res, Epilogue act,
                                  float[] out) {
        int og = g.og(), ohw = g.ohw();
        Parallel.forRange(b * og, Math.max(1, 16384 / ohw), (from, to) -> {
            for (int q = from; q < to; q++) {
                int i = q / og, o = q % og;
                int dst = ((n0 + i) * g.o() + gi * og + o) * ohw, src = i * ohw * og + o;
                float bv = bias == null ? 0f : bias[gi * og + o];
                for (int j = 0; j < ohw; j++) {
                    float v = t[src + j * og] + bv;
                    if (res != null) v += res[dst + j];
                    out[dst + j] = GemmKernel.activation(act, v);
                }
            }
        });
    }

    /** {@code dst[c, r] = src[r, c]} for an {@code rows x cols} matrix. */
    private static void transpose(float[] src, int rows, int cols, float[] dst) {
        Parallel.forRange(cols, Math.max(1, 16384 / rows), (from, to) -> {
            for (int c = from; c < to; c++) for (int r = 0; r < rows; r++) dst[c * rows + r] = src[r * cols + c];
        });
    }

    /** A row-major matrix operand of a GEMM call: {@code a[off + row * ld + col]}. */
    record Operand(float[] a, int off, int ld) {}

    /**
     * The im2col matrix of images {@code [n0, n0 + b)}, group {@code gi}, {@code kk} rows of {@code b * ohw}: the input
     * itself for 1x1 stride-1 convolutions of one image per chunk ({@code nb == 1}), else written into scratch.
     */
    static Operand patches(ConvGeometry g, float[] x, int n0, int b, int nb, int gi) {
        if (g.pointwise() && nb == 1) return new Operand(x, (n0 * g.c() + gi * g.cg()) * g.hw(), g.hw());
        float[] col = scratch(0, g.kk() * nb * g.ohw());
        Im2col.im2col(g, x, n0, b, gi, col);
        return new Operand(col, 0, b * g.ohw());
    }

    /** The output gradient of images {@code [n0, n0 + b)}, group {@code gi}, as {@code og} rows of {@code b * ohw}. */
    private static Operand gradOutRows(ConvGeometry g, float[] gradOut, int n0, int b, int nb, int gi) {
        if (b == 1) return new Operand(gradOut, (n0 * g.o() + gi * g.og()) * g.ohw(), g.ohw());
        float[] buf = scratch(1, g.og() * nb * g.ohw());
        gather(g, gradOut, n0, b, gi, buf);
        return new Operand(buf, 0, b * g.ohw());
    }

    /** {@code buf[o, i * ohw ...] = gradOut[n0 + i, gi * og + o, :]}: the GEMM operand for several images. */
    private static void gather(ConvGeometry g, float[] gradOut, int n0, int b, int gi, float[] buf) {
        int og = g.og(), ohw = g.ohw(), ld = b * ohw;
        Parallel.forRange(b * og, Math.max(1, 16384 / ohw), (from, to) -> {
            for (int t = from; t < to; t++) {
                int i = t / og, o = t % og;
                System.arraycopy(gradOut, ((n0 + i) * g.o() + gi * og + o) * ohw, buf, o * ld + i * ohw, ohw);
            }
        });
    }

    /** {@code gx = conv2d's input gradient}; {@code gx} is overwritten. */
    static void backwardInput(ConvGeometry g, float[] gradOut, float[] w, float[] gx) {
        forEachChunk(g, INPUT_GRAD_COLUMNS, (n0, b, nb) -> backwardInputChunk(g, gradOut, w, gx, n0, b, nb));
    }

    private static void backwardInputChunk(ConvGeometry g, float[] gradOut, float[] w, float[] gx, int n0, int b, int nb) {
        int og = g.og(), kk = g.kk(), ohw = g.ohw(), ld = b * ohw;
        boolean inPlace = g.pointwise() && nb == 1;
        float[] col = inPlace ? null : scratch(0, kk * nb * ohw);
        // col2im accumulates: clear this chunk's images first.
        if (!inPlace) Arrays.fill(gx, n0 * g.c() * g.hw(), (n0 + b) * g.c() * g.hw(), 0f);
        for (int gi = 0; gi < g.groups(); gi++) {
            Operand go = gradOutRows(g, gradOut, n0, b, nb, gi);
            if (inPlace) {
                Gemm.sgemm(true, false, kk, ohw, og, 1f, w, gi * og * kk, kk, go.a(), go.off(), go.ld(), 0f,
                        gx, (n0 * g.c() + gi * g.cg()) * g.hw(), g.hw());
            } else if (ld < TRANSPOSE_BELOW || ld < INPUT_GRAD_TRANSPOSE_BELOW && kk >= INPUT_GRAD_TRANSPOSE_TAPS) {
                float[] t = scratch(2, ld * kk); // t[ld, kk] = gradOut^T W, then col = t^T
                Gemm.sgemm(true, false, ld, kk, og, 1f, go.a(), go.off(), go.ld(), w, gi * og * kk, kk, 0f, t, 0, kk);
                transpose(t, ld, kk, col);
                Im2col.col2im(g, col, n0, b, gi, gx);
            } else {
                Gemm.sgemm(true, false, kk, ld, og, 1f, w, gi * og * kk, kk, go.a(), go.off(), go.ld(), 0f, col, 0, ld);
                Im2col.col2im(g, col, n0, b, gi, gx);
            }
        }
    }

    /**
     * {@code gw = conv2d's weight gradient}; {@code gw} is overwritten. When chunks run in parallel, each thread sums its
     * images' products into its own copy of the gradient (the first into {@code gw} itself), and the copies are added
     * at the end.
     */
    static void backwardWeight(ConvGeometry g, float[] gradOut, float[] x, float[] gw) {
        int pb = parallelChunk(g, WEIGHT_GRAD_COLUMNS);
        if (g.n() == 0) {
            Arrays.fill(gw, 0f);
        } else if (pb == 0) {
            int nb = chunk(g, WEIGHT_GRAD_COLUMNS);
            for (int n0 = 0; n0 < g.n(); n0 += nb) backwardWeightChunk(g, gradOut, x, n0, Math.min(nb, g.n() - n0), nb, n0 > 0, gw, 0);
        } else {
            int t = Parallel.threads(), chunks = (g.n() + pb - 1) / pb, size = gw.length;
            float[] partial = scratch(3, (t - 1) * size);
            AtomicInteger next = new AtomicInteger();
            Parallel.forRange(t, 1, (from, to) -> {
                for (int part = from; part < to; part++) {
                    float[] dst = part == 0 ? gw : partial;
                    int dstOff = part == 0 ? 0 : (part - 1) * size;
                    boolean any = false;
                    for (int c; (c = next.getAndIncrement()) < chunks; any = true) {
                        backwardWeightChunk(g, gradOut, x, c * pb, Math.min(pb, g.n() - c * pb), pb, any, dst, dstOff);
                    }
                    if (!any) Arrays.fill(dst, dstOff, dstOff + size, 0f);
                }
            });
            Parallel.forRange(size, 16384, (from, to) -> {
                for (int part = 1; part < t; part++) {
                    int off = (part - 1) * size;
                    for (int i = from; i < to; i++) gw[i] += partial[off + i];
                }
            });
        }
    }

    /** Writes (or with {@code accumulate}, adds) the weight gradient of images {@code [n0, n0 + b)} at {@code gw[gwOff...]}. */
    private static void backwardWeightChunk(ConvGeometry g, float[] gradOut, float[] x, int n0, int b, int nb, boolean accumulate,
                                            float[] gw, int gwOff) {
        int og = g.og(), kk = g.kk(), ld = b * g.ohw();
        boolean inPlace = g.pointwise() && nb == 1;
        for (int gi = 0; gi < g.groups(); gi++) {
            Operand go = gradOutRows(g, gradOut, n0, b, nb, gi);
            if (!inPlace && og >= GemmKernel.MR && !Gemm.usingNative() && 2 * GemmPacking.panels(kk, GemmKernel.NR) * GemmKernel.NR <= 3 * kk) {
                // The taps are the GEMM's columns here, padded to whole panels. Up to a third of padding still pays: the 7x7
                // stem's 147 taps in 192 and a 1x1 layer's 64 in 96 took 1.2x and 1.1x less CPU time at batch 32 (one
                // thread) than the dot-product GEMM on the im2col matrix, which streams both operands from L3 for every
                // block of 4x4 dot products; at batch 1 the two tie.
                float[] panels = scratch(4, ConvPanels.sizeTransposed(g, nb));
                ConvPanels.packTransposed(g, x, n0, b, gi, panels);
                GemmBlocks.run(new GemmKernel.Out(gw, gwOff + gi * og * kk, kk, 1f, accumulate ? 1f : 0f, null, Epilogue.NONE, null, 0, 0),
                        false, go.a(), go.off(), go.ld(), panels, og, kk, ld);
                continue;
            }
            Operand col = patches(g, x, n0, b, nb, gi);
            Gemm.sgemm(false, true, og, kk, ld, 1f, go.a(), go.off(), go.ld(), col.a(), col.off(), col.ld(), accumulate ? 1f : 0f,
                    gw, gwOff + gi * og * kk, kk);
        }
    }
}
