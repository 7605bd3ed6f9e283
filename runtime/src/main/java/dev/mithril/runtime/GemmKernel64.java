package dev.mithril.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float64 twin of {@link GemmKernel}: the same {@code MR x 3} vector tile on the preferred double species, so
 * a panel holds half as many columns in the same bytes and the cache blocking carries over unchanged.
 * Activations are applied in scalar double precision; GELU is not offered in float64 (checked by {@link Gemm}).
 */
final class GemmKernel64 {
    static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    static final int V = S.length();
    static final int MR = GemmKernel.MR;
    static final int NR = 3 * V;

    /** As {@link GemmKernel.Out}, in double. */
    static final class Out {
        private static final ThreadLocal<Out> MINE = ThreadLocal.withInitial(Out::new);

        private double[] c, bias, res;
        private int cOff, ldc, rOff, ldr;
        private double alpha, beta;
        private Epilogue ep;

        private Out() {}

        Out(double[] c, int cOff, int ldc, double alpha, double beta, double[] bias, Epilogue ep, double[] res, int rOff, int ldr) {
            set(c, cOff, ldc, alpha, beta, bias, ep, res, rOff, ldr);
        }

        /**
         * This thread's instance, filled in for one call. GEMM calls never nest on a thread (the pool runs a
         * region's chunks, which never call back into GEMM), so one per thread is enough, and a call allocates
         * nothing for it; {@link #release()} drops the array references when the call is done.
         */
        static Out reuse(double[] c, int cOff, int ldc, double alpha, double beta, double[] bias, Epilogue ep, double[] res, int rOff, int ldr) {
            return MINE.get().set(c, cOff, ldc, alpha, beta, bias, ep, res, rOff, ldr);
        }

        private Out set(double[] c, int cOff, int ldc, double alpha, double beta, double[] bias, Epilogue ep, double[] res, int rOff, int ldr) {
            this.c = c; this.cOff = cOff; this.ldc = ldc; this.alpha = alpha; this.beta = beta;
            this.bias = bias; this.ep = ep; this.res = res; this.rOff = rOff; this.ldr = ldr;
            return this;
        }

        void release() { c = bias = res = null; }

        double[] c() { return c; }
        int cOff() { return cOff; }
        int ldc() { return ldc; }
        double alpha() { return alpha; }
        double beta() { return beta; }
        double[] bias() { return bias; }
        Epilogue ep() { return ep; }
        double[] res() { return res; }
        int rOff() { return rOff; }
        int ldr() { return ldr; }
    }

    private GemmKernel64() {}

    /** As {@link GemmKernel#tile}: whole 8-row tiles with a plain-sum store go from the accumulators straight into C. */
    static void tile(Out o, double[] ap, int aO, double[] bp, int bO, int kc, int row, int col, int rows, int cols,
                     boolean first, boolean last, double[] t) {
        if (MR == 8 && rows == MR && cols == NR && o.alpha() == 1.0 && (!first || o.beta() == 0.0 || o.beta() == 1.0)) {
            k8(ap, aO, bp, bO, kc, o.c(), o.cOff() + row * o.ldc() + col, o.ldc(), !first || o.beta() == 1.0);
            if (last) for (int r = 0; r < MR; r++) finish(o, row + r, col, cols);
            return;
        }
        if (MR == 8 && rows > 4) k8(ap, aO, bp, bO, kc, t, 0, NR, false);
        else if (MR == 8) k4(ap, aO, bp, bO, kc, t);
        else k3(ap, aO, bp, bO, kc, t);
        for (int r = 0; r < rows; r++) store(o, t, r * NR, row + r, col, cols, first, last);
    }

