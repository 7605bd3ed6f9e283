package dev.mithril.runtime;

import static jdk.incubator.vector.VectorOperators.ADD;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code C = alpha * A * B^T + beta * C} for few rows of A (a batch) when both A's rows and B's rows are contiguous
 * along k (B is a linear layer's weight {@code w[n][k]}): every element of C is a dot product of two contiguous rows,
 * so B is read straight from the caller's array instead of being packed. Packing would cost a transposing copy of all
 * of B on every call, as much as the product itself at batch 32. Blocks of 4 rows of A by 4 rows of B keep 16
 * vector accumulators; the 4 B rows stay in L1 while all of A's rows stream past them from L2. (2 x 8 blocks, which
 * load less from L2, measured slower at batch 32.)
 *
 * <p>The columns are split over threads in whole blocks, so each element is computed by the same code whatever the
 * thread count. (Not always to the same bit: a lane reduction adds in another order in the interpreter than in
 * compiled code.) Bias, residual and activation are applied by a vector pass over each finished row segment.
 */
final class GemmDot {
    /**
     * Up to this many rows, reading B in place beats packing it (A's rows stay in L2 while B streams once). At 128
     * rows the packed path is faster even though it transposes all of B on every call (measured 1024 x 1024: 76
     * against 98 GFLOP/s on one core).
     */
    static final int MAX_M = 96;
    private static final VectorSpecies<Float> S = Activations.S;
    private static final int V = Activations.V;
    /** Rows of A and of B per block (16 accumulators); NB is also the unit the columns are split in. */
    private static final int MB = 4, NB = 4;
    private static final long SERIAL_WORK = GemmDriver.SERIAL_WORK;

    private GemmDot() {}

    static void run(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, GemmKernel.Out o) {
        int blocks = (n + NB - 1) / NB;
        if (Parallel.threads() <= 1 || (long) m * n * k < SERIAL_WORK) {
            columns(m, n, k, a, aOff, lda, b, bOff, ldb, o, 0, n);
            return;
        }
        Split s = SPLITS.get();
        if (s.inUse) s = new Split(); // started from inside another parallel body on this thread
        s.inUse = true;
        s.m = m; s.n = n; s.k = k; s.a = a; s.aOff = aOff; s.lda = lda; s.b = b; s.bOff = bOff; s.ldb = ldb; s.o = o;
        try {
            Parallel.forRange(blocks, 1, s);
        } finally {
            s.a = null; s.b = null; s.o = null;
            s.inUse = false;
        }
    }

    private static final ThreadLocal<Split> SPLITS = ThreadLocal.withInitial(Split::new);

    /** The region body over blocks of NB columns, reused per calling thread so that a call allocates nothing. */
    private static final class Split implements Parallel.RangeBody {
        int m, n, k, aOff, lda, bOff, ldb;
        float[] a, b;
        GemmKernel.Out o;
        boolean inUse;

        @Override public void run(int from, int to) { columns(m, n, k, a, aOff, lda, b, bOff, ldb, o, from * NB, Math.min(n, to * NB)); }
    }

    /**
     * Columns {@code [j0, j1)} of C, all rows: blocks of 16 dot products (4 x 4; at the column edge 8 x 2 and
     * 16 x 1, so that the last one to three columns of a classifier layer do not fall to single dot products); the few
     * rows below a block's height take single dot products.
     */
    private static void columns(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                GemmKernel.Out o, int j0, int j1) {
        float[] c = o.c();
        float alpha = o.alpha(), beta = o.beta();
        int cOff = o.cOff(), ldc = o.ldc();
        for (int j = j0; j < j1; j += NB) {
            int nj = Math.min(NB, j1 - j), i = 0;
            if (nj == NB) {
                for (; i + MB <= m; i += MB) {
                    block4x4(k, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc, alpha, beta);
                }
                singles(i, m, j, j + NB, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta);
                continue;
            }
            int jj = j;
            if (nj >= 2) {
                for (; i + 8 <= m; i += 8) {
                    block8x2(k, a, aOff + i * lda, lda, b, bOff + jj * ldb, ldb, c, cOff + i * ldc + jj, ldc, alpha, beta);
                }
                singles(i, m, jj, jj + 2, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta);
                jj += 2;
            }
            if (jj < j + nj) {
                for (i = 0; i + 16 <= m; i += 16) {
                    block16x1(k, a, aOff + i * lda, lda, b, bOff + jj * ldb, c, cOff + i * ldc + jj, ldc, alpha, beta);
                }
                singles(i, m, jj, jj + 1, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta);
            }
        }
        if (o.ep() != Epilogue.NONE || o.res() != null) {
            for (int i = 0; i < m; i++) finishRow(o, i, j0, j1 - j0);
        }
    }

