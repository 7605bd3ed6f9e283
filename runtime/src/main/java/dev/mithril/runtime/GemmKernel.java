package dev.mithril.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tiled inner kernel of {@link Gemm}: an {@code MR x NR} block of C held in {@code MR * 2}
 * vector accumulators while streaming packed A slivers and packed B panels, then written back with
 * alpha/beta scaling and the fused epilogue.
 */
final class GemmKernel {
    static final VectorSpecies<Float> S = Activations.S;
    static final int V = Activations.V;
    static final int MR = 6;
    static final int NR = 2 * V;

    /** Everything about one GEMM call that the store step needs. */
    record Out(float[] c, int cOff, int ldc, float alpha, float beta, float[] bias, Epilogue ep) {}

    private GemmKernel() {}

    /**
     * C[row.., col..] (+)= A sliver x B panel slice for {@code kc} steps. {@code first}: this is the first k
     * block (apply beta); {@code last}: the final one (apply the epilogue).
     */
    static void tile(Out o, float[] ap, int aO, float[] bp, int bO, int kc, int row, int col, int mr, int nr,
                     boolean first, boolean last, float[] tmp) {
        if (mr == MR) {
            full(o, ap, aO, bp, bO, kc, row, col, nr, first, last, tmp);
        } else {
            for (int r = 0; r < mr; r++) oneRow(o, ap, aO + r, bp, bO, kc, row + r, col, nr, first, last, tmp);
        }
    }

    private static void full(Out o, float[] ap, int aO, float[] bp, int bO, int kc, int row, int col, int nr,
                             boolean first, boolean last, float[] tmp) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int a = aO, b = bO;
        for (int p = 0; p < kc; p++, a += MR, b += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + V);
            FloatVector x = FloatVector.broadcast(S, ap[a]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[a + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[a + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        // Spill to the L1-resident tile buffer: passing vectors to a non-inlined store would box them.
        c00.intoArray(tmp, 0); c01.intoArray(tmp, V);
        c10.intoArray(tmp, NR); c11.intoArray(tmp, NR + V);
        c20.intoArray(tmp, 2 * NR); c21.intoArray(tmp, 2 * NR + V);
        c30.intoArray(tmp, 3 * NR); c31.intoArray(tmp, 3 * NR + V);
        c40.intoArray(tmp, 4 * NR); c41.intoArray(tmp, 4 * NR + V);
        c50.intoArray(tmp, 5 * NR); c51.intoArray(tmp, 5 * NR + V);
        for (int r = 0; r < MR; r++) store(o, tmp, r * NR, row + r, col, nr, first, last);
    }

    /** One row of the tile: used for the last rows of C, where a full MR tile would waste work. */
    private static void oneRow(Out o, float[] ap, int aO, float[] bp, int bO, int kc, int row, int col, int nr,
                               boolean first, boolean last, float[] tmp) {
        // Two independent accumulator pairs hide the FMA latency.
        FloatVector c0 = FloatVector.zero(S), c1 = c0, d0 = c0, d1 = c0;
        int a = aO, b = bO, p = 0;
        for (; p + 1 < kc; p += 2, a += 2 * MR, b += 2 * NR) {
            FloatVector x = FloatVector.broadcast(S, ap[a]);
            c0 = x.fma(FloatVector.fromArray(S, bp, b), c0);
            c1 = x.fma(FloatVector.fromArray(S, bp, b + V), c1);
            FloatVector y = FloatVector.broadcast(S, ap[a + MR]);
            d0 = y.fma(FloatVector.fromArray(S, bp, b + NR), d0);
            d1 = y.fma(FloatVector.fromArray(S, bp, b + NR + V), d1);
        }
        if (p < kc) {
            FloatVector x = FloatVector.broadcast(S, ap[a]);
            c0 = x.fma(FloatVector.fromArray(S, bp, b), c0);
            c1 = x.fma(FloatVector.fromArray(S, bp, b + V), c1);
        }
        c0.add(d0).intoArray(tmp, 0);
        c1.add(d1).intoArray(tmp, V);
        store(o, tmp, 0, row, col, nr, first, last);
    }

    /** Writes one tile row held in {@code tmp[t .. t + nr)} to C, combining with alpha/beta and the epilogue. */
    private static void store(Out o, float[] tmp, int t, int row, int col, int nr, boolean first, boolean last) {
        float[] c = o.c();
        int off = o.cOff() + row * o.ldc() + col;
        float alpha = o.alpha(), beta = o.beta();
        if (nr == NR) {
            for (int h = 0; h < NR; h += V) {
                FloatVector v = FloatVector.fromArray(S, tmp, t + h);
                if (alpha != 1f) v = v.mul(alpha);
                if (!first) v = v.add(FloatVector.fromArray(S, c, off + h));
                else if (beta != 0f) v = FloatVector.fromArray(S, c, off + h).fma(FloatVector.broadcast(S, beta), v);
                v.intoArray(c, off + h);
            }
        } else {
            for (int j = 0; j < nr; j++) {
                float v = alpha * tmp[t + j];
                if (!first) v += c[off + j];
                else if (beta != 0f) v += beta * c[off + j];
                c[off + j] = v;
            }
        }
        if (last && o.ep() != Epilogue.NONE) finish(o, off, col, nr);
    }

    /** Bias and activation on one finished tile row, kept out of the hot path so the kernel stays small. */
    private static void finish(Out o, int off, int col, int nr) {
        float[] c = o.c();
        Epilogue ep = o.ep();
        if (ep.hasBias()) {
            float[] bias = o.bias();
            int j = 0;
            for (; j <= nr - V; j += V) FloatVector.fromArray(S, c, off + j).add(FloatVector.fromArray(S, bias, col + j)).intoArray(c, off + j);
            for (; j < nr; j++) c[off + j] += bias[col + j];
        }
        if (ep.hasActivation()) Activations.apply(ep, c, off, nr);
    }

    static float epilogue(Epilogue ep, float v, float[] bias, int col) {
        if (ep.hasBias()) v += bias[col];
        return switch (ep) {
            case NONE, BIAS -> v;
            case RELU, BIAS_RELU -> Activations.relu(v);
            case GELU, BIAS_GELU -> Activations.gelu(v);
            case SIGMOID, BIAS_SIGMOID -> Activations.sigmoid(v);
            case TANH, BIAS_TANH -> Activations.tanh(v);
        };
    }
}
