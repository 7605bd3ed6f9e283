package dev.mithril.runtime;

/**
 * {@link ConvDirect32} on {@code double[]}: the direct loop nest in float64. Each task owns one output plane
 * (forward), one input-gradient plane or one output channel's weights (backward), so no two threads
 * write the same element. Taps that land in the padding are skipped by clipping the output range.
 */
final class ConvDirect64 {
    private ConvDirect64() {}

    static void forward(ConvGeometry g, double[] x, double[] w, double[] bias, double[] out) {
        int cg = g.cg(), og = g.og(), ohw = g.ohw(), kh = g.kh(), kw = g.kw();
        Parallel.forRange(g.n() * g.o(), grain(g), (from, to) -> {
            for (int t = from; t < to; t++) {
                int n = t / g.o(), o = t % g.o(), gi = o / og, ob = t * ohw;
                java.util.Arrays.fill(out, ob, ob + ohw, bias == null ? 0 : bias[o]);
                for (int c = 0; c < cg; c++) {
                    int xb = (n * g.c() + gi * cg + c) * g.hw();
                    for (int ki = 0; ki < kh; ki++) {
                        for (int kj = 0; kj < kw; kj++) {
                            double wv = w[((o * cg + c) * kh + ki) * kw + kj];
                            int iw0 = kj * g.dilationW() - g.padW();
                            int lo = ConvGeometry.firstValid(iw0, g.strideW()), hi = ConvGeometry.endValid(iw0, g.strideW(), g.w(), g.ow());
                            for (int oh = 0; oh < g.oh(); oh++) {
                                int ih = oh * g.strideH() - g.padH() + ki * g.dilationH();
                                if (ih < 0 || ih >= g.h()) continue;
                                int xr = xb + ih * g.w() + iw0, orow = ob + oh * g.ow(), s = g.strideW();
                                if (s == 1) for (int ow = lo; ow < hi; ow++) out[orow + ow] += wv * x[xr + ow]; // unit stride: C2 vectorizes this
                                else for (int ow = lo; ow < hi; ow++) out[orow + ow] += wv * x[xr + ow * s];
                            }
                        }
                    }
                }
            }
        });
    }

    static void backwardInput(ConvGeometry g, double[] gradOut, double[] w, double[] gx) {
        int cg = g.cg(), og = g.og(), ohw = g.ohw(), kh = g.kh(), kw = g.kw();
        Parallel.forRange(g.n() * g.c(), grain(g), (from, to) -> {
            for (int t = from; t < to; t++) {
                int n = t / g.c(), ci = t % g.c(), gi = ci / cg, cl = ci % cg, xb = t * g.hw();
                java.util.Arrays.fill(gx, xb, xb + g.hw(), 0);
                for (int o = gi * og; o < (gi + 1) * og; o++) {
                    int gb = (n * g.o() + o) * ohw;
                    for (int ki = 0; ki < kh; ki++) {
                        for (int kj = 0; kj < kw; kj++) {
                            double wv = w[((o * cg + cl) * kh + ki) * kw + kj];
                            int iw0 = kj * g.dilationW() - g.padW();
                            int lo = ConvGeometry.firstValid(iw0, g.strideW()), hi = ConvGeometry.endValid(iw0, g.strideW(), g.w(), g.ow());
                            for (int oh = 0; oh < g.oh(); oh++) {
                                int ih = oh * g.strideH() - g.padH() + ki * g.dilationH();
                                if (ih < 0 || ih >= g.h()) continue;
                                int xr = xb + ih * g.w() + iw0, grow = gb + oh * g.ow(), s = g.strideW();
                                if (s == 1) for (int ow = lo; ow < hi; ow++) gx[xr + ow] += wv * gradOut[grow + ow];
                                else for (int ow = lo; ow < hi; ow++) gx[xr + ow * s] += wv * gradOut[grow + ow];
                            }
                        }
                    }
                }
            }
        });
    }

    static void backwardWeight(ConvGeometry g, double[] gradOut, double[] x, double[] gw) {
        int cg = g.cg(), og = g.og(), ohw = g.ohw(), kh = g.kh(), kw = g.kw();
        Parallel.forRange(g.o(), Math.max(1, grain(g) / Math.max(1, g.n())), (from, to) -> {
            for (int o = from; o < to; o++) {
                int gi = o / og;
                for (int c = 0; c < cg; c++) {
                    for (int ki = 0; ki < kh; ki++) {
                        for (int kj = 0; kj < kw; kj++) {
                            int iw0 = kj * g.dilationW() - g.padW();
                            int lo = ConvGeometry.firstValid(iw0, g.strideW()), hi = ConvGeometry.endValid(iw0, g.strideW(), g.w(), g.ow());
                            double sum = 0;
                            for (int n = 0; n < g.n(); n++) {
                                int xb = (n * g.c() + gi * cg + c) * g.hw(), gb = (n * g.o() + o) * ohw;
                                for (int oh = 0; oh < g.oh(); oh++) {
                                    int ih = oh * g.strideH() - g.padH() + ki * g.dilationH();
                                    if (ih < 0 || ih >= g.h()) continue;
                                    int xr = xb + ih * g.w() + iw0, grow = gb + oh * g.ow(), s = g.strideW();
                                    if (s == 1) for (int ow = lo; ow < hi; ow++) sum += gradOut[grow + ow] * x[xr + ow];
                                    else for (int ow = lo; ow < hi; ow++) sum += gradOut[grow + ow] * x[xr + ow * s];
                                }
                            }
                            gw[((o * cg + c) * kh + ki) * kw + kj] = sum;
                        }
                    }
                }
            }
        });
    }

    /** Sum of {@code gradOut} over N, H and W per output channel. */
    static void backwardBias(int n, int o, int ohw, double[] gradOut, double[] gb) {
        for (int oc = 0; oc < o; oc++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                int b = (i * o + oc) * ohw;
                for (int j = 0; j < ohw; j++) s += gradOut[b + j];
            }
            gb[oc] = s;
        }
    }

    /** Tasks small enough to split only when each does some thousands of multiply-adds. */
    private static int grain(ConvGeometry g) {
        long work = (long) g.kk() * g.ohw();
        return (int) Math.max(1, 16384 / Math.max(1, work));
    }
}