    /** Rows {@code [i0, m)} by columns {@code [ja, jb)} of C, one dot product each. */
    private static void singles(int i0, int m, int ja, int jb, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, float alpha, float beta) {
        for (int i = i0; i < m; i++) {
            for (int j = ja; j < jb; j++) {
                float s = GemmSmall.dot(a, aOff + i * lda, b, bOff + j * ldb, k);
                int idx = cOff + i * ldc + j;
                c[idx] = beta == 0f ? alpha * s : alpha * s + beta * c[idx];
            }
        }
    }

    /** Bias, residual and activation over C[i][j0 .. j0+len), which already holds alpha*AB + beta*C. */
    static void finishRow(GemmKernel.Out o, int i, int j0, int len) {
        float[] c = o.c(), bias = o.ep().hasBias() ? o.bias() : null, res = o.res();
        int off = o.cOff() + i * o.ldc() + j0, rOff = res == null ? 0 : o.rOff() + i * o.ldr() + j0;
        int h = 0;
        for (; h <= len - V; h += V) {
            FloatVector v = FloatVector.fromArray(S, c, off + h);
            if (bias != null) v = v.add(FloatVector.fromArray(S, bias, j0 + h));
            if (res != null) v = v.add(FloatVector.fromArray(S, res, rOff + h));
            v.intoArray(c, off + h);
        }
        for (; h < len; h++) {
            float v = c[off + h];
            if (bias != null) v += bias[j0 + h];
            if (res != null) v += res[rOff + h];
            c[off + h] = v;
        }
        Activations.apply(o.ep(), c, off, len);
    }

