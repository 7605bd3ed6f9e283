package dev.mithril.runtime;

import java.util.Arrays;

/**
 * {@link Im2col} on {@code double[]}, line for line: the same column layout, for {@link ConvGemm64}.
 */
final class Im2col64 {
    private Im2col64() {}

    /** Fills {@code col} ({@code kk} rows of {@code b * ohw}) from images {@code [n0, n0 + b)}, group {@code gi}. */
    static void im2col(ConvGeometry g, double[] x, int n0, int b, int gi, double[] col) {
        int kk = g.kk(), ohw = g.ohw(), ld = b * ohw;
        Parallel.forRange(kk * b, Math.max(1, 8192 / ohw), (from, to) -> {
            for (int t = from; t < to; t++) {
                int r = t / b, i = t % b;
                int c = r / (g.kh() * g.kw()), ki = r / g.kw() % g.kh(), kj = r % g.kw();
                int src = ((n0 + i) * g.c() + gi * g.cg() + c) * g.hw();
                row(g, x, src, ki, kj, col, r * ld + i * ohw);
            }
        });
    }

    /** One (channel, tap) row for one image: OH stretches of OW values. */
    private static void row(ConvGeometry g, double[] x, int src, int ki, int kj, double[] col, int dst) {
        int ow = g.ow(), sW = g.strideW(), w = g.w();
        int iw0 = kj * g.dilationW() - g.padW();
        int lo = ConvGeometry.firstValid(iw0, sW), hi = Math.max(lo, ConvGeometry.endValid(iw0, sW, w, ow));
        for (int oh = 0; oh < g.oh(); oh++, dst += ow) {
            int ih = oh * g.strideH() - g.padH() + ki * g.dilationH();
            if (ih < 0 || ih >= g.h()) {
                Arrays.fill(col, dst, dst + ow, 0.0);
                continue;
            }
            int xr = src + ih * w + iw0;
            if (lo > 0) Arrays.fill(col, dst, dst + lo, 0.0);
            if (sW == 1) {
                System.arraycopy(x, xr + lo, col, dst + lo, hi - lo);
            } else {
                for (int o = lo; o < hi; o++) col[dst + o] = x[xr + o * sW];
            }
            if (hi < ow) Arrays.fill(col, dst + hi, dst + ow, 0.0);
        }
    }

    /** Adds {@code col} (as filled by {@link #im2col}) back into {@code gx} at images {@code [n0, n0 + b)}, group {@code gi}. */
    static void col2im(ConvGeometry g, double[] col, int n0, int b, int gi, double[] gx) {
        int cg = g.cg(), ohw = g.ohw(), ld = b * ohw, taps = g.kh() * g.kw();
        // One task per (image, channel): all taps of a channel write the same input plane.
        Parallel.forRange(cg * b, Math.max(1, 8192 / (ohw * taps)), (from, to) -> {
            for (int t = from; t < to; t++) {
                int c = t / b, i = t % b;
                int dstPlane = ((n0 + i) * g.c() + gi * cg + c) * g.hw();
                for (int ki = 0; ki < g.kh(); ki++) {
                    for (int kj = 0; kj < g.kw(); kj++) {
                        int r = (c * g.kh() + ki) * g.kw() + kj;
                        addRow(g, col, r * ld + i * ohw, ki, kj, gx, dstPlane);
                    }
                }
            }
        });
    }

    private static void addRow(ConvGeometry g, double[] col, int src, int ki, int kj, double[] gx, int plane) {
        int ow = g.ow(), sW = g.strideW(), w = g.w();
        int iw0 = kj * g.dilationW() - g.padW();
        int lo = ConvGeometry.firstValid(iw0, sW), hi = ConvGeometry.endValid(iw0, sW, w, ow);
        for (int oh = 0; oh < g.oh(); oh++, src += ow) {
            int ih = oh * g.strideH() - g.padH() + ki * g.dilationH();
            if (ih < 0 || ih >= g.h()) continue;
            int xr = plane + ih * w + iw0;
            if (sW == 1) {
                for (int o = lo; o < hi; o++) gx[xr + o] += col[src + o];
            } else {
                for (int o = lo; o < hi; o++) gx[xr + o * sW] += col[src + o];
            }
        }
    }
}
