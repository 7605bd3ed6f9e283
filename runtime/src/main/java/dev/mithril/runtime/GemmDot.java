package dev.mithril.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
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
 * thread count (results are bit-identical across thread counts). Bias, residual and activation are applied by a
 * vector pass over each finished row segment.
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

    /** Columns {@code [j0, j1)} of C, all rows. */
    private static void columns(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                GemmKernel.Out o, int j0, int j1) {
        float[] c = o.c();
        float alpha = o.alpha(), beta = o.beta();
        int cOff = o.cOff(), ldc = o.ldc();
        for (int j = j0; j < j1; j += NB) {
            int nj = Math.min(NB, j1 - j);
            for (int i = 0; i < m; i += MB) {
                int ni = Math.min(MB, m - i);
                if (ni == MB && nj == NB) {
                    block4x4(k, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc, alpha, beta);
                } else {
                    for (int ii = 0; ii < ni; ii++) {
                        for (int jj = 0; jj < nj; jj++) {
                            float s = GemmSmall.dot(a, aOff + (i + ii) * lda, b, bOff + (j + jj) * ldb, k);
                            int idx = cOff + (i + ii) * ldc + j + jj;
                            c[idx] = beta == 0f ? alpha * s : alpha * s + beta * c[idx];
                        }
                    }
                }
            }
        }
        if (o.ep() != Epilogue.NONE || o.res() != null) {
            for (int i = 0; i < m; i++) finishRow(o, i, j0, j1 - j0);
        }
    }

    /** Bias, residual and activation over C[i][j0 .. j0+len), which already holds alpha*AB + beta*C. */
    private static void finishRow(GemmKernel.Out o, int i, int j0, int len) {
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

    /** C[4][4] at {@code cO} = alpha * (4 rows of A) . (4 rows of B) + beta * C. */
    private static void block4x4(int k, float[] a, int aO, int lda, float[] b, int bO, int ldb,
                                 float[] c, int cO, int ldc, float alpha, float beta) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00, s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        int p = 0;
        for (; p <= k - V; p += V) {
            FloatVector y0 = FloatVector.fromArray(S, b, bO + 0 * ldb + p), y1 = FloatVector.fromArray(S, b, bO + 1 * ldb + p), y2 = FloatVector.fromArray(S, b, bO + 2 * ldb + p), y3 = FloatVector.fromArray(S, b, bO + 3 * ldb + p), x;
            x = FloatVector.fromArray(S, a, aO + 0 * lda + p);
            s00 = x.fma(y0, s00); s01 = x.fma(y1, s01); s02 = x.fma(y2, s02); s03 = x.fma(y3, s03);
            x = FloatVector.fromArray(S, a, aO + 1 * lda + p);
            s10 = x.fma(y0, s10); s11 = x.fma(y1, s11); s12 = x.fma(y2, s12); s13 = x.fma(y3, s13);
            x = FloatVector.fromArray(S, a, aO + 2 * lda + p);
            s20 = x.fma(y0, s20); s21 = x.fma(y1, s21); s22 = x.fma(y2, s22); s23 = x.fma(y3, s23);
            x = FloatVector.fromArray(S, a, aO + 3 * lda + p);
            s30 = x.fma(y0, s30); s31 = x.fma(y1, s31); s32 = x.fma(y2, s32); s33 = x.fma(y3, s33);
        }
        put(c, cO + 0 * ldc + 0, alpha, beta, s00.reduceLanes(VectorOperators.ADD) + tail(a, aO + 0 * lda, b, bO + 0 * ldb, p, k));
        put(c, cO + 0 * ldc + 1, alpha, beta, s01.reduceLanes(VectorOperators.ADD) + tail(a, aO + 0 * lda, b, bO + 1 * ldb, p, k));
        put(c, cO + 0 * ldc + 2, alpha, beta, s02.reduceLanes(VectorOperators.ADD) + tail(a, aO + 0 * lda, b, bO + 2 * ldb, p, k));
        put(c, cO + 0 * ldc + 3, alpha, beta, s03.reduceLanes(VectorOperators.ADD) + tail(a, aO + 0 * lda, b, bO + 3 * ldb, p, k));
        put(c, cO + 1 * ldc + 0, alpha, beta, s10.reduceLanes(VectorOperators.ADD) + tail(a, aO + 1 * lda, b, bO + 0 * ldb, p, k));
        put(c, cO + 1 * ldc + 1, alpha, beta, s11.reduceLanes(VectorOperators.ADD) + tail(a, aO + 1 * lda, b, bO + 1 * ldb, p, k));
        put(c, cO + 1 * ldc + 2, alpha, beta, s12.reduceLanes(VectorOperators.ADD) + tail(a, aO + 1 * lda, b, bO + 2 * ldb, p, k));
        put(c, cO + 1 * ldc + 3, alpha, beta, s13.reduceLanes(VectorOperators.ADD) + tail(a, aO + 1 * lda, b, bO + 3 * ldb, p, k));
        put(c, cO + 2 * ldc + 0, alpha, beta, s20.reduceLanes(VectorOperators.ADD) + tail(a, aO + 2 * lda, b, bO + 0 * ldb, p, k));
        put(c, cO + 2 * ldc + 1, alpha, beta, s21.reduceLanes(VectorOperators.ADD) + tail(a, aO + 2 * lda, b, bO + 1 * ldb, p, k));
        put(c, cO + 2 * ldc + 2, alpha, beta, s22.reduceLanes(VectorOperators.ADD) + tail(a, aO + 2 * lda, b, bO + 2 * ldb, p, k));
        put(c, cO + 2 * ldc + 3, alpha, beta, s23.reduceLanes(VectorOperators.ADD) + tail(a, aO + 2 * lda, b, bO + 3 * ldb, p, k));
        put(c, cO + 3 * ldc + 0, alpha, beta, s30.reduceLanes(VectorOperators.ADD) + tail(a, aO + 3 * lda, b, bO + 0 * ldb, p, k));
        put(c, cO + 3 * ldc + 1, alpha, beta, s31.reduceLanes(VectorOperators.ADD) + tail(a, aO + 3 * lda, b, bO + 1 * ldb, p, k));
        put(c, cO + 3 * ldc + 2, alpha, beta, s32.reduceLanes(VectorOperators.ADD) + tail(a, aO + 3 * lda, b, bO + 2 * ldb, p, k));
        put(c, cO + 3 * ldc + 3, alpha, beta, s33.reduceLanes(VectorOperators.ADD) + tail(a, aO + 3 * lda, b, bO + 3 * ldb, p, k));
    }

    private static float tail(float[] a, int ai, float[] b, int bi, int p, int k) {
        float s = 0f;
        for (; p < k; p++) s += a[ai + p] * b[bi + p];
        return s;
    }

    private static void put(float[] c, int idx, float alpha, float beta, float s) {
        c[idx] = beta == 0f ? alpha * s : alpha * s + beta * c[idx];
    }
}
