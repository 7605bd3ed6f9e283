package dev.mithril.runtime;

import java.util.Arrays;

/**
 * Float convolution lowered to {@link Gemm#sgemm}: per group, {@code out[og, cols] = W[og, kk] x col[kk, cols]}
 * over a chunk of images. Small output planes are batched into one GEMM (the columns of several images side
 * by side) so the GEMM has enough columns to fill its panels; 1x1 stride-1 convolutions of one image read
 * the input in place. Every GEMM is called from the top level, so it runs on all threads.
 */
final class ConvGemm {
    /** Aim for at least this many GEMM columns per call. */
    private static final int TARGET_COLUMNS = 1024;
    /**
     * Below this many GEMM columns (one small plane, e.g. 7x7 at batch 1) the products run transposed, with the
     * output plane as GEMM rows: a GEMM with a few dozen columns wastes most of its column panels (measured 2x
     * on ResNet's 7x7 layers).
     */
    static final int TRANSPOSE_BELOW = 64;
    /** Cap on the im2col buffer, in floats (16 MiB). */
    private static final int MAX_COL = 1 << 22;

    /**
     * Per-calling-thread scratch (im2col columns, gathered or GEMM-ordered planes), kept between calls: allocating
     * and zeroing megabytes per convolution cost a third of a small layer's time. Index 0: columns, 1: planes,
     * 2: transposed GEMM results.
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][]);

    private ConvGemm() {}

    /** A scratch array of at least {@code n} floats (contents undefined), or null when {@code n == 0}. */
    private static float[] scratch(int slot, int n) {
        if (n == 0) return null;
        float[][] s = SCRATCH.get();
        if (s[slot] == null || s[slot].length < n) s[slot] = new float[n];
        return s[slot];
    }

    /** Images per GEMM call. */
    static int chunk(ConvGeometry g) {
        int nb = Math.max(1, (TARGET_COLUMNS + g.ohw() - 1) / g.ohw());
        nb = Math.min(nb, Math.max(1, MAX_COL / Math.max(1, g.kk() * g.ohw())));
        return Math.max(1, Math.min(nb, g.n()));
    }

    static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] out) {
        forward(g, x, w, bias, null, Epilogue.NONE, out);
    }

    /**
     * {@code out = act(conv(x, w) + bias + res)}: the bias, the residual {@code res} (may be null; the output's layout)
     * and the activation of {@code act} (one without a bias) are applied as each output is stored.
     */
    static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] res, Epilogue act, float[] out) {
        int og = g.og(), kk = g.kk(), ohw = g.ohw(), nb = chunk(g);
        boolean inPlace = g.pointwise() && nb == 1;
        float[] col = inPlace ? null : scratch(0, kk * nb * ohw);
        float[] tmp = nb > 1 ? scratch(1, og * nb * ohw) : null;
        for (int n0 = 0; n0 < g.n(); n0 += nb) {
            int b = Math.min(nb, g.n() - n0), ld = b * ohw;
            for (int gi = 0; gi < g.groups(); gi++) {
                float[] src = x;
                int srcOff = (n0 * g.c() + gi * g.cg()) * g.hw(), srcLd = g.hw();
                if (!inPlace) {
                    Im2col.im2col(g, x, n0, b, gi, col);
                    src = col; srcOff = 0; srcLd = ld;
                }
                if (ld < TRANSPOSE_BELOW) {
                    float[] t = scratch(2, ld * og); // t[ld, og] = col^T W^T
                    Gemm.sgemm(true, true, ld, og, kk, 1f, src, srcOff, srcLd, w, gi * og * kk, kk, 0f, t, 0, og);
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
                    Gemm.sgemm(false, false, og, ohw, kk, 1f, w, gi * og * kk, kk, src, srcOff, srcLd,
                            bias != null || res != null ? 1f : 0f, out, cOff, ohw, null, act);
                } else {
                    Gemm.sgemm(false, false, og, ld, kk, 1f, w, gi * og * kk, kk, src, srcOff, srcLd, 0f, tmp, 0, ld);
                    scatter(g, tmp, n0, b, gi, bias, res, act, out);
                }
            }
        }
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
    private static void scatterTransposed(ConvGeometry g, float[] t, int n0, int b, int gi, float[] bias, float[] res, Epilogue act,
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
        int og = g.og(), kk = g.kk(), ohw = g.ohw(), nb = chunk(g);
        boolean inPlace = g.pointwise() && nb == 1;
        float[] col = inPlace ? null : scratch(0, kk * nb * ohw);
        float[] buf = nb > 1 ? scratch(1, og * nb * ohw) : null;
        if (!inPlace) Arrays.fill(gx, 0f); // col2im accumulates
        for (int n0 = 0; n0 < g.n(); n0 += nb) {
            int b = Math.min(nb, g.n() - n0), ld = b * ohw;
            for (int gi = 0; gi < g.groups(); gi++) {
                float[] go = gradOut;
                int goOff = (n0 * g.o() + gi * og) * ohw, goLd = ohw;
                if (b > 1) {
                    gather(g, gradOut, n0, b, gi, buf);
                    go = buf; goOff = 0; goLd = ld;
                }
                if (inPlace) {
                    Gemm.sgemm(true, false, kk, ohw, og, 1f, w, gi * og * kk, kk, go, goOff, goLd, 0f,
                            gx, (n0 * g.c() + gi * g.cg()) * g.hw(), g.hw());
                } else if (ld < TRANSPOSE_BELOW) {
                    float[] t = scratch(2, ld * kk); // t[ld, kk] = gradOut^T W, then col = t^T
                    Gemm.sgemm(true, false, ld, kk, og, 1f, go, goOff, goLd, w, gi * og * kk, kk, 0f, t, 0, kk);
                    transpose(t, ld, kk, col);
                    Im2col.col2im(g, col, n0, b, gi, gx);
                } else {
                    Gemm.sgemm(true, false, kk, ld, og, 1f, w, gi * og * kk, kk, go, goOff, goLd, 0f, col, 0, ld);
                    Im2col.col2im(g, col, n0, b, gi, gx);
                }
            }
        }
    }

    /** {@code gw = conv2d's weight gradient}; {@code gw} is overwritten. */
    static void backwardWeight(ConvGeometry g, float[] gradOut, float[] x, float[] gw) {
        int og = g.og(), kk = g.kk(), ohw = g.ohw(), nb = chunk(g);
        boolean inPlace = g.pointwise() && nb == 1;
        float[] col = inPlace ? null : scratch(0, kk * nb * ohw);
        float[] buf = nb > 1 ? scratch(1, og * nb * ohw) : null;
        for (int n0 = 0; n0 < g.n(); n0 += nb) {
            int b = Math.min(nb, g.n() - n0), ld = b * ohw;
            for (int gi = 0; gi < g.groups(); gi++) {
                float[] go = gradOut;
                int goOff = (n0 * g.o() + gi * og) * ohw, goLd = ohw;
                if (b > 1) {
                    gather(g, gradOut, n0, b, gi, buf);
                    go = buf; goOff = 0; goLd = ld;
                }
                float[] src = x;
                int srcOff = (n0 * g.c() + gi * g.cg()) * g.hw(), srcLd = g.hw();
                if (!inPlace) {
                    Im2col.im2col(g, x, n0, b, gi, col);
                    src = col; srcOff = 0; srcLd = ld;
                }
                Gemm.sgemm(false, true, og, kk, ld, 1f, go, goOff, goLd, src, srcOff, srcLd, n0 == 0 ? 0f : 1f,
                        gw, gi * og * kk, kk);
            }
        }
        if (g.n() == 0) Arrays.fill(gw, 0f);
    }
}
