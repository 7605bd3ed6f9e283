package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class Pool2dTest {
    /** n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw */
    private record P(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw) {
        int oh() { return Math.floorDiv(h + 2 * ph - dh * (kh - 1) - 1, sh) + 1; }
        int ow() { return Math.floorDiv(w + 2 * pw - dw * (kw - 1) - 1, sw) + 1; }
        int[] x() { return new int[] {n, c, h, w}; }
        int[] out() { return new int[] {n, c, oh(), ow()}; }
    }

    private static final List<P> CASES = List.of(
            new P(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1),
            new P(2, 3, 112, 113, 3, 3, 2, 2, 1, 1, 1, 1),   // ResNet's stem pooling, odd width
            new P(1, 2, 7, 11, 2, 2, 2, 2, 0, 0, 1, 1),
            new P(3, 2, 13, 17, 3, 5, 1, 3, 1, 2, 2, 1),     // dilation, asymmetric
            new P(2, 1, 9, 9, 7, 7, 3, 2, 3, 3, 1, 1),       // padding 3
            new P(1, 5, 5, 6, 4, 3, 1, 1, 2, 1, 1, 2));

    // ------------------------------------------------------------ references (double, per output, bounds-checked taps)

    /** Flat index (in the plane) of the window's maximum: first one wins ties; -1 when the window holds no input. */
    private static int refArgmax(P p, double[] x, int base, int i, int j) {
        int best = -1;
        for (int ki = 0; ki < p.kh(); ki++)
            for (int kj = 0; kj < p.kw(); kj++) {
                int ih = i * p.sh() - p.ph() + ki * p.dh(), iw = j * p.sw() - p.pw() + kj * p.dw();
                if (ih < 0 || ih >= p.h() || iw < 0 || iw >= p.w()) continue;
                int idx = ih * p.w() + iw;
                if (best < 0 || x[base + idx] > x[base + best]) best = idx;
            }
        return best;
    }

    private static double[][] refMax(P p, double[] x, double[] gy) {
        double[] y = new double[Ref.size(p.out())], gx = new double[x.length];
        int hw = p.h() * p.w(), ohw = p.oh() * p.ow();
        for (int pl = 0; pl < p.n() * p.c(); pl++)
            for (int i = 0; i < p.oh(); i++)
                for (int j = 0; j < p.ow(); j++) {
                    int a = refArgmax(p, x, pl * hw, i, j), o = pl * ohw + i * p.ow() + j;
                    y[o] = x[pl * hw + a];
                    gx[pl * hw + a] += gy[o];
                }
        return new double[][] {y, gx};
    }

    /** count_include_pad: the divisor is the whole kernel window (it always fits in the padded input here). */
    private static double[][] refAvg(P p, double[] x, double[] gy) {
        double[] y = new double[Ref.size(p.out())], gx = new double[x.length];
        int hw = p.h() * p.w(), ohw = p.oh() * p.ow();
        for (int pl = 0; pl < p.n() * p.c(); pl++)
            for (int i = 0; i < p.oh(); i++)
                for (int j = 0; j < p.ow(); j++) {
                    int o = pl * ohw + i * p.ow() + j;
                    for (int ki = 0; ki < p.kh(); ki++)
                        for (int kj = 0; kj < p.kw(); kj++) {
                            int ih = i * p.sh() - p.ph() + ki, iw = j * p.sw() - p.pw() + kj;
                            if (ih < 0 || ih >= p.h() || iw < 0 || iw >= p.w()) continue;
                            y[o] += x[pl * hw + ih * p.w() + iw] / (p.kh() * p.kw());
                            gx[pl * hw + ih * p.w() + iw] += gy[o] / (p.kh() * p.kw());
                        }
                }
        return new double[][] {y, gx};
    }

    private static double[][] refAdaptive(int planes, int h, int w, int oh, int ow, double[] x, double[] gy) {
        double[] y = new double[planes * oh * ow], gx = new double[x.length];
        for (int pl = 0; pl < planes; pl++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    int h0 = (int) Math.floor((double) i * h / oh), h1 = (int) Math.ceil((double) (i + 1) * h / oh);
                    int w0 = (int) Math.floor((double) j * w / ow), w1 = (int) Math.ceil((double) (j + 1) * w / ow);
                    int cnt = (h1 - h0) * (w1 - w0), o = (pl * oh + i) * ow + j;
                    for (int a = h0; a < h1; a++)
                        for (int b = w0; b < w1; b++) {
                            y[o] += x[(pl * h + a) * w + b] / cnt;
                            gx[(pl * h + a) * w + b] += gy[o] / cnt;
                        }
                }
        return new double[][] {y, gx};
    }

    // ------------------------------------------------------------ tests

    @Test void maxPoolMatchesReferenceInBothPrecisions() {
        long seed = 1;
        for (P p : CASES) {
            double[] xd = ConvRef.randomDoubles(seed++, Ref.size(p.x())), gyd = ConvRef.randomDoubles(seed++, Ref.size(p.out()));
            double[][] ref = refMax(p, xd, gyd);
            Tensor y64 = Pool2d.maxPool2d(Tensor.of(xd, p.x()), p.kh(), p.kw(), p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw());
            assertArrayEquals(p.out(), y64.shape());
            assertArrayEquals(ref[0], y64.doubles(), 0, "max f64 " + p);
            assertArrayEquals(ref[1], Pool2d.maxPool2dBackward(Tensor.of(gyd, p.out()), Tensor.of(xd, p.x()),
                    p.kh(), p.kw(), p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw()).doubles(), 1e-12, "max grad f64 " + p);
            Tensor x32 = Tensor.of(toFloat(xd), p.x()), gy32 = Tensor.of(toFloat(gyd), p.out());
            double[][] ref32 = refMax(p, ConvRef.toDouble(x32.data()), ConvRef.toDouble(gy32.data()));
            Tensor out = Tensor.zeros(p.out());
            Pool2d.maxPool2dInto(x32, p.kh(), p.kw(), p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), out);
            ConvRef.assertClose(ref32[0], out.data(), 0, "max f32 " + p);
            ConvRef.assertClose(ref32[1], Pool2d.maxPool2dBackward(gy32, x32, p.kh(), p.kw(), p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw()).data(),
                    1e-6, "max grad f32 " + p);
        }
    }

    @Test void maxPoolTiesGoToTheFirstIndexAndNegativeValuesBeatPadding() {
        // All equal: each 2x2 window's gradient lands on its top-left element.
        Tensor x = Tensor.of(new float[16], 1, 1, 4, 4);
        java.util.Arrays.fill(x.data(), -3f);
        Tensor gx = Pool2d.maxPool2dBackward(Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2), x, 2, 2, 2, 2, 0, 0, 1, 1);
        assertArrayEquals(new float[] {1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0}, gx.data());
        // Padding is -inf, not 0: a negative input is the maximum of a window that overlaps the padding.
        Tensor y = Pool2d.maxPool2d(x, 3, 3, 1, 1, 1, 1, 1, 1);
        for (float v : y.data()) assertEquals(-3f, v);
        // A NaN wins its window, as in PyTorch.
        Tensor n = Tensor.of(new float[] {1, Float.NaN, 5, 2}, 1, 2, 2);
        assertTrue(Float.isNaN(Pool2d.maxPool2d(n, 2, 2, 2, 2, 0, 0, 1, 1).data()[0]));
        // ... and the gradient goes to its last NaN (PyTorch's CPU kernel replaces a NaN by a later one), in both precisions.
        float[] nans = {Float.NaN, 7, 1, Float.NaN, 9, 2, 3, 4, 5};
        Tensor gn = Pool2d.maxPool2dBackward(Tensor.of(new float[] {10}, 1, 1, 1, 1), Tensor.of(nans, 1, 1, 3, 3), 3, 3, 3, 3, 0, 0, 1, 1);
        assertArrayEquals(new float[] {0, 0, 0, 10, 0, 0, 0, 0, 0}, gn.data());
        double[] nans64 = new double[9];
        for (int i = 0; i < 9; i++) nans64[i] = nans[i];
        Tensor gn64 = Pool2d.maxPool2dBackward(Tensor.of(new double[] {10}, 1, 1, 1, 1), Tensor.of(nans64, 1, 1, 3, 3), 3, 3, 3, 3, 0, 0, 1, 1);
        assertArrayEquals(new double[] {0, 0, 0, 10, 0, 0, 0, 0, 0}, gn64.doubles());
        // Signed zeros tie: -0 before +0 keeps the gradient on the -0.
        Tensor z = Tensor.of(new float[] {-0f, 0f, -1f, -2f}, 1, 1, 2, 2);
        assertArrayEquals(new float[] {5, 0, 0, 0},
                Pool2d.maxPool2dBackward(Tensor.of(new float[] {5}, 1, 1, 1, 1), z, 2, 2, 2, 2, 0, 0, 1, 1).data());
    }

    @Test void avgPoolMatchesReferenceInBothPrecisions() {
        long seed = 50;
        for (P p : CASES) {
            if (p.dh() != 1 || p.dw() != 1) continue; // average pooling has no dilation
            double[] xd = ConvRef.randomDoubles(seed++, Ref.size(p.x())), gyd = ConvRef.randomDoubles(seed++, Ref.size(p.out()));
            double[][] ref = refAvg(p, xd, gyd);
            ConvRef.assertClose(ref[0], Pool2d.avgPool2d(Tensor.of(xd, p.x()), p.kh(), p.kw(), p.sh(), p.sw(), p.ph(), p.pw()).doubles(),
                    1e-14, "avg f64 " + p);
            ConvRef.assertClose(ref[1], Pool2d.avgPool2dBackward(Tensor.of(gyd, p.out()), p.x(), p.kh(), p.kw(), p.sh(), p.sw(), p.ph(), p.pw()).doubles(),
                    1e-14, "avg grad f64 " + p);
            Tensor out = Tensor.zeros(p.out());
            Pool2d.avgPool2dInto(Tensor.of(toFloat(xd), p.x()), p.kh(), p.kw(), p.sh(), p.sw(), p.ph(), p.pw(), out);
            ConvRef.assertClose(ref[0], out.data(), 1e-6, "avg f32 " + p);
            ConvRef.assertClose(ref[1], Pool2d.avgPool2dBackward(Tensor.of(toFloat(gyd), p.out()), p.x(), p.kh(), p.kw(), p.sh(), p.sw(), p.ph(), p.pw()).data(),
                    1e-6, "avg grad f32 " + p);
        }
        // count_include_pad: a corner window of a 3x3/pad 1 pooling over ones averages 4 ones and 5 padded zeros.
        assertEquals(4f / 9, Pool2d.avgPool2d(Tensor.of(new float[] {1, 1, 1, 1}, 1, 1, 2, 2), 3, 3, 1, 1, 1, 1).data()[0], 1e-7);
    }

    @Test void adaptiveAvgPoolMatchesReferenceInBothPrecisions() {
        int[][] cases = {{2, 3, 7, 7, 1, 1}, {1, 2, 10, 7, 3, 4}, {2, 1, 5, 13, 5, 13}, {1, 3, 4, 6, 7, 9}, {3, 2, 11, 1, 2, 1}};
        long seed = 80;
        for (int[] k : cases) {
            int[] xs = {k[0], k[1], k[2], k[3]}, ys = {k[0], k[1], k[4], k[5]};
            double[] xd = ConvRef.randomDoubles(seed++, Ref.size(xs)), gyd = ConvRef.randomDoubles(seed++, Ref.size(ys));
            double[][] ref = refAdaptive(k[0] * k[1], k[2], k[3], k[4], k[5], xd, gyd);
            String what = java.util.Arrays.toString(k);
            ConvRef.assertClose(ref[0], Pool2d.adaptiveAvgPool2d(Tensor.of(xd, xs), k[4], k[5]).doubles(), 1e-14, "adaptive f64 " + what);
            ConvRef.assertClose(ref[1], Pool2d.adaptiveAvgPool2dBackward(Tensor.of(gyd, ys), xs).doubles(), 1e-14, "adaptive grad f64 " + what);
            Tensor out = Tensor.zeros(ys);
            Pool2d.adaptiveAvgPool2dInto(Tensor.of(toFloat(xd), xs), k[4], k[5], out);
            ConvRef.assertClose(ref[0], out.data(), 1e-6, "adaptive f32 " + what);
            ConvRef.assertClose(ref[1], Pool2d.adaptiveAvgPool2dBackward(Tensor.of(toFloat(gyd), ys), xs).data(), 1e-6, "adaptive grad f32 " + what);
        }
    }

    /** Central differences in float64; max pooling is differentiable away from ties, which random inputs avoid. */
    @Test void gradientsMatchFiniteDifferences() {
        P p = new P(2, 2, 6, 5, 3, 2, 2, 1, 1, 1, 1, 2);
        double[] x = ConvRef.randomDoubles(7, Ref.size(p.x())), r = ConvRef.randomDoubles(8, Ref.size(p.out()));
        Tensor gy = Tensor.of(r, p.out());
        double[] gMax = Pool2d.maxPool2dBackward(gy, Tensor.of(x, p.x()), p.kh(), p.kw(), p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw()).doubles();
        int[] as = Pool2d.avgPool2dOutputShape(p.x(), p.kh(), p.kw(), p.sh(), p.sw(), p.ph(), p.pw()); // no dilation
        double[] rAvg = ConvRef.randomDoubles(10, Ref.size(as));
        double[] gAvg = Pool2d.avgPool2dBackward(Tensor.of(rAvg, as), p.x(), p.kh(), p.kw(), p.sh(), p.sw(), p.ph(), p.pw()).doubles();
        int[] ys = {2, 2, 3, 2};
        double[] ra = ConvRef.randomDoubles(9, Ref.size(ys));
        double[] gAd = Pool2d.adaptiveAvgPool2dBackward(Tensor.of(ra, ys), p.x()).doubles();
        double eps = 1e-6;
        for (int i = 0; i < x.length; i++) {
            double old = x[i];
            x[i] = old + eps;
            double[] up = {dotMax(p, x, r), dotAvg(p, x, rAvg), dot(Pool2d.adaptiveAvgPool2d(Tensor.of(x, p.x()), 3, 2).doubles(), ra)};
            x[i] = old - eps;
            double[] down = {dotMax(p, x, r), dotAvg(p, x, rAvg), dot(Pool2d.adaptiveAvgPool2d(Tensor.of(x, p.x()), 3, 2).doubles(), ra)};
            x[i] = old;
            assertEquals((up[0] - down[0]) / (2 * eps), gMax[i], 1e-6, "max d/dx[" + i + "]");
            assertEquals((up[1] - down[1]) / (2 * eps), gAvg[i], 1e-6, "avg d/dx[" + i + "]");
            assertEquals((up[2] - down[2]) / (2 * eps), gAd[i], 1e-6, "adaptive d/dx[" + i + "]");
        }
    }

    private static double dotMax(P p, double[] x, double[] r) {
        return dot(Pool2d.maxPool2d(Tensor.of(x, p.x()), p.kh(), p.kw(), p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw()).doubles(), r);
    }

    private static double dotAvg(P p, double[] x, double[] r) {
        return dot(Pool2d.avgPool2d(Tensor.of(x, p.x()), p.kh(), p.kw(), p.sh(), p.sw(), p.ph(), p.pw()).doubles(), r);
    }

    private static double dot(double[] a, double[] b) {
        assertEquals(a.length, b.length);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    @Test void badShapesNameTheKernelAndTheShapes() {
        Tensor x = Tensor.zeros(1, 2, 5, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pool2d.maxPool2d(x, 3, 3, 1, 1, 2, 2, 1, 1));
        assertTrue(e.getMessage().startsWith("Pool2d.maxPool2d:") && e.getMessage().contains("half the kernel")
                && e.getMessage().contains("[1, 2, 5, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Pool2d.avgPool2d(x, 7, 7, 1, 1, 0, 0));
        assertTrue(e.getMessage().startsWith("Pool2d.avgPool2d:") && e.getMessage().contains("output would be -1x-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Pool2d.adaptiveAvgPool2d(x.reshape(10, 5), 1, 1));
        assertTrue(e.getMessage().startsWith("Pool2d.adaptiveAvgPool2d:") && e.getMessage().contains("[10, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Pool2d.maxPool2dBackward(Tensor.zeros(1, 2, 3, 3), x, 2, 2, 2, 2, 0, 0, 1, 1));
        assertTrue(e.getMessage().contains("gradOut has shape [1, 2, 3, 3] but must be [1, 2, 2, 2]"), e.getMessage());
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
