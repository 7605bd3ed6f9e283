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
        store(o, c00, c01, row, col, nr, first, last, tmp);
        store(o, c10, c11, row + 1, col, nr, first, last, tmp);
        store(o, c20, c21, row + 2, col, nr, first, last, tmp);
        store(o, c30, c31, row + 3, col, nr, first, last, tmp);
        store(o, c40, c41, row + 4, col, nr, first, last, tmp);
        store(o, c50, c51, row + 5, col, nr, first, last, tmp);
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
        store(o, c0.add(d0), c1.add(d1), row, col, nr, first, last, tmp);
    }

    private static void store(Out o, FloatVector v0, FloatVector v1, int row, int col, int nr,
                              boolean first, boolean last, float[] tmp) {
        float[] c = o.c();
        int off = o.cOff() + row * o.ldc() + col;
        float alpha = o.alpha(), beta = o.beta();
        if (nr == NR) {
            if (alpha != 1f) { v0 = v0.mul(alpha); v1 = v1.mul(alpha); }
            if (!first) {
                v0 = v0.add(FloatVector.fromArray(S, c, off));
                v1 = v1.add(FloatVector.fromArray(S, c, off + V));
            } else if (beta != 0f) {
                v0 = FloatVector.fromArray(S, c, off).fma(beta, v0);
                v1 = FloatVector.fromArray(S, c, off + V).fma(beta, v1);
            }
            if (last && o.ep() != Epilogue.NONE) {
                if (o.ep().hasBias()) {
                    v0 = v0.add(FloatVector.fromArray(S, o.bias(), col));
                    v1 = v1.add(FloatVector.fromArray(S, o.bias(), col + V));
                }
                v0 = activate(o.ep(), v0);
                v1 = activate(o.ep(), v1);
            }
            v0.intoArray(c, off);
            v1.intoArray(c, off + V);
            return;
        }
        v0.intoArray(tmp, 0);
        v1.intoArray(tmp, V);
        for (int j = 0; j < nr; j++) {
            float v = alpha * tmp[j];
            if (!first) v += c[off + j];
            else if (beta != 0f) v += beta * c[off + j];
            if (last) v = epilogue(o.ep(), v, o.bias(), col + j);
            c[off + j] = v;
        }
    }

    static FloatVector activate(Epilogue ep, FloatVector v) {
        return switch (ep) {
            case NONE, BIAS -> v;
            case RELU, BIAS_RELU -> Activations.relu(v);
            case GELU, BIAS_GELU -> Activations.gelu(v);
            case SIGMOID, BIAS_SIGMOID -> Activations.sigmoid(v);
            case TANH, BIAS_TANH -> Activations.tanh(v);
        };
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
