package dev.mithril.runtime;

import java.util.Arrays;

/**
 * Pooling loops on {@code double[]}, one task per plane. The window rules are PyTorch's CPU kernels':
 * max pooling skips padded positions and keeps the first maximum (a NaN always wins); average pooling
 * divides by the window clipped to the padded input (count_include_pad); adaptive windows are
 * {@code [floor(i*H/OH), ceil((i+1)*H/OH))}.
 */
final class Pool64 {
    private static final double NEG_INF = Double.NEGATIVE_INFINITY;

    private Pool64() {}

    private static int grain(PoolGeometry g) { return Math.max(1, 16384 / Math.max(1, g.hw())); }

    /** Index in its plane of the maximum of window (oh, ow), or -1 for a window with no input in it. */
    static int argmax(PoolGeometry g, double[] x, int xb, int oh, int ow) {
        int h0 = oh * g.strideH() - g.padH(), w0 = ow * g.strideW() - g.padW();
        int h1 = Math.min(h0 + (g.kh() - 1) * g.dilationH() + 1, g.h()), w1 = Math.min(w0 + (g.kw() - 1) * g.dilationW() + 1, g.w());
        while (h0 < 0) h0 += g.dilationH();
        while (w0 < 0) w0 += g.dilationW();
        int best = -1;
        double m = NEG_INF;
        for (int ih = h0; ih < h1; ih += g.dilationH()) {
            for (int iw = w0; iw < w1; iw += g.dilationW()) {
                double v = x[xb + ih * g.w() + iw];
                if (best < 0 || v > m || Double.isNaN(v)) {
                    m = v;
                    best = ih * g.w() + iw;
                }
            }
        }
        return best;
    }

    static void maxForward(PoolGeometry g, double[] x, double[] out) {
        Parallel.forRange(g.planes(), grain(g), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * g.hw(), ob = p * g.ohw();
                for (int oh = 0; oh < g.oh(); oh++) {
                    for (int ow = 0; ow < g.ow(); ow++) {
                        int i = argmax(g, x, xb, oh, ow);
                        out[ob + oh * g.ow() + ow] = i < 0 ? NEG_INF : x[xb + i];
                    }
                }
            }
        });
    }

    static void maxBackward(PoolGeometry g, double[] gradOut, double[] x, double[] gx) {
        Parallel.forRange(g.planes(), grain(g), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * g.hw(), ob = p * g.ohw();
                Arrays.fill(gx, xb, xb + g.hw(), 0);
                for (int oh = 0; oh < g.oh(); oh++) {
                    for (int ow = 0; ow < g.ow(); ow++) {
                        int i = argmax(g, x, xb, oh, ow);
                        if (i >= 0) gx[xb + i] += gradOut[ob + oh * g.ow() + ow];
                    }
                }
            }
        });
    }

    static void avgForward(PoolGeometry g, double[] x, double[] out) {
        Parallel.forRange(g.planes(), grain(g), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * g.hw(), ob = p * g.ohw();
                for (int oh = 0; oh < g.oh(); oh++) {
                    int h0 = oh * g.strideH() - g.padH(), h1 = Math.min(h0 + g.kh(), g.h() + g.padH());
                    for (int ow = 0; ow < g.ow(); ow++) {
                        int w0 = ow * g.strideW() - g.padW(), w1 = Math.min(w0 + g.kw(), g.w() + g.padW());
                        int div = (h1 - h0) * (w1 - w0);
                        double sum = 0;
                        for (int ih = Math.max(h0, 0); ih < Math.min(h1, g.h()); ih++) {
                            for (int iw = Math.max(w0, 0); iw < Math.min(w1, g.w()); iw++) sum += x[xb + ih * g.w() + iw];
                        }
                        out[ob + oh * g.ow() + ow] = sum / div;
                    }
                }
            }
        });
    }

    static void avgBackward(PoolGeometry g, double[] gradOut, double[] gx) {
        Parallel.forRange(g.planes(), grain(g), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * g.hw(), ob = p * g.ohw();
                Arrays.fill(gx, xb, xb + g.hw(), 0);
                for (int oh = 0; oh < g.oh(); oh++) {
                    int h0 = oh * g.strideH() - g.padH(), h1 = Math.min(h0 + g.kh(), g.h() + g.padH());
                    for (int ow = 0; ow < g.ow(); ow++) {
                        int w0 = ow * g.strideW() - g.padW(), w1 = Math.min(w0 + g.kw(), g.w() + g.padW());
                        double share = gradOut[ob + oh * g.ow() + ow] / ((h1 - h0) * (w1 - w0));
                        for (int ih = Math.max(h0, 0); ih < Math.min(h1, g.h()); ih++) {
                            for (int iw = Math.max(w0, 0); iw < Math.min(w1, g.w()); iw++) gx[xb + ih * g.w() + iw] += share;
                        }
                    }
                }
            }
        });
    }

    static void adaptiveForward(PoolGeometry g, double[] x, double[] out) {
        Parallel.forRange(g.planes(), grain(g), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * g.hw(), ob = p * g.ohw();
                for (int oh = 0; oh < g.oh(); oh++) {
                    int h0 = PoolGeometry.start(oh, g.h(), g.oh()), h1 = PoolGeometry.end(oh, g.h(), g.oh());
                    for (int ow = 0; ow < g.ow(); ow++) {
                        int w0 = PoolGeometry.start(ow, g.w(), g.ow()), w1 = PoolGeometry.end(ow, g.w(), g.ow());
                        double sum = 0;
                        for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) sum += x[xb + ih * g.w() + iw];
                        out[ob + oh * g.ow() + ow] = sum / ((h1 - h0) * (w1 - w0));
                    }
                }
            }
        });
    }

    static void adaptiveBackward(PoolGeometry g, double[] gradOut, double[] gx) {
        Parallel.forRange(g.planes(), grain(g), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * g.hw(), ob = p * g.ohw();
                Arrays.fill(gx, xb, xb + g.hw(), 0);
                for (int oh = 0; oh < g.oh(); oh++) {
                    int h0 = PoolGeometry.start(oh, g.h(), g.oh()), h1 = PoolGeometry.end(oh, g.h(), g.oh());
                    for (int ow = 0; ow < g.ow(); ow++) {
                        int w0 = PoolGeometry.start(ow, g.w(), g.ow()), w1 = PoolGeometry.end(ow, g.w(), g.ow());
                        double share = gradOut[ob + oh * g.ow() + ow] / ((h1 - h0) * (w1 - w0));
                        for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) gx[xb + ih * g.w() + iw] += share;
                    }
                }
            }
        });
    }
}
