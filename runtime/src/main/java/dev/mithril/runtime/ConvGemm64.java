package dev.mithril.runtime;

import java.util.Arrays;

/**
 * {@link ConvGemm} in float64, line for line, over {@link Gemm#dgemm} and {@link Im2col64}: per group,
 * {@code out[og, cols] = W[og, kk] x col[kk, cols]} over a chunk of images.
 */
final class ConvGemm64 {
    /** Aim for at least this many GEMM columns per call. */
    private static final int TARGET_COLUMNS = 1024;
    /**
     * Below this many GEMM columns (one small plane, e.g. 7x7 at batch 1) the products run transposed, with the
     * output plane as GEMM rows: a GEMM with a few dozen columns wastes most of its column panels (measured 2x
     * on ResNet's 7x7 layers).
     */
    static final int TRANSPOSE_BELOW = 64;
    /** Cap on the im2col buffer, in doubles (32 MiB). */
    private static final int MAX_COL = 1 << 22;

    /**
     * Per-calling-thread scratch (im2col columns, gathered or GEMM-ordered planes), kept between calls: allocating
     * and zeroing megabytes per convolution cost a third of a small layer's time. Index 0: columns, 1: planes,
     * 2: transposed GEMM results.
     */
    private static final ThreadLocal<double[][]> SCRATCH = ThreadLocal.withInitial(() -> new double[3][]);

    private ConvGemm64() {}

    /** A scratch array of at least {@code n} doubles (contents undefined), or null when {@code n == 0}. */
    private static double[] scratch(int slot, int n) {
        if (n == 0) return null;
        double[][] s = SCRATCH.get();
        if (s[slot] == null || s[slot].length < n) s[slot] = new double[n];
        return s[slot];
    }

    /** Images per GEMM call. */
    static int chunk(ConvGeometry g) {
        int nb = Math.max(1, (TARGET_COLUMNS + g.ohw() - 1) / g.ohw());
        nb = Math.min(nb, Math.max(1, MAX_COL / Math.max(1, g.kk() * g.ohw())));
        return Math.max(1, Math.min(nb, g.n()));
    }

    static void forward(ConvGeometry g, double[] x, double[] w, double[] bias, double[] out) {
        int og = g.og(), kk = g.kk(), ohw = g.ohw(), nb = chunk(g);
        double[] tmp = nb > 1 ? scratch(1, og * nb * ohw) : null;
        for (int n0 = 0; n0 < g.n(); n0 += nb) {
            int b = Math.min(nb, g.n() - n0), ld = b * ohw;
            for (int gi = 0; gi < g.groups(); gi++) {
                Operand col = patches(g, x, n0, b, nb, gi);
                if (ld < TRANSPOSE_BELOW) {
                    double[] t = scratch(2, ld * og); // t[ld, og] = col^T W^T
                    Gemm.dgemm(true, true, ld, og, kk, 1.0, col.a(), col.off(), col.ld(), w, gi * og * kk, kk, 0.0, t, 0, og);
                    scatterTransposed(g, t, n0, b, gi, bias, out);
                } else if (b == 1) {
                    int cOff = (n0 * g.o() + gi * og) * ohw;
                    if (bias != null) for (int o = 0; o < og; o++) Arrays.fill(out, cOff + o * ohw, cOff + (o + 1) * ohw, bias[gi * og + o]);
                    Gemm.dgemm(false, false, og, ohw, kk, 1.0, w, gi * og * kk, kk, col.a(), col.off(), col.ld(),
                            bias != null ? 1.0 : 0.0, out, cOff, ohw);
                } else {
                    Gemm.dgemm(false, false, og, ld, kk, 1.0, w, gi * og * kk, kk, col.a(), col.off(), col.ld(), 0.0, tmp, 0, ld);
                    scatter(g, tmp, n0, b, gi, bias, out);
                }
            }
        }
    }

    /** {@code out[n0 + i, gi * og + o, :] = tmp[o, i * ohw ...] + bias}. */
    private static void scatter(ConvGeometry g, double[] tmp, int n0, int b, int gi, double[] bias, double[] out) {
        int og = g.og(), ohw = g.ohw(), ld = b * ohw;
        Parallel.forRange(b * og, Math.max(1, 16384 / ohw), (from, to) -> {
            for (int t = from; t < to; t++) {
                int i = t / og, o = t % og;
                int dst = ((n0 + i) * g.o() + gi * og + o) * ohw, src = o * ld + i * ohw;
                if (bias == null) {
                    System.arraycopy(tmp, src, out, dst, ohw);
                } else {
                    double bv = bias[gi * og + o];
                    for (int j = 0; j < ohw; j++) out[dst + j] = tmp[src + j] + bv;
                }
            }
        });
    }

    /** {@code out[n0 + i, gi * og + o, j] = t[i * ohw + j, o] + bias}: the transposed product back to NCHW. */
    private static void scatterTransposed(ConvGeometry g, double[] t, int n0, int b, int gi, double[] bias, double[] out) {
        int og = g.og(), ohw = g.ohw();
        Parallel.forRange(b * og, Math.max(1, 16384 / ohw), (from, to) -> {
            for (int q = from; q < to; q++) {
                int i = q / og, o = q % og;
                int dst = ((n0 + i) * g.o() + gi * og + o) * ohw, src = i * ohw * og + o;
                double bv = bias == null ? 0.0 : bias[gi * og + o];
                for (int j = 0; j < ohw; j++) out[dst + j] = t[src + j * og] + bv;
            }
        });
    }

