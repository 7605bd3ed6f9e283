package dev.mithril.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float64 twin of {@link GemmDot}: {@code C = alpha * A * B^T + beta * C} for few rows of A when B is a linear
 * layer's weight {@code w[n][k]}, every element of C a dot product of two contiguous rows, B read in place instead of
 * packed on every call. Blocks of 4 rows of A by 5 rows of B (20 accumulators, 9 loads per 20 FMAs), row block by
 * row block while one thread's share of B is small enough to stay in L1, else column block by column block; the one
 * to three rows below the 4-row blocks go with each column block, while its 5 rows of B are still in L1. The one to
 * four columns past the last 5-column block go by 4 x 1 blocks and single dot products. The products past the last
 * whole vector ({@code k % V}) are added by {@link #addTails} after a block is stored; bias, residual and activation
 * by a pass over each finished row. Columns are split over threads in whole 5-column blocks, so each element is
 * computed by the same code whatever the thread count.
 */
final class GemmDot64 {
    /**
     * Up to this many rows, reading B in place beats packing it. Fewer than float32's {@link GemmDot#MAX_M}: at
     * 1024 x 1024 on one core these blocks run at 33-40 GFLOP/s from 24 rows up, packing B reaches 37-38 at 48 rows
     * and 46-48 at 96 (29-31 at 32).
     */
    static final int MAX_M = 32;
    private static final VectorSpecies<Double> S = GemmKernel64.S;
    private static final int V = GemmKernel64.V;
    private static final int MB = 4, NB = 5;
    /** Up to this many doubles of B in one thread's columns the blocks go row block by row block (a third of L1). */
    private static final int SMALL_B = 2048;

    private GemmDot64() {}

    static void run(int m, int n, int k, double[] a, int aOff, int lda, double[] b, int bOff, int ldb, GemmKernel64.Out o) {
        int blocks = (n + NB - 1) / NB;
        boolean parallel = !GemmDriver.serial(m, n, k) && blocks >= 2;
        long lineStride = ((long) k + 7) & ~7L; // doubles per copied row: whole 64-byte lines
        if (GemmDot.linesUpRows(n, parallel) && m * lineStride + CacheLines.SLACK64 <= MAX_LINED_A) {
            // as in GemmDot: A's rows copied so that each starts on a cache line, the same values in the same order
            int ld = (int) lineStride;
            CacheLines.Tracked64 lined = linedRows(m * ld + CacheLines.SLACK64);
            int start = lined.start();
            double[] copy = lined.data();
            for (int i = 0; i < m; i++) System.arraycopy(a, aOff + i * lda, copy, start + i * ld, k);
            a = copy;
            aOff = start;
            lda = ld;
        }
        if (!parallel) {
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
    /** This thread's 4 x 5 block of sums, for products whose alpha or beta asks for more than a store. */
    private static final ThreadLocal<double[]> SUMS = ThreadLocal.withInitial(() -> new double[MB * NB]);
    /**
     * This thread's accumulators of one block, stored for their lane sums ({@link VectorMath#sumsInto}): the sums
     * come out the same in every JIT tier, where {@code reduceLanes} would not, and no vector crosses a call that
     * C2 might not inline (a block with 20 sums in line passes its inlining budget and boxes them).
     */
    private static final ThreadLocal<double[]> TILE = ThreadLocal.withInitial(() -> new double[VectorMath.groupedLength(MB * NB, V)]);

    /** The largest copy of A's rows kept per thread (doubles): 32 rows of 10,240. */
    private static final int MAX_LINED_A = MAX_M * 10_240 + CacheLines.SLACK64;
    private static final ThreadLocal<CacheLines.Tracked64> LINED_A = new ThreadLocal<>();

    /** This thread's buffer for A's lined-up rows, at least {@code size} doubles. */
    private static CacheLines.Tracked64 linedRows(int size) {
        CacheLines.Tracked64 t = LINED_A.get();
        if (t == null || t.data().length < size) {
            t = new CacheLines.Tracked64(new double[size]);
            LINED_A.set(t);
        }
        return t;
    }

    /** The region body over blocks of NB columns, reused per calling thread so that a call allocates nothing. */
    private static final class Split implements Parallel.RangeBody {
        int m, n, k, aOff, lda, bOff, ldb;
        double[] a, b;
        GemmKernel64.Out o;
        boolean inUse;

        @Override public void run(int from, int to) { columns(m, n, k, a, aOff, lda, b, bOff, ldb, o, from * NB, Math.min(n, to * NB)); }
    }

    /** Columns {@code [j0, j1)} of C, all rows. */
    private static void columns(int m, int n, int k, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                                GemmKernel64.Out o, int j0, int j1) {
        double[] c = o.c();
        double[] t = TILE.get();
        double alpha = o.alpha(), beta = o.beta();
        double[] sums = alpha == 1 && beta == 0 ? null : SUMS.get(); // null: the 4 x 5 blocks store straight into C
        int cOff = o.cOff(), ldc = o.ldc(), full = j0 + (j1 - j0) / NB * NB, rows = m / MB * MB;
        if ((long) (full - j0) * k <= SMALL_B) {
            for (int i = 0; i < rows; i += MB) {
                for (int j = j0; j < full; j += NB) {
                    fourByFive(k, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc, alpha, beta, sums, t);
                }
            }
            for (int j = j0; j < full; j += NB) lastRows(rows, m, j, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta, t);
        } else {
            for (int j = j0; j < full; j += NB) {
                for (int i = 0; i < rows; i += MB) {
                    fourByFive(k, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc, alpha, beta, sums, t);
                }
                lastRows(rows, m, j, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta, t);
            }
        }
        for (int j = full; j < j1; j++) {
            for (int i = 0; i < rows; i += MB) {
                block4x1(k, a, aOff + i * lda, lda, b, bOff + j * ldb, c, cOff + i * ldc + j, ldc, alpha, beta, t);
            }
            for (int i = rows; i < m; i++) {
                int idx = cOff + i * ldc + j;
                put(c, idx, alpha, beta, VectorMath.dotOf(a, aOff + i * lda, b, bOff + j * ldb, k));
            }
        }
        if (o.ep() != Epilogue.NONE || o.res() != null) {
            for (int i = 0; i < m; i++) finishRow(o, i, j0, j1 - j0);
        }
    }

    /** The one to three rows {@code [i, m)} below the 4-row blocks, by the 5 columns at {@code j}, a row at a time. */
    private static void lastRows(int i, int m, int j, int k, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                                 double[] c, int cOff, int ldc, double alpha, double beta, double[] t) {
        for (; i < m; i++) block1x5(k, a, aOff + i * lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, alpha, beta, t);
    }

    /** Bias, residual and activation over C[i][j0 .. j0+len), which already holds alpha*AB + beta*C. */
    private static void finishRow(GemmKernel64.Out o, int i, int j0, int len) {
        double[] c = o.c(), bias = o.ep().hasBias() ? o.bias() : null, res = o.res();
        int off = o.cOff() + i * o.ldc() + j0, rOff = res == null ? 0 : o.rOff() + i * o.ldr() + j0;
        for (int h = 0; h < len; h++) {
            double v = c[off + h];
            if (bias != null) v += bias[j0 + h];
            if (res != null) v += res[rOff + h];
            c[off + h] = GemmKernel64.activation(o.ep(), v);
        }
    }

    /**
     * C[4][5] at {@code cO} = alpha * (4 rows of A at {@code aO}) . (5 rows of B at {@code bO}) + beta * C: the block
     * stores straight into C where alpha is 1 and beta 0 ({@code sums} null); otherwise into {@code sums}, which is
     * then combined with C.
     */
    private static void fourByFive(int k, double[] a, int aO, int lda, double[] b, int bO, int ldb,
                                   double[] c, int cO, int ldc, double alpha, double beta, double[] sums, double[] t) {
        if (sums == null) {
            block4x5(k, a, aO, lda, b, bO, ldb, c, cO, ldc, t);
            return;
        }
        block4x5(k, a, aO, lda, b, bO, ldb, sums, 0, NB, t);
        for (int r = 0; r < MB; r++) {
            for (int q = 0; q < NB; q++) put(c, cO + r * ldc + q, alpha, beta, sums[r * NB + q]);
        }
    }

    /**
     * C[4][5] at {@code cO} = (4 rows of A at {@code aO}) . (5 rows of B at {@code bO}), stored as they are: no alpha
     * or beta live across the loop, where 20 accumulators, 5 rows of B and 4 of A already take 29 of the 32 vector
     * registers ({@link GemmDot}'s block measured the same way).
     */
    private static void block4x5(int k, double[] a, int aO, int lda, double[] b, int bO, int ldb, double[] c, int cO, int ldc, double[] t) {
        DoubleVector s00 = DoubleVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s04 = s00, s10 = s00, s11 = s00, s12 = s00,
                s13 = s00, s14 = s00, s20 = s00, s21 = s00, s22 = s00, s23 = s00, s24 = s00, s30 = s00, s31 = s00, s32 = s00,
                s33 = s00, s34 = s00;
        int c0 = cO, a1 = aO + lda, a2 = a1 + lda, a3 = a2 + lda, b1 = bO + ldb, b2 = b1 + ldb, b3 = b2 + ldb, b4 = b3 + ldb, p = 0;
        for (; p <= k - V; p += V) {
            DoubleVector y0 = DoubleVector.fromArray(S, b, bO + p), y1 = DoubleVector.fromArray(S, b, b1 + p),
                    y2 = DoubleVector.fromArray(S, b, b2 + p), y3 = DoubleVector.fromArray(S, b, b3 + p),
                    y4 = DoubleVector.fromArray(S, b, b4 + p), x;
            x = DoubleVector.fromArray(S, a, aO + p);
            s00 = x.fma(y0, s00); s01 = x.fma(y1, s01); s02 = x.fma(y2, s02); s03 = x.fma(y3, s03); s04 = x.fma(y4, s04);
            x = DoubleVector.fromArray(S, a, a1 + p);
            s10 = x.fma(y0, s10); s11 = x.fma(y1, s11); s12 = x.fma(y2, s12); s13 = x.fma(y3, s13); s14 = x.fma(y4, s14);
            x = DoubleVector.fromArray(S, a, a2 + p);
            s20 = x.fma(y0, s20); s21 = x.fma(y1, s21); s22 = x.fma(y2, s22); s23 = x.fma(y3, s23); s24 = x.fma(y4, s24);
            x = DoubleVector.fromArray(S, a, a3 + p);
            s30 = x.fma(y0, s30); s31 = x.fma(y1, s31); s32 = x.fma(y2, s32); s33 = x.fma(y3, s33); s34 = x.fma(y4, s34);
        }
        if (V == 8) {
            // the sums in registers: pairs of accumulators blended and added level by level (VectorMath.sumsInto's order),
            // with masks made from constants (VectorMath.DM4_BITS)
            VectorMask<Double> m4 = VectorMask.fromLong(S, VectorMath.DM4_BITS), m2 = VectorMask.fromLong(S, VectorMath.DM2_BITS);
            VectorMask<Double> m1 = VectorMask.fromLong(S, VectorMath.DM1_BITS);
            s00 = s00.blend(s01, m4).add(s01.blend(s00, m4).rearrange(VectorMath.DX4));
            s02 = s02.blend(s03, m4).add(s03.blend(s02, m4).rearrange(VectorMath.DX4));
            s04 = s04.blend(s10, m4).add(s10.blend(s04, m4).rearrange(VectorMath.DX4));
            s11 = s11.blend(s12, m4).add(s12.blend(s11, m4).rearrange(VectorMath.DX4));
            s13 = s13.blend(s14, m4).add(s14.blend(s13, m4).rearrange(VectorMath.DX4));
            s20 = s20.blend(s21, m4).add(s21.blend(s20, m4).rearrange(VectorMath.DX4));
            s22 = s22.blend(s23, m4).add(s23.blend(s22, m4).rearrange(VectorMath.DX4));
            s24 = s24.blend(s30, m4).add(s30.blend(s24, m4).rearrange(VectorMath.DX4));
            s31 = s31.blend(s32, m4).add(s32.blend(s31, m4).rearrange(VectorMath.DX4));
            s33 = s33.blend(s34, m4).add(s34.blend(s33, m4).rearrange(VectorMath.DX4));
            s00 = s00.blend(s02, m2).add(s02.blend(s00, m2).rearrange(VectorMath.DX2));
            s04 = s04.blend(s11, m2).add(s11.blend(s04, m2).rearrange(VectorMath.DX2));
            s13 = s13.blend(s20, m2).add(s20.blend(s13, m2).rearrange(VectorMath.DX2));
            s22 = s22.blend(s24, m2).add(s24.blend(s22, m2).rearrange(VectorMath.DX2));
            s31 = s31.blend(s33, m2).add(s33.blend(s31, m2).rearrange(VectorMath.DX2));
            s00 = s00.blend(s04, m1).add(s04.blend(s00, m1).rearrange(VectorMath.DX1));
            s13 = s13.blend(s22, m1).add(s22.blend(s13, m1).rearrange(VectorMath.DX1));
            s31 = s31.add(s31.rearrange(VectorMath.DX1));
            s00.intoArray(t, 0); s13.intoArray(t, V); s31.intoArray(t, 2 * V);
            c[cO] = t[0]; c[cO + 1] = t[4]; c[cO + 2] = t[2];
            c[cO + 3] = t[6]; c[cO + 4] = t[1];
            c[cO + ldc] = t[5]; c[cO + ldc + 1] = t[3]; c[cO + ldc + 2] = t[7];
            c[cO + ldc + 3] = t[8]; c[cO + ldc + 4] = t[12];
            c[cO + 2 * ldc] = t[10]; c[cO + 2 * ldc + 1] = t[14]; c[cO + 2 * ldc + 2] = t[9];
            c[cO + 2 * ldc + 3] = t[13]; c[cO + 2 * ldc + 4] = t[11];
            c[cO + 3 * ldc] = t[15]; c[cO + 3 * ldc + 1] = t[16]; c[cO + 3 * ldc + 2] = t[20];
            c[cO + 3 * ldc + 3] = t[18]; c[cO + 3 * ldc + 4] = t[22];
        } else {
            s00.intoArray(t, 0); s01.intoArray(t, V); s02.intoArray(t, 2 * V); s03.intoArray(t, 3 * V);
            s04.intoArray(t, 4 * V); s10.intoArray(t, 5 * V); s11.intoArray(t, 6 * V); s12.intoArray(t, 7 * V);
            s13.intoArray(t, 8 * V); s14.intoArray(t, 9 * V); s20.intoArray(t, 10 * V); s21.intoArray(t, 11 * V);
            s22.intoArray(t, 12 * V); s23.intoArray(t, 13 * V); s24.intoArray(t, 14 * V); s30.intoArray(t, 15 * V);
            s31.intoArray(t, 16 * V); s32.intoArray(t, 17 * V); s33.intoArray(t, 18 * V); s34.intoArray(t, 19 * V);
            sumsToC(t, c, cO, ldc);
        }
        if (p < k) addTails(4, 5, k, p, a, aO, lda, b, bO, ldb, c, c0, ldc, 1);
    }

    /**
     * The lane sums of the 20 accumulators the 4 x 5 block stored at {@code t} (row by row, {@link VectorMath#sumsInto})
     * into C[4][5] at {@code cO}; {@code GemmDot.sumsToC} for doubles.
     */
    private static void sumsToC(double[] t, double[] c, int cO, int ldc) {
        VectorMath.sumsInto(t, 0, 20);
        for (int r = 0; r < MB; r++, cO += ldc) {
            for (int q = 0; q < NB; q++) c[cO + q] = t[r * NB + q];
        }
    }

    /** C[1][5] at {@code cO} = alpha * (one row of A at {@code aO}) . (5 rows of B at {@code bO}) + beta * C. */
    private static void block1x5(int k, double[] a, int aO, double[] b, int bO, int ldb, double[] c, int cO, double alpha, double beta, double[] t) {
        DoubleVector s0 = DoubleVector.zero(S), s1 = s0, s2 = s0, s3 = s0, s4 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0, t4 = s0;
        int b1 = bO + ldb, b2 = b1 + ldb, b3 = b2 + ldb, b4 = b3 + ldb, p = 0;
        for (; p <= k - 2 * V; p += 2 * V) {
            DoubleVector x = DoubleVector.fromArray(S, a, aO + p), z = DoubleVector.fromArray(S, a, aO + p + V);
            s0 = x.fma(DoubleVector.fromArray(S, b, bO + p), s0); t0 = z.fma(DoubleVector.fromArray(S, b, bO + p + V), t0);
            s1 = x.fma(DoubleVector.fromArray(S, b, b1 + p), s1); t1 = z.fma(DoubleVector.fromArray(S, b, b1 + p + V), t1);
            s2 = x.fma(DoubleVector.fromArray(S, b, b2 + p), s2); t2 = z.fma(DoubleVector.fromArray(S, b, b2 + p + V), t2);
            s3 = x.fma(DoubleVector.fromArray(S, b, b3 + p), s3); t3 = z.fma(DoubleVector.fromArray(S, b, b3 + p + V), t3);
            s4 = x.fma(DoubleVector.fromArray(S, b, b4 + p), s4); t4 = z.fma(DoubleVector.fromArray(S, b, b4 + p + V), t4);
        }
        for (; p <= k - V; p += V) {
            DoubleVector x = DoubleVector.fromArray(S, a, aO + p);
            s0 = x.fma(DoubleVector.fromArray(S, b, bO + p), s0);
            s1 = x.fma(DoubleVector.fromArray(S, b, b1 + p), s1);
            s2 = x.fma(DoubleVector.fromArray(S, b, b2 + p), s2);
            s3 = x.fma(DoubleVector.fromArray(S, b, b3 + p), s3);
            s4 = x.fma(DoubleVector.fromArray(S, b, b4 + p), s4);
        }
        s0.add(t0).intoArray(t, 0); s1.add(t1).intoArray(t, V); s2.add(t2).intoArray(t, 2 * V); s3.add(t3).intoArray(t, 3 * V);
        s4.add(t4).intoArray(t, 4 * V);
        VectorMath.sumsInto(t, 0, 5);
        put(c, cO, alpha, beta, t[0]);
        put(c, cO + 1, alpha, beta, t[1]);
        put(c, cO + 2, alpha, beta, t[2]);
        put(c, cO + 3, alpha, beta, t[3]);
        put(c, cO + 4, alpha, beta, t[4]);
        if (p < k) addTails(1, 5, k, p, a, aO, 0, b, bO, ldb, c, cO, 0, alpha);
    }

    /** C[4][1] at {@code cO} = alpha * (4 rows of A at {@code aO}) . (the row of B at {@code bO}) + beta * C. */
    private static void block4x1(int k, double[] a, int aO, int lda, double[] b, int bO,
                                 double[] c, int cO, int ldc, double alpha, double beta, double[] t) {
        DoubleVector s0 = DoubleVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int a1 = aO + lda, a2 = a1 + lda, a3 = a2 + lda, p = 0;
        for (; p <= k - V; p += V) {
            DoubleVector y = DoubleVector.fromArray(S, b, bO + p);
            s0 = DoubleVector.fromArray(S, a, aO + p).fma(y, s0);
            s1 = DoubleVector.fromArray(S, a, a1 + p).fma(y, s1);
            s2 = DoubleVector.fromArray(S, a, a2 + p).fma(y, s2);
            s3 = DoubleVector.fromArray(S, a, a3 + p).fma(y, s3);
        }
        s0.intoArray(t, 0); s1.intoArray(t, V); s2.intoArray(t, 2 * V); s3.intoArray(t, 3 * V);
        VectorMath.sumsInto(t, 0, 4);
        put(c, cO, alpha, beta, t[0]);
        put(c, cO + ldc, alpha, beta, t[1]);
        put(c, cO + 2 * ldc, alpha, beta, t[2]);
        put(c, cO + 3 * ldc, alpha, beta, t[3]);
        if (p < k) addTails(4, 1, k, p, a, aO, lda, b, bO, 0, c, cO, ldc, alpha);
    }

    /**
     * Adds alpha times the products of elements {@code [p0, k)}, past the last whole vector, to a block of C that
     * already holds alpha * (the products before p0) + beta * C.
     */
    private static void addTails(int rows, int cols, int k, int p0, double[] a, int aO, int lda, double[] b, int bO, int ldb,
                                 double[] c, int cO, int ldc, double alpha) {
        for (int r = 0; r < rows; r++) {
            for (int q = 0; q < cols; q++) {
                double s = 0.0;
                for (int p = p0; p < k; p++) s += a[aO + r * lda + p] * b[bO + q * ldb + p];
                c[cO + r * ldc + q] += alpha * s;
            }
        }
    }

    private static void put(double[] c, int idx, double alpha, double beta, double s) {
        c[idx] = beta == 0.0 ? alpha * s : alpha * s + beta * c[idx];
    }
}
