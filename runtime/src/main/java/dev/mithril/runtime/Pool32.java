package dev.mithril.runtime;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Pooling loops on {@code float[]} (sums in double), one task per plane, as in {@link Pool64}; the window rules are PyTorch's:
 * max pooling skips padded positions and keeps the first maximum (a NaN always wins); average pooling
 * divides by the window clipped to the padded input (count_include_pad); adaptive windows are
 * {@code [floor(i*H/OH), ceil((i+1)*H/OH))}.
 */
final class Pool32 {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;
    private static final VectorSpecies<Float> S = Activations.S;
    private static final int V = Activations.V;

    private Pool32() {}

    private static int grain(PoolGeometry g) { return Math.max(1, 16384 / Math.max(1, g.hw())); }

    /**
     * The window maxima only: {@code max} propagates NaN like PyTorch, without the argmax's branches. Per output row,
     * the maxima over the window's rows are taken first for every input column at once (vectors along the row), then
     * each window takes the maximum of its columns of that row: about 3 scalar steps per output for a 3x3 window
     * instead of a loop nest of 9. Max is exact, so the order does not change any bit.
     */
    static void maxForward(PoolGeometry g, float[] x, float[] out) {
        int h = g.h(), w = g.w(), oh = g.oh(), ow = g.ow(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        int dh = g.dilationH(), dw = g.dilationW(), spanH = (g.kh() - 1) * dh + 1, spanW = (g.kw() - 1) * dw + 1;
        Parallel.forRange(g.planes(), grain(g), (from, to) -> {
            float[] cols = Scratch.floats(Scratch.POOL_COLUMNS, w);
            for (int p = from; p < to; p++) {
                int xb = p * h * w, ob = p * oh * ow;
                for (int i = 0; i < oh; i++) {
                    int h0 = i * sh - ph, h1 = Math.min(h0 + spanH, h);
                    if (h0 < 0) h0 += (-h0 + dh - 1) / dh * dh;
                    columnMax(x, xb, w, h0, h1, dh, cols);
                    for (int j = 0; j < ow; j++) {
                        int w0 = j * sw - pw, w1 = Math.min(w0 + spanW, w);
                        if (w0 < 0) w0 += (-w0 + dw - 1) / dw * dw;
                        float m = NEG_INF;
                        for (int iw = w0; iw < w1; iw += dw) m = Math.max(m, cols[iw]);
                        out[ob + i * ow + j] = m;
                    }
                }
            }
        });
    }

    /** {@code cols[c] = max of x[xb + r * w + c]} over rows {@code r = h0, h0 + dh, ... < h1} (-inf when there are none). */
    private static void columnMax(float[] x, int xb, int w, int h0, int h1, int dh, float[] cols) {
        if (h0 >= h1) {
            Arrays.fill(cols, 0, w, NEG_INF);
            return;
        }
        System.arraycopy(x, xb + h0 * w, cols, 0, w);
        for (int r = h0 + dh; r < h1; r += dh) {
            int row = xb + r * w, c = 0;
            for (; c <= w - V; c += V) FloatVector.fromArray(S, cols, c).max(FloatVector.fromArray(S, x, row + c)).intoArray(cols, c);
            for (; c < w; c++) cols[c] = Math.max(cols[c], x[row + c]);
        }
    }

    /**
     * {@code gx} = each window's output gradient added at its argmax (the first maximum in row-major order; the last NaN
     * when the window has one, as PyTorch's CPU kernel picks it: a later NaN replaces an earlier one). Each window's maximum comes from the column maxima of its
     * output row, as in {@link #maxForward}; the argmax is then the first position holding it (the last NaN for a NaN
     * maximum), found by a scan that usually stops half-way through the window. Each task owns whole planes, clears
     * them and scatter-adds into them, so nothing races.
     */
    static void maxBackward(PoolGeometry g, float[] gradOut, float[] x, float[] gx) {
        int h = g.h(), w = g.w(), oh = g.oh(), ow = g.ow(), sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW();
        int dh = g.dilationH(), dw = g.dilationW(), spanH = (g.kh() - 1) * dh + 1, spanW = (g.kw() - 1) * dw + 1;
        Parallel.forRange(g.planes(), grain(g), (from, to) -> {
            float[] cols = Scratch.floats(Scratch.POOL_COLUMNS, w);
            for (int p = from; p < to; p++) {
                int xb = p * h * w, ob = p * oh * ow;
                Arrays.fill(gx, xb, xb + h * w, 0f);
                for (int i = 0; i < oh; i++) {
                    int h0 = i * sh - ph, h1 = Math.min(h0 + spanH, h);
                    if (h0 < 0) h0 += (-h0 + dh - 1) / dh * dh;
                    if (h0 >= h1) continue;
                    columnMax(x, xb, w, h0, h1, dh, cols);
                    for (int j = 0; j < ow; j++) {
                        int w0 = j * sw - pw, w1 = Math.min(w0 + spanW, w);
                        if (w0 < 0) w0 += (-w0 + dw - 1) / dw * dw;
                        if (w0 >= w1) continue;
                        float m = NEG_INF;
                        for (int iw = w0; iw < w1; iw += dw) m = Math.max(m, cols[iw]);
                        int a = Float.isNaN(m) ? lastNaN(x, xb, w, h0, h1, dh, w0, w1, dw) : first(x, xb, w, h0, h1, dh, w0, w1, dw, m);
                        gx[xb + a] += gradOut[ob + i * ow + j];
                    }
                }
            }
        });
    }

    /** Index in its plane of the window's first element equal to {@code m} (which the window holds). */
    private static int first(float[] x, int xb, int w, int h0, int h1, int dh, int w0, int w1, int dw, float m) {
        for (int ih = h0; ih < h1; ih += dh) {
            int row = xb + ih * w;
            for (int iw = w0; iw < w1; iw += dw) if (x[row + iw] == m) return ih * w + iw;
        }
        throw new IllegalStateException("max pooling: the window's maximum is not in it");
    }

    /** Index in its plane of the window's last NaN (the window holds one). */
    private static int lastNaN(float[] x, int xb, int w, int h0, int h1, int dh, int w0, int w1, int dw) {
        int last = -1;
        for (int ih = h0; ih < h1; ih += dh) {
            int row = xb + ih * w;
            for (int iw = w0; iw < w1; iw += dw) if (Float.isNaN(x[row + iw])) last = ih * w + iw;
        }
        return last;
    }

    static void avgForward(PoolGeometry g, float[] x, float[] out) {
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
                        out[ob + oh * g.ow() + ow] = (float) (sum / div);
                    }
                }
            }
        });
    }

    static void avgBackward(PoolGeometry g, float[] gradOut, float[] gx) {
        Parallel.forRange(g.planes(), grain(g), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * g.hw(), ob = p * g.ohw();
                Arrays.fill(gx, xb, xb + g.hw(), 0f);
                for (int oh = 0; oh < g.oh(); oh++) {
                    int h0 = oh * g.strideH() - g.padH(), h1 = Math.min(h0 + g.kh(), g.h() + g.padH());
                    for (int ow = 0; ow < g.ow(); ow++) {
                        int w0 = ow * g.strideW() - g.padW(), w1 = Math.min(w0 + g.kw(), g.w() + g.padW());
                        float share = gradOut[ob + oh * g.ow() + ow] / ((h1 - h0) * (w1 - w0));
                        for (int ih = Math.max(h0, 0); ih < Math.min(h1, g.h()); ih++) {
                            for (int iw = Math.max(w0, 0); iw < Math.min(w1, g.w()); iw++) gx[xb + ih * g.w() + iw] += share;
                        }
                    }
                }
            }
        });
    }

    static void adaptiveForward(PoolGeometry g, float[] x, float[] out) {
        Parallel.forRange(g.planes(), grain(g), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * g.hw(), ob = p * g.ohw();
                for (int oh = 0; oh < g.oh(); oh++) {
                    int h0 = PoolGeometry.start(oh, g.h(), g.oh()), h1 = PoolGeometry.end(oh, g.h(), g.oh());
                    for (int ow = 0; ow < g.ow(); ow++) {
                        int w0 = PoolGeometry.start(ow, g.w(), g.ow()), w1 = PoolGeometry.end(ow, g.w(), g.ow());
                        double sum = 0;
                        for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) sum += x[xb + ih * g.w() + iw];
                        out[ob + oh * g.ow() + ow] = (float) (sum / ((h1 - h0) * (w1 - w0)));
                    }
                }
            }
        });
    }

    static void adaptiveBackward(PoolGeometry g, float[] gradOut, float[] gx) {
        Parallel.forRange(g.planes(), grain(g), (from, to) -> {
            for (int p = from; p < to; p++) {
                int xb = p * g.hw(), ob = p * g.ohw();
                Arrays.fill(gx, xb, xb + g.hw(), 0f);
                for (int oh = 0; oh < g.oh(); oh++) {
                    int h0 = PoolGeometry.start(oh, g.h(), g.oh()), h1 = PoolGeometry.end(oh, g.h(), g.oh());
                    for (int ow = 0; ow < g.ow(); ow++) {
                        int w0 = PoolGeometry.start(ow, g.w(), g.ow()), w1 = PoolGeometry.end(ow, g.w(), g.ow());
                        float share = gradOut[ob + oh * g.ow() + ow] / ((h1 - h0) * (w1 - w0));
                        for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) gx[xb + ih * g.w() + iw] += share;
                    }
                }
            }
        });
    }
}