    /** {@code dst[c, r] = src[r, c]} for an {@code rows x cols} matrix. */
    private static void transpose(double[] src, int rows, int cols, double[] dst) {
        Parallel.forRange(cols, Math.max(1, 16384 / rows), (from, to) -> {
            for (int c = from; c < to; c++) for (int r = 0; r < rows; r++) dst[c * rows + r] = src[r * cols + c];
        });
    }

    /** A row-major matrix operand of a GEMM call: {@code a[off + row * ld + col]}. */
    private record Operand(double[] a, int off, int ld) {}

    /** {@link ConvGemm#patches} in float64. */
    private static Operand patches(ConvGeometry g, double[] x, int n0, int b, int nb, int gi) {
        if (g.pointwise() && nb == 1) return new Operand(x, (n0 * g.c() + gi * g.cg()) * g.hw(), g.hw());
        double[] col = scratch(0, g.kk() * nb * g.ohw());
        Im2col64.im2col(g, x, n0, b, gi, col);
        return new Operand(col, 0, b * g.ohw());
    }

    /** The output gradient of images {@code [n0, n0 + b)}, group {@code gi}, as {@code og} rows of {@code b * ohw}. */
    private static Operand gradOutRows(ConvGeometry g, double[] gradOut, int n0, int b, int nb, int gi) {
        if (b == 1) return new Operand(gradOut, (n0 * g.o() + gi * g.og()) * g.ohw(), g.ohw());
        double[] buf = scratch(1, g.og() * nb * g.ohw());
        gather(g, gradOut, n0, b, gi, buf);
        return new Operand(buf, 0, b * g.ohw());
    }

    /** {@code buf[o, i * ohw ...] = gradOut[n0 + i, gi * og + o, :]}: the GEMM operand for several images. */
    private static void gather(ConvGeometry g, double[] gradOut, int n0, int b, int gi, double[] buf) {
        int og = g.og(), ohw = g.ohw(), ld = b * ohw;
        Parallel.forRange(b * og, Math.max(1, 16384 / ohw), (from, to) -> {
            for (int t = from; t < to; t++) {
                int i = t / og, o = t % og;
                System.arraycopy(gradOut, ((n0 + i) * g.o() + gi * og + o) * ohw, buf, o * ld + i * ohw, ohw);
            }
        });
    }

    /** {@code gx = conv2d's input gradient}; {@code gx} is overwritten. */
    static void backwardInput(ConvGeometry g, double[] gradOut, double[] w, double[] gx) {
        int og = g.og(), kk = g.kk(), ohw = g.ohw(), nb = chunk(g);
        boolean inPlace = g.pointwise() && nb == 1;
        double[] col = inPlace ? null : scratch(0, kk * nb * ohw);
        if (!inPlace) Arrays.fill(gx, 0.0); // col2im accumulates
        for (int n0 = 0; n0 < g.n(); n0 += nb) {
            int b = Math.min(nb, g.n() - n0), ld = b * ohw;
            for (int gi = 0; gi < g.groups(); gi++) {
                Operand go = gradOutRows(g, gradOut, n0, b, nb, gi);
                if (inPlace) {
                    Gemm.dgemm(true, false, kk, ohw, og, 1.0, w, gi * og * kk, kk, go.a(), go.off(), go.ld(), 0.0,
                            gx, (n0 * g.c() + gi * g.cg()) * g.hw(), g.hw());
                } else if (ld < TRANSPOSE_BELOW) {
                    double[] t = scratch(2, ld * kk); // t[ld, kk] = gradOut^T W, then col = t^T
                    Gemm.dgemm(true, false, ld, kk, og, 1.0, go.a(), go.off(), go.ld(), w, gi * og * kk, kk, 0.0, t, 0, kk);
                    transpose(t, ld, kk, col);
                    Im2col64.col2im(g, col, n0, b, gi, gx);
                } else {
                    Gemm.dgemm(true, false, kk, ld, og, 1.0, w, gi * og * kk, kk, go.a(), go.off(), go.ld(), 0.0, col, 0, ld);
                    Im2col64.col2im(g, col, n0, b, gi, gx);
                }
            }
        }
    }

    /** {@code gw = conv2d's weight gradient}; {@code gw} is overwritten. */
    static void backwardWeight(ConvGeometry g, double[] gradOut, double[] x, double[] gw) {
        int og = g.og(), kk = g.kk(), ohw = g.ohw(), nb = chunk(g);
        for (int n0 = 0; n0 < g.n(); n0 += nb) {
            int b = Math.min(nb, g.n() - n0), ld = b * ohw;
            for (int gi = 0; gi < g.groups(); gi++) {
                Operand go = gradOutRows(g, gradOut, n0, b, nb, gi), col = patches(g, x, n0, b, nb, gi);
                Gemm.dgemm(false, true, og, kk, ld, 1.0, go.a(), go.off(), go.ld(), col.a(), col.off(), col.ld(), n0 == 0 ? 0.0 : 1.0,
                        gw, gi * og * kk, kk);
            }
        }
        if (g.n() == 0) Arrays.fill(gw, 0.0);
    }
}
