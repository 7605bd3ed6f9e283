package dev.mithril.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code C = A * packed B} when all of C's columns fit in one vector ({@code n <= V}: a classifier layer's 10 outputs)
 * and A is not transposed; {@link Gemm} sends batches here that are past {@link GemmDot#MAX_M} (and {@code sgemm}'s
 * with B not transposed), and packed weights of exactly one vector of outputs from 8 rows on
 * ({@link Gemm#panelsForFewRows}). Each row of C is one vector accumulator, fed by broadcasting A's elements, read in
 * place, against the first vector of each row of B's one packed panel. The general path packs A, which cost more than
 * the product here: 24 against 64 GFLOP/s at 128 x 10 x 256 on one core. Smaller batches of fewer outputs than lanes
 * stay with {@link GemmDot}, which is faster there (at 32 x 10 x 256, 1.02 of OpenBLAS against 0.63 here: 6 of the 16
 * lanes of every FMA here are empty). Rows go in blocks of {@link #ROWS} (8 accumulators); the last few rows one by
 * one.
 *
 * <p>Blocks of rows are split over threads when the product is large enough ({@link GemmDriver#SERIAL_WORK}); each
 * element is computed by the same code whatever the thread count.
 */
final class GemmNarrow {
    private static final VectorSpecies<Float> S = GemmKernel.S;
    private static final int V = GemmKernel.V, NR = GemmKernel.NR;
    /** Rows per block (8 accumulators); the rows past the last block go one at a time. */
    static final int ROWS = 8;

    private GemmNarrow() {}

    /** Whether a product with {@code n} columns is narrow enough for this path. */
    static boolean fits(int n) { return n <= V; }

    /**
     * C = epilogue(alpha * A * B + beta * C) for the m x n (n <= V) matrix C described by {@code o}, A with row
     * stride {@code lda}, B packed by {@link GemmPacking#packB} (one panel: row p's columns at {@code bp[bpOff + p * NR]}).
     */
    static void run(int m, int n, int k, float[] a, int aOff, int lda, float[] bp, int bpOff, GemmKernel.Out o) {
        int blocks = (m + ROWS - 1) / ROWS;
        if (Parallel.threads() <= 1 || (long) m * n * k < GemmDriver.SERIAL_WORK || blocks < 2) {
            rows(0, m, n, k, a, aOff, lda, bp, bpOff, o);
            return;
        }
        Split s = SPLITS.get();
        if (s.inUse) s = new Split(); // started from inside another parallel body on this thread
        s.inUse = true;
        s.m = m; s.n = n; s.k = k; s.a = a; s.aOff = aOff; s.lda = lda; s.bp = bp; s.bpOff = bpOff; s.o = o;
        try {
            Parallel.forRange(blocks, 1, s);
        } finally {
            s.a = null; s.bp = null; s.o = null;
            s.inUse = false;
        }
    }

    private static final ThreadLocal<Split> SPLITS = ThreadLocal.withInitial(Split::new);

    /** The region body over blocks of 8 rows, reused per calling thread so that a call allocates nothing. */
    private static final class Split implements Parallel.RangeBody {
        int m, n, k, aOff, lda, bpOff;
        float[] a, bp;
        GemmKernel.Out o;
        boolean inUse;

        @Override public void run(int from, int to) { rows(from * ROWS, Math.min(m, to * ROWS), n, k, a, aOff, lda, bp, bpOff, o); }
    }

    /** Each thread's 8 rows of products, between a kernel and {@link #store}. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[ROWS * V]);

    /** Rows {@code [i0, i1)} of C. */
    private static void rows(int i0, int i1, int n, int k, float[] a, int aOff, int lda, float[] bp, int bpOff, GemmKernel.Out o) {
        float[] t = TILE.get();
        int i = i0;
        for (; i + ROWS <= i1; i += ROWS) {
            block8(k, a, aOff + i * lda, lda, bp, bpOff, t);
            store(t, ROWS, o, i, n);
        }
        for (; i < i1; i++) {
            row1(k, a, aOff + i * lda, bp, bpOff, t);
            store(t, 1, o, i, n);
        }
        if (o.ep() != Epilogue.NONE || o.res() != null) {
            for (int r = i0; r < i1; r++) GemmDot.finishRow(o, r, 0, n);
        }
    }

    /**
     * {@code t[r * V ..]} = row r of A x B for the 8 rows of A at {@code aO}. The kernel only multiplies; alpha, beta
     * and the masked stores are {@link #store}'s, which keeps this method small enough for C1 to compile it (with
     * them it ran out of registers there, and the method never reached C2: 0.5 GFLOP/s).
     */
    private static void block8(int k, float[] a, int aO, int lda, float[] bp, int bO, float[] t) {
        int a1 = aO + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda;
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int p = 0; p < k; p++) {
            FloatVector b = FloatVector.fromArray(S, bp, bO + p * NR);
            c0 = FloatVector.broadcast(S, a[aO + p]).fma(b, c0);
            c1 = FloatVector.broadcast(S, a[a1 + p]).fma(b, c1);
            c2 = FloatVector.broadcast(S, a[a2 + p]).fma(b, c2);
            c3 = FloatVector.broadcast(S, a[a3 + p]).fma(b, c3);
            c4 = FloatVector.broadcast(S, a[a4 + p]).fma(b, c4);
            c5 = FloatVector.broadcast(S, a[a5 + p]).fma(b, c5);
            c6 = FloatVector.broadcast(S, a[a6 + p]).fma(b, c6);
            c7 = FloatVector.broadcast(S, a[a7 + p]).fma(b, c7);
        }
        c0.intoArray(t, 0); c1.intoArray(t, V); c2.intoArray(t, 2 * V); c3.intoArray(t, 3 * V);
        c4.intoArray(t, 4 * V); c5.intoArray(t, 5 * V); c6.intoArray(t, 6 * V); c7.intoArray(t, 7 * V);
    }

    /** {@code t[0 ..]} = the row of A at {@code aO} x B. */
    private static void row1(int k, float[] a, int aO, float[] bp, int bO, float[] t) {
        FloatVector acc = FloatVector.zero(S);
        for (int p = 0; p < k; p++) acc = FloatVector.broadcast(S, a[aO + p]).fma(FloatVector.fromArray(S, bp, bO + p * NR), acc);
        acc.intoArray(t, 0);
    }

    /** C's rows {@code [row, row + rows)}, {@code n} columns, = alpha * t + beta * C (beta 0: old C ignored, even NaN). */
    private static void store(float[] t, int rows, GemmKernel.Out o, int row, int n) {
        VectorMask<Float> cols = S.indexInRange(0, n);
        float[] c = o.c();
        float alpha = o.alpha(), beta = o.beta();
        for (int r = 0; r < rows; r++) {
            int off = o.cOff() + (row + r) * o.ldc();
            FloatVector v = FloatVector.fromArray(S, t, r * V);
            if (alpha != 1f) v = v.mul(alpha);
            if (beta != 0f) v = v.add(FloatVector.fromArray(S, c, off, cols).mul(beta));
            v.intoArray(c, off, cols);
        }
    }
}
