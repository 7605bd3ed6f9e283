package dev.mithril.runtime;

/**
 * The convolution and pooling definitions written as plainly as possible, in double: one loop per index,
 * every tap bounds-checked. The kernel tests compare against these.
 */
final class ConvRef {
    private ConvRef() {}

    /** One convolution's hyper-parameters and sizes. */
    record Conv(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int groups) {
        int oh() { return Math.floorDiv(h + 2 * ph - dh * (kh - 1) - 1, sh) + 1; }
        int ow() { return Math.floorDiv(w + 2 * pw - dw * (kw - 1) - 1, sw) + 1; }
        int[] x() { return new int[] {n, c, h, w}; }
        int[] wt() { return new int[] {o, c / groups, kh, kw}; }
        int[] out() { return new int[] {n, o, oh(), ow()}; }
        int cg() { return c / groups; }
        int og() { return o / groups; }
        /** The kernels' validated geometry of this case. */
        ConvGeometry geometry() { return ConvGeometry.of("test", x(), wt(), sh, sw, ph, pw, dh, dw, groups); }
    }

    /** A float32 forward kernel under test: {@code out = act(conv(x, w) + bias + res)}, the weight pre-packed or not. */
    interface Forward {
        void run(ConvGeometry g, float[] x, float[] w, boolean prepacked, float[] bias, float[] res, Epilogue act, float[] out);
    }

    /**
     * {@code kernel} against {@link #forward} on every case, on 1, 2 and 3 threads: with and without pre-packing, with
     * bias and residual and with or without ReLU (the output NaN-filled first: every output must be written, none
     * accumulated), and with neither bias nor residual.
     */
    static void checkForward(java.util.List<Conv> cases, long seed, Forward kernel) {
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            for (Conv p : cases) {
                ConvGeometry g = p.geometry();
                Tensor x = Tensor.random(seed++, p.x()), w = Tensor.random(seed++, p.wt()), b = Tensor.random(seed++, p.o());
                Tensor r = Tensor.random(seed++, p.out());
                double[] conv = forward(p, toDouble(x.data()), toDouble(w.data()), toDouble(b.data()));
                for (boolean prepacked : new boolean[] {false, true}) {
                    for (boolean relu : new boolean[] {false, true}) {
                        double[] expected = new double[conv.length];
                        for (int i = 0; i < conv.length; i++) {
                            double v = conv[i] + r.data()[i];
                            expected[i] = relu ? Math.max(0, v) : v;
                        }
                        float[] out = new float[conv.length];
                        java.util.Arrays.fill(out, Float.NaN);
                        kernel.run(g, x.data(), w.data(), prepacked, b.data(), r.data(), relu ? Epilogue.RELU : Epilogue.NONE, out);
                        assertClose(expected, out, 1e-5, "threads " + threads + " prepacked " + prepacked + " relu " + relu + " " + p);
                    }
                }
                float[] plain = new float[conv.length];
                kernel.run(g, x.data(), w.data(), true, null, null, Epilogue.NONE, plain);
                assertClose(forward(p, toDouble(x.data()), toDouble(w.data()), null), plain, 1e-5, "no bias, threads " + threads + " " + p);
            }
        }
    }

    /** An input-gradient kernel: {@code gx = conv2d's input gradient}, overwritten. */
    interface InputGradient {
        void run(ConvGeometry g, float[] gradOut, float[] w, float[] gx);
    }

    /** {@code kernel} against the reference's product rule on every case, on 1, 2 and 3 threads, gx NaN-filled first. */
    static void checkInputGradient(java.util.List<Conv> cases, long seed, InputGradient kernel) {
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            for (Conv p : cases) {
                ConvGeometry g = p.geometry();
                Tensor x = Tensor.random(seed++, p.x()), w = Tensor.random(seed++, p.wt()), gy = Tensor.random(seed++, p.out());
                double[] expected = backward(p, toDouble(x.data()), toDouble(w.data()), toDouble(gy.data()))[0];
                float[] gx = new float[expected.length];
                java.util.Arrays.fill(gx, Float.NaN);
                kernel.run(g, gy.data(), w.data(), gx);
                assertClose(expected, gx, 1e-5, "threads " + threads + " " + p);
            }
        }
    }

    static double[] forward(Conv p, double[] x, double[] w, double[] bias) {
        int oh = p.oh(), ow = p.ow();
        double[] out = new double[p.n() * p.o() * oh * ow];
        for (int n = 0; n < p.n(); n++)
            for (int o = 0; o < p.o(); o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double s = bias == null ? 0 : bias[o];
                        int g = o / p.og();
                        for (int c = 0; c < p.cg(); c++)
                            for (int ki = 0; ki < p.kh(); ki++)
                                for (int kj = 0; kj < p.kw(); kj++) {
                                    int ih = i * p.sh() - p.ph() + ki * p.dh(), iw = j * p.sw() - p.pw() + kj * p.dw();
                                    if (ih < 0 || ih >= p.h() || iw < 0 || iw >= p.w()) continue;
                                    s += x[((n * p.c() + g * p.cg() + c) * p.h() + ih) * p.w() + iw]
                                            * w[((o * p.cg() + c) * p.kh() + ki) * p.kw() + kj];
                                }
                        out[((n * p.o() + o) * oh + i) * ow + j] = s;
                    }
        return out;
    }

    /** Input and weight gradients of {@code sum(forward(x, w) * gy)}: every tap's product rule, scattered. */
    static double[][] backward(Conv p, double[] x, double[] w, double[] gy) {
        int oh = p.oh(), ow = p.ow();
        double[] gx = new double[x.length], gw = new double[w.length];
        for (int n = 0; n < p.n(); n++)
            for (int o = 0; o < p.o(); o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double g = gy[((n * p.o() + o) * oh + i) * ow + j];
                        int gr = o / p.og();
                        for (int c = 0; c < p.cg(); c++)
                            for (int ki = 0; ki < p.kh(); ki++)
                                for (int kj = 0; kj < p.kw(); kj++) {
                                    int ih = i * p.sh() - p.ph() + ki * p.dh(), iw = j * p.sw() - p.pw() + kj * p.dw();
                                    if (ih < 0 || ih >= p.h() || iw < 0 || iw >= p.w()) continue;
                                    int xi = ((n * p.c() + gr * p.cg() + c) * p.h() + ih) * p.w() + iw;
                                    int wi = ((o * p.cg() + c) * p.kh() + ki) * p.kw() + kj;
                                    gx[xi] += g * w[wi];
                                    gw[wi] += g * x[xi];
                                }
                    }
        return new double[][] {gx, gw};
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static double[] randomDoubles(long seed, int n) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = r.nextDouble() * 2 - 1;
        return d;
    }

    /** Asserts |actual - expected| <= tol * max(1, max |expected|), element by element. */
    static void assertClose(double[] expected, double[] actual, double tol, String what) {
        if (expected.length != actual.length) org.junit.jupiter.api.Assertions.fail(what + ": length " + actual.length + " != " + expected.length);
        double max = 1;
        for (double e : expected) max = Math.max(max, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            if (!(err <= tol * max)) {
                org.junit.jupiter.api.Assertions.fail(what + ": at " + i + " expected " + expected[i] + " but got " + actual[i] + " (tol " + tol * max + ")");
            }
        }
    }

    static void assertClose(double[] expected, float[] actual, double tol, String what) { assertClose(expected, toDouble(actual), tol, what); }
}