    /** C[4][4] at {@code cO} = alpha * (4 rows of A at {@code aO}) . (4 rows of B at {@code bO}) + beta * C. */
    private static void block4x4(int k, float[] a, int aO, int lda, float[] b, int bO, int ldb,
                                 float[] c, int cO, int ldc, float alpha, float beta) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00,
                s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        int p = 0;
        for (; p <= k - V; p += V) {
            FloatVector y0 = FloatVector.fromArray(S, b, bO + p), y1 = FloatVector.fromArray(S, b, bO + ldb + p),
                    y2 = FloatVector.fromArray(S, b, bO + 2 * ldb + p), y3 = FloatVector.fromArray(S, b, bO + 3 * ldb + p), x;
            x = FloatVector.fromArray(S, a, aO + p);
            s00 = x.fma(y0, s00); s01 = x.fma(y1, s01); s02 = x.fma(y2, s02); s03 = x.fma(y3, s03);
            x = FloatVector.fromArray(S, a, aO + lda + p);
            s10 = x.fma(y0, s10); s11 = x.fma(y1, s11); s12 = x.fma(y2, s12); s13 = x.fma(y3, s13);
            x = FloatVector.fromArray(S, a, aO + 2 * lda + p);
            s20 = x.fma(y0, s20); s21 = x.fma(y1, s21); s22 = x.fma(y2, s22); s23 = x.fma(y3, s23);
            x = FloatVector.fromArray(S, a, aO + 3 * lda + p);
            s30 = x.fma(y0, s30); s31 = x.fma(y1, s31); s32 = x.fma(y2, s32); s33 = x.fma(y3, s33);
        }
        int a1 = aO + lda, a2 = a1 + lda, a3 = a2 + lda, b1 = bO + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        put(c, cO, alpha, beta, s00.reduceLanes(ADD) + tail(a, aO, b, bO, p, k));
        put(c, cO + 1, alpha, beta, s01.reduceLanes(ADD) + tail(a, aO, b, b1, p, k));
        put(c, cO + 2, alpha, beta, s02.reduceLanes(ADD) + tail(a, aO, b, b2, p, k));
        put(c, cO + 3, alpha, beta, s03.reduceLanes(ADD) + tail(a, aO, b, b3, p, k));
        cO += ldc;
        put(c, cO, alpha, beta, s10.reduceLanes(ADD) + tail(a, a1, b, bO, p, k));
        put(c, cO + 1, alpha, beta, s11.reduceLanes(ADD) + tail(a, a1, b, b1, p, k));
        put(c, cO + 2, alpha, beta, s12.reduceLanes(ADD) + tail(a, a1, b, b2, p, k));
        put(c, cO + 3, alpha, beta, s13.reduceLanes(ADD) + tail(a, a1, b, b3, p, k));
        cO += ldc;
        put(c, cO, alpha, beta, s20.reduceLanes(ADD) + tail(a, a2, b, bO, p, k));
        put(c, cO + 1, alpha, beta, s21.reduceLanes(ADD) + tail(a, a2, b, b1, p, k));
        put(c, cO + 2, alpha, beta, s22.reduceLanes(ADD) + tail(a, a2, b, b2, p, k));
        put(c, cO + 3, alpha, beta, s23.reduceLanes(ADD) + tail(a, a2, b, b3, p, k));
        cO += ldc;
        put(c, cO, alpha, beta, s30.reduceLanes(ADD) + tail(a, a3, b, bO, p, k));
        put(c, cO + 1, alpha, beta, s31.reduceLanes(ADD) + tail(a, a3, b, b1, p, k));
        put(c, cO + 2, alpha, beta, s32.reduceLanes(ADD) + tail(a, a3, b, b2, p, k));
        put(c, cO + 3, alpha, beta, s33.reduceLanes(ADD) + tail(a, a3, b, b3, p, k));
    }

    /** C[8][2] at {@code cO} = alpha * (8 rows of A at {@code aO}) . (2 rows of B at {@code bO}) + beta * C. */
    private static void block8x2(int k, float[] a, int aO, int lda, float[] b, int bO, int ldb,
                                 float[] c, int cO, int ldc, float alpha, float beta) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00,
                s40 = s00, s41 = s00, s50 = s00, s51 = s00, s60 = s00, s61 = s00, s70 = s00, s71 = s00;
        int p = 0;
        for (; p <= k - V; p += V) {
            FloatVector y0 = FloatVector.fromArray(S, b, bO + p), y1 = FloatVector.fromArray(S, b, bO + ldb + p), x;
            x = FloatVector.fromArray(S, a, aO + p); s00 = x.fma(y0, s00); s01 = x.fma(y1, s01);
            x = FloatVector.fromArray(S, a, aO + lda + p); s10 = x.fma(y0, s10); s11 = x.fma(y1, s11);
            x = FloatVector.fromArray(S, a, aO + 2 * lda + p); s20 = x.fma(y0, s20); s21 = x.fma(y1, s21);
            x = FloatVector.fromArray(S, a, aO + 3 * lda + p); s30 = x.fma(y0, s30); s31 = x.fma(y1, s31);
            x = FloatVector.fromArray(S, a, aO + 4 * lda + p); s40 = x.fma(y0, s40); s41 = x.fma(y1, s41);
            x = FloatVector.fromArray(S, a, aO + 5 * lda + p); s50 = x.fma(y0, s50); s51 = x.fma(y1, s51);
            x = FloatVector.fromArray(S, a, aO + 6 * lda + p); s60 = x.fma(y0, s60); s61 = x.fma(y1, s61);
            x = FloatVector.fromArray(S, a, aO + 7 * lda + p); s70 = x.fma(y0, s70); s71 = x.fma(y1, s71);
        }
        int b1 = bO + ldb;
        put(c, cO, alpha, beta, s00.reduceLanes(ADD) + tail(a, aO, b, bO, p, k));
        put(c, cO + 1, alpha, beta, s01.reduceLanes(ADD) + tail(a, aO, b, b1, p, k));
        put(c, cO + ldc, alpha, beta, s10.reduceLanes(ADD) + tail(a, aO + lda, b, bO, p, k));
        put(c, cO + ldc + 1, alpha, beta, s11.reduceLanes(ADD) + tail(a, aO + lda, b, b1, p, k));
        put(c, cO + 2 * ldc, alpha, beta, s20.reduceLanes(ADD) + tail(a, aO + 2 * lda, b, bO, p, k));
        put(c, cO + 2 * ldc + 1, alpha, beta, s21.reduceLanes(ADD) + tail(a, aO + 2 * lda, b, b1, p, k));
        put(c, cO + 3 * ldc, alpha, beta, s30.reduceLanes(ADD) + tail(a, aO + 3 * lda, b, bO, p, k));
        put(c, cO + 3 * ldc + 1, alpha, beta, s31.reduceLanes(ADD) + tail(a, aO + 3 * lda, b, b1, p, k));
        put(c, cO + 4 * ldc, alpha, beta, s40.reduceLanes(ADD) + tail(a, aO + 4 * lda, b, bO, p, k));
        put(c, cO + 4 * ldc + 1, alpha, beta, s41.reduceLanes(ADD) + tail(a, aO + 4 * lda, b, b1, p, k));
        put(c, cO + 5 * ldc, alpha, beta, s50.reduceLanes(ADD) + tail(a, aO + 5 * lda, b, bO, p, k));
        put(c, cO + 5 * ldc + 1, alpha, beta, s51.reduceLanes(ADD) + tail(a, aO + 5 * lda, b, b1, p, k));
        put(c, cO + 6 * ldc, alpha, beta, s60.reduceLanes(ADD) + tail(a, aO + 6 * lda, b, bO, p, k));
        put(c, cO + 6 * ldc + 1, alpha, beta, s61.reduceLanes(ADD) + tail(a, aO + 6 * lda, b, b1, p, k));
        put(c, cO + 7 * ldc, alpha, beta, s70.reduceLanes(ADD) + tail(a, aO + 7 * lda, b, bO, p, k));
        put(c, cO + 7 * ldc + 1, alpha, beta, s71.reduceLanes(ADD) + tail(a, aO + 7 * lda, b, b1, p, k));
    }

    /** C[16][1] at {@code cO} = alpha * (16 rows of A at {@code aO}) . (the row of B at {@code bO}) + beta * C. */
    private static void block16x1(int k, float[] a, int aO, int lda, float[] b, int bO,
                                  float[] c, int cO, int ldc, float alpha, float beta) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0,
                s8 = s0, s9 = s0, s10 = s0, s11 = s0, s12 = s0, s13 = s0, s14 = s0, s15 = s0;
        int p = 0;
        for (; p <= k - V; p += V) {
            FloatVector y = FloatVector.fromArray(S, b, bO + p);
            s0 = FloatVector.fromArray(S, a, aO + p).fma(y, s0);
            s1 = FloatVector.fromArray(S, a, aO + lda + p).fma(y, s1);
            s2 = FloatVector.fromArray(S, a, aO + 2 * lda + p).fma(y, s2);
            s3 = FloatVector.fromArray(S, a, aO + 3 * lda + p).fma(y, s3);
            s4 = FloatVector.fromArray(S, a, aO + 4 * lda + p).fma(y, s4);
            s5 = FloatVector.fromArray(S, a, aO + 5 * lda + p).fma(y, s5);
            s6 = FloatVector.fromArray(S, a, aO + 6 * lda + p).fma(y, s6);
            s7 = FloatVector.fromArray(S, a, aO + 7 * lda + p).fma(y, s7);
            s8 = FloatVector.fromArray(S, a, aO + 8 * lda + p).fma(y, s8);
            s9 = FloatVector.fromArray(S, a, aO + 9 * lda + p).fma(y, s9);
            s10 = FloatVector.fromArray(S, a, aO + 10 * lda + p).fma(y, s10);
            s11 = FloatVector.fromArray(S, a, aO + 11 * lda + p).fma(y, s11);
            s12 = FloatVector.fromArray(S, a, aO + 12 * lda + p).fma(y, s12);
            s13 = FloatVector.fromArray(S, a, aO + 13 * lda + p).fma(y, s13);
            s14 = FloatVector.fromArray(S, a, aO + 14 * lda + p).fma(y, s14);
            s15 = FloatVector.fromArray(S, a, aO + 15 * lda + p).fma(y, s15);
        }
        put(c, cO, alpha, beta, s0.reduceLanes(ADD) + tail(a, aO, b, bO, p, k));
        put(c, cO + ldc, alpha, beta, s1.reduceLanes(ADD) + tail(a, aO + lda, b, bO, p, k));
        put(c, cO + 2 * ldc, alpha, beta, s2.reduceLanes(ADD) + tail(a, aO + 2 * lda, b, bO, p, k));
        put(c, cO + 3 * ldc, alpha, beta, s3.reduceLanes(ADD) + tail(a, aO + 3 * lda, b, bO, p, k));
        put(c, cO + 4 * ldc, alpha, beta, s4.reduceLanes(ADD) + tail(a, aO + 4 * lda, b, bO, p, k));
        put(c, cO + 5 * ldc, alpha, beta, s5.reduceLanes(ADD) + tail(a, aO + 5 * lda, b, bO, p, k));
        put(c, cO + 6 * ldc, alpha, beta, s6.reduceLanes(ADD) + tail(a, aO + 6 * lda, b, bO, p, k));
        put(c, cO + 7 * ldc, alpha, beta, s7.reduceLanes(ADD) + tail(a, aO + 7 * lda, b, bO, p, k));
        put(c, cO + 8 * ldc, alpha, beta, s8.reduceLanes(ADD) + tail(a, aO + 8 * lda, b, bO, p, k));
        put(c, cO + 9 * ldc, alpha, beta, s9.reduceLanes(ADD) + tail(a, aO + 9 * lda, b, bO, p, k));
        put(c, cO + 10 * ldc, alpha, beta, s10.reduceLanes(ADD) + tail(a, aO + 10 * lda, b, bO, p, k));
        put(c, cO + 11 * ldc, alpha, beta, s11.reduceLanes(ADD) + tail(a, aO + 11 * lda, b, bO, p, k));
        put(c, cO + 12 * ldc, alpha, beta, s12.reduceLanes(ADD) + tail(a, aO + 12 * lda, b, bO, p, k));
        put(c, cO + 13 * ldc, alpha, beta, s13.reduceLanes(ADD) + tail(a, aO + 13 * lda, b, bO, p, k));
        put(c, cO + 14 * ldc, alpha, beta, s14.reduceLanes(ADD) + tail(a, aO + 14 * lda, b, bO, p, k));
        put(c, cO + 15 * ldc, alpha, beta, s15.reduceLanes(ADD) + tail(a, aO + 15 * lda, b, bO, p, k));
    }

    /** The products of elements {@code [p, k)} of two rows, past the last whole vector. */
    private static float tail(float[] a, int ai, float[] b, int bi, int p, int k) {
        float s = 0f;
        for (; p < k; p++) s += a[ai + p] * b[bi + p];
        return s;
    }

    private static void put(float[] c, int idx, float alpha, float beta, float s) {
        c[idx] = beta == 0f ? alpha * s : alpha * s + beta * c[idx];
    }
}