    /** The 8 x NR tile at {@code out[off..]} (row stride {@code ld}) = A sliver x B panel slice, plus its old value (read after the k loop, as in {@link GemmKernel}) when {@code accumulate}. */
    private static void k8(double[] ap, int aO, double[] bp, int bO, int kc, double[] out, int off, int ld, boolean accumulate) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c02 = c00,
                c10 = c00, c11 = c00, c12 = c00,
                c20 = c00, c21 = c00, c22 = c00,
                c30 = c00, c31 = c00, c32 = c00,
                c40 = c00, c41 = c00, c42 = c00,
                c50 = c00, c51 = c00, c52 = c00,
                c60 = c00, c61 = c00, c62 = c00,
                c70 = c00, c71 = c00, c72 = c00;
        for (int p = 0; p < kc; p++) {
            int a = aO + p * MR, b = bO + p * NR;
            DoubleVector b0 = DoubleVector.fromArray(S, bp, b), b1 = DoubleVector.fromArray(S, bp, b + V), b2 = DoubleVector.fromArray(S, bp, b + 2 * V);
            DoubleVector x;
            x = DoubleVector.broadcast(S, ap[a]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = DoubleVector.broadcast(S, ap[a + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = DoubleVector.broadcast(S, ap[a + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = DoubleVector.broadcast(S, ap[a + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
            x = DoubleVector.broadcast(S, ap[a + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42);
            x = DoubleVector.broadcast(S, ap[a + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52);
            x = DoubleVector.broadcast(S, ap[a + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61); c62 = x.fma(b2, c62);
            x = DoubleVector.broadcast(S, ap[a + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71); c72 = x.fma(b2, c72);
        }
        if (accumulate) {
            int o = off;
            c00 = c00.add(DoubleVector.fromArray(S, out, o)); c01 = c01.add(DoubleVector.fromArray(S, out, o + V)); c02 = c02.add(DoubleVector.fromArray(S, out, o + 2 * V)); o += ld;
            c10 = c10.add(DoubleVector.fromArray(S, out, o)); c11 = c11.add(DoubleVector.fromArray(S, out, o + V)); c12 = c12.add(DoubleVector.fromArray(S, out, o + 2 * V)); o += ld;
            c20 = c20.add(DoubleVector.fromArray(S, out, o)); c21 = c21.add(DoubleVector.fromArray(S, out, o + V)); c22 = c22.add(DoubleVector.fromArray(S, out, o + 2 * V)); o += ld;
            c30 = c30.add(DoubleVector.fromArray(S, out, o)); c31 = c31.add(DoubleVector.fromArray(S, out, o + V)); c32 = c32.add(DoubleVector.fromArray(S, out, o + 2 * V)); o += ld;
            c40 = c40.add(DoubleVector.fromArray(S, out, o)); c41 = c41.add(DoubleVector.fromArray(S, out, o + V)); c42 = c42.add(DoubleVector.fromArray(S, out, o + 2 * V)); o += ld;
            c50 = c50.add(DoubleVector.fromArray(S, out, o)); c51 = c51.add(DoubleVector.fromArray(S, out, o + V)); c52 = c52.add(DoubleVector.fromArray(S, out, o + 2 * V)); o += ld;
            c60 = c60.add(DoubleVector.fromArray(S, out, o)); c61 = c61.add(DoubleVector.fromArray(S, out, o + V)); c62 = c62.add(DoubleVector.fromArray(S, out, o + 2 * V)); o += ld;
            c70 = c70.add(DoubleVector.fromArray(S, out, o)); c71 = c71.add(DoubleVector.fromArray(S, out, o + V)); c72 = c72.add(DoubleVector.fromArray(S, out, o + 2 * V));
        }
        int o = off;
        c00.intoArray(out, o); c01.intoArray(out, o + V); c02.intoArray(out, o + 2 * V); o += ld;
        c10.intoArray(out, o); c11.intoArray(out, o + V); c12.intoArray(out, o + 2 * V); o += ld;
        c20.intoArray(out, o); c21.intoArray(out, o + V); c22.intoArray(out, o + 2 * V); o += ld;
        c30.intoArray(out, o); c31.intoArray(out, o + V); c32.intoArray(out, o + 2 * V); o += ld;
        c40.intoArray(out, o); c41.intoArray(out, o + V); c42.intoArray(out, o + 2 * V); o += ld;
        c50.intoArray(out, o); c51.intoArray(out, o + V); c52.intoArray(out, o + 2 * V); o += ld;
        c60.intoArray(out, o); c61.intoArray(out, o + V); c62.intoArray(out, o + 2 * V); o += ld;
        c70.intoArray(out, o); c71.intoArray(out, o + V); c72.intoArray(out, o + 2 * V);
    }

    /** As {@link GemmKernel}'s 3-row tile of 16-register machines, in double. */
    private static void k3(double[] ap, int aO, double[] bp, int bO, int kc, double[] t) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00, c20 = c00, c21 = c00, c22 = c00;
        for (int p = 0; p < kc; p++) {
            int a = aO + p * MR, b = bO + p * NR;
            DoubleVector b0 = DoubleVector.fromArray(S, bp, b), b1 = DoubleVector.fromArray(S, bp, b + V), b2 = DoubleVector.fromArray(S, bp, b + 2 * V);
            DoubleVector x;
            x = DoubleVector.broadcast(S, ap[a]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = DoubleVector.broadcast(S, ap[a + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = DoubleVector.broadcast(S, ap[a + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
        }
        c00.intoArray(t, 0); c01.intoArray(t, V); c02.intoArray(t, 2 * V);
        c10.intoArray(t, NR); c11.intoArray(t, NR + V); c12.intoArray(t, NR + 2 * V);
        c20.intoArray(t, 2 * NR); c21.intoArray(t, 2 * NR + V); c22.intoArray(t, 2 * NR + 2 * V);
    }

    private static void k4(double[] ap, int aO, double[] bp, int bO, int kc, double[] t) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c02 = c00,
                c10 = c00, c11 = c00, c12 = c00,
                c20 = c00, c21 = c00, c22 = c00,
                c30 = c00, c31 = c00, c32 = c00;
        for (int p = 0; p < kc; p++) {
            int a = aO + p * MR, b = bO + p * NR;
            DoubleVector b0 = DoubleVector.fromArray(S, bp, b), b1 = DoubleVector.fromArray(S, bp, b + V), b2 = DoubleVector.fromArray(S, bp, b + 2 * V);
            DoubleVector x;
            x = DoubleVector.broadcast(S, ap[a]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = DoubleVector.broadcast(S, ap[a + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = DoubleVector.broadcast(S, ap[a + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = DoubleVector.broadcast(S, ap[a + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
        }
        c00.intoArray(t, 0); c01.intoArray(t, V); c02.intoArray(t, 2 * V);
        c10.intoArray(t, 1 * NR); c11.intoArray(t, 1 * NR + V); c12.intoArray(t, 1 * NR + 2 * V);
        c20.intoArray(t, 2 * NR); c21.intoArray(t, 2 * NR + V); c22.intoArray(t, 2 * NR + 2 * V);
        c30.intoArray(t, 3 * NR); c31.intoArray(t, 3 * NR + V); c32.intoArray(t, 3 * NR + 2 * V);
    }


    private static void store(Out o, double[] t, int tOff, int row, int col, int cols, boolean first, boolean last) {
        double[] c = o.c();
        int off = o.cOff() + row * o.ldc() + col;
        for (int h = 0; h < cols; h += V) {
            VectorMask<Double> m = S.indexInRange(h, cols);
            boolean full = h + V <= cols;
            DoubleVector v = DoubleVector.fromArray(S, t, tOff + h);
            if (o.alpha() != 1.0) v = v.mul(o.alpha());
            if (!first || o.beta() != 0.0) {
                DoubleVector old = full ? DoubleVector.fromArray(S, c, off + h) : DoubleVector.fromArray(S, c, off + h, m);
                v = !first || o.beta() == 1.0 ? v.add(old) : old.fma(DoubleVector.broadcast(S, o.beta()), v);
            }
            if (full) v.intoArray(c, off + h); else v.intoArray(c, off + h, m);
        }
        if (last) finish(o, row, col, cols);
    }

    /** Bias, residual and activation over one finished row segment of C (nothing when the epilogue is a plain store). */
    private static void finish(Out o, int row, int col, int cols) {
        if (o.ep() == Epilogue.NONE && o.res() == null) return;
        double[] c = o.c();
        int off = o.cOff() + row * o.ldc() + col, rOff = o.rOff() + row * o.ldr() + col;
        for (int j = 0; j < cols; j++) {
            double v = c[off + j];
            if (o.ep().hasBias()) v += o.bias()[col + j];
            if (o.res() != null) v += o.res()[rOff + j];
            c[off + j] = activation(o.ep(), v);
        }
    }

    /** The scalar form of the store for element (i, j) of C given the finished product {@code prod}. */
    static double scalar(Out o, double prod, int i, int j) {
        int idx = o.cOff() + i * o.ldc() + j;
        double v = o.alpha() * prod;
        if (o.beta() != 0.0) v += o.beta() * o.c()[idx];
        if (o.ep().hasBias()) v += o.bias()[j];
        if (o.res() != null) v += o.res()[o.rOff() + i * o.ldr() + j];
        return activation(o.ep(), v);
    }

    static double activation(Epilogue ep, double v) {
        return switch (ep) {
            case NONE, BIAS -> v;
            case RELU, BIAS_RELU -> v > 0 ? v : 0.0;
            case SIGMOID, BIAS_SIGMOID -> 1.0 / (1.0 + Math.exp(-v));
            case TANH, BIAS_TANH -> Math.tanh(v);
            case GELU, BIAS_GELU -> throw new IllegalArgumentException("Gemm: epilogue " + ep + " is not available in float64");
        };
    }
}
