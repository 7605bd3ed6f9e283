package dev.mithril.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code C = alpha * A * B^T + beta * C} for few rows of A (a batch) when both A's rows and B's rows are contiguous
 * along k (B is a linear layer's weight {@code w[n][k]}): every element of C is a dot product of two contiguous rows,
 * so B is read straight from the caller's array instead of being packed. Packing would cost a transposing copy of all
 * of B on every call, as much as the product itself at batch 32. Blocks of 4 rows of A by 5 rows of B keep 20
 * vector accumulators and load 9 vectors per 20 FMAs (4 x 4: 8 per 16); a classifier layer's 10 outputs are two
 * blocks with no edge. When one thread's share of B is small (up to {@link #SMALL_B} floats: the classifier's
 * 10 x 256) the blocks go row block by row block, so that 4 rows of A are read once for all of B, which stays in L1;
 * otherwise column block by column block, so that each 5 rows of B stay in L1 while all of A's rows stream past them
 * from L2. (2 x 8 blocks, which load less from L2, measured slower at batch 32; so did 4 x 2, 2 x 10, a k loop
 * unrolled twice, and a row loop inside the block method.)
 *
 * <p>The 16-lane sums at the end of each dot product are about a quarter of the time at 32 x 10 x 256 (20
 * {@code reduceLanes} per block). A butterfly of two-vector permutes that folds 16 accumulators into one vector of
 * sums did not pay on JDK 25: written out in a block method it passes C2's NodeCountInliningCutoff and the vectors
 * are boxed; spilled to a tile and folded by a separate method, the permutes' index checks run once per block and it
 * measured slower than {@code reduceLanes} (0.61 against 0.71 of OpenBLAS). The two-vector {@code selectFrom} (an
 * intrinsic on JDK 25) fares no better: its butterfly passes the cutoff even in a 4 x 4 block (0.6 of this code's
 * speed). The 4 x 5 block is at the edge of what C2 compiles whole: even 19 vector adds folding its accumulators
 * before one {@code reduceLanes} pass the cutoff, and the scalar stores after them are left as calls. The products
 * past the last whole vector ({@code k % V}) are added by {@link #addTails} after the block is stored, not into each
 * sum.
 *
 * <p>The 4 x 5 blocks read B best from a copy with each block's 5 rows interleaved per vector ({@link #packDots}):
 * all 5 weight vectors at one address and fixed distances, so the loop keeps 4 fewer addresses live. Weights packed
 * once ({@link Gemm#pack}) of at most one panel of outputs carry that copy, and {@link Gemm#linear} passes it here;
 * other products with alpha 1 and beta 0 and at least two rows of blocks (8 rows) copy a small B
 * ({@link #MAX_COPIED_DOTS}) on each call, as the first row of blocks reads it in place ({@link #copying4x5} stores each
 * weight vector into the copy beside its FMAs), so that no separate pass reads B (one thread: classifier 0.93-0.95 ->
 * 0.94-0.97, 8 x 64 x 256 0.61-0.62 -> 0.82-0.84). With one row of blocks nothing would read the copy (4 x 10 x 256:
 * 0.77-0.84 -> 0.99-1.01 without it).
 * Every 4 x 5 block, interleaved or in place, stores plain sums: alpha and beta would hold 2 of the 32 vector
 * registers across the loop (its 20 accumulators, 5 weight vectors and 4 rows of A take 29; with both, C2 moved
 * accumulators between registers in every iteration). Where alpha or beta asks for more, the sums go to a small per-thread block that is
 * then combined with C. On the classifier 32 x 10 x 256, one thread, median over 64 placements of the operands
 * (GemmAlignment): {@code linear} 0.87 -> 1.01-1.02 of OpenBLAS, {@code sgemm} 0.87 -> 0.94-0.97.
 *
 * <p>The columns are split over threads in whole blocks, or, when there are fewer than two blocks per thread, the rows
 * in multiples of the tallest block the column edge uses, with a larger first share for the calling thread when the
 * product is short ({@link #rowShares}). Either way each element is computed by the same code, to the same bit,
 * whatever the thread count (the lane sums are {@link VectorMath}'s fixed-order folds). Bias, residual and activation
 * are applied by a vector pass over each finished row segment.
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
    /** Rows of A and of B per block (20 accumulators); NB is also the unit the columns are split in. */
    private static final int MB = 4, NB = 5;
    /**
     * 16 vector registers (AVX2): the 4 x 5 blocks' 20 accumulators, 5 weight vectors and 4 rows of A do not fit, and
     * neither do the 8 x 2 and 16 x 1 edge blocks. There every pair of columns goes by 4 x 2 blocks (8 accumulators,
     * 6 loads per 8 FMAs) reading B in place; the one to three rows below the last 4 keep the 2 x 5 and 1 x 5 blocks
     * ({@link #pairs}). With {@code -XX:UseAVX=2}, on hot data: 4 x 2 ran at 75-78 GFLOP/s where 4 x 5 ran at 60 (a
     * 124 GFLOP/s peak); batch-32 {@code sgemm} went from 0.72-0.84 to 0.94-1.01 of OpenBLAS (docs/BENCHMARKS.md).
     */
    private static final boolean NARROW = !GemmTuning.WIDE_REGISTER_FILE;
    /**
     * Up to this many floats of B (its rows in one thread's columns) the blocks go row block by row block: two thirds
     * of a 48 KiB L1, leaving room for the 4 rows of A at depths up to about 1000. Raised from 4096, a third, which
     * sent B's of 20 x 256 and 10 x 512 column block by column block: against OpenBLAS on one thread, {@code sgemm}
     * 32 x 20 x 256 went from 0.83 to 0.90-0.91, 32 x 10 x 512 from 1.16 to 1.30-1.31, 96 x 20 x 256 from 1.27-1.28 to
     * 1.40-1.41; packed weights 96 x 20 x 256 1.33 -> 1.44, 32 x 10 x 512 1.32 -> 1.46; 32 x 28 x 256 level (0.80-0.82,
     * packed 0.90-0.94). Past it, 32 x 10 x 1000 (10,000 floats) read 0.94 column first and 0.89 row first.
     */
    private static final int SMALL_B = 8192;
    private GemmDot() {}

    static void run(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, GemmKernel.Out o) {
        run(m, n, k, a, aOff, lda, b, bOff, ldb, null, 0, o);
    }

    /**
     * As {@link #run(int, int, int, float[], int, int, float[], int, int, GemmKernel.Out)}, with the 4 x 5 blocks
     * reading B's whole vectors from {@code dots} at {@code dOff}, B's rows interleaved by {@link #packDots} (null:
     * B in place). The rest (the columns past the last 5, the rows below the last 4, the products past the last whole
     * vector) still reads B in place, so {@code b} is required either way. With {@code dots}, alpha must be 1 and beta
     * 0 (a linear layer that does not accumulate).
     */
    static void run(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                    float[] dots, int dOff, GemmKernel.Out o) {
        if (dots != null && (o.alpha() != 1f || o.beta() != 0f)) {
            throw new IllegalArgumentException("GemmDot: the interleaved blocks take alpha 1 and beta 0, not "
                    + o.alpha() + " and " + o.beta());
        }
        boolean parallel = Parallel.threads() > 1 && (long) m * n * k >= SERIAL_WORK;
        // a small B is interleaved here, when one thread does it all: lines this thread has just written would be
        // read by the other thread from this core's cache (the classifier on two threads went 0.9 -> 0.7 of OpenBLAS)
        boolean copyFirst = false;
        if (NARROW) dots = null; // the 4 x 2 blocks read B in place
        else if (dots == null && !parallel && m >= 2 * MB && o.alpha() == 1f && o.beta() == 0f) { // a row of blocks reads it
            int size = dotsSize(n, k);
            if (size > 0 && size <= MAX_COPIED_DOTS) {
                CacheLines.Tracked t = dotsBuffer(size);
                dots = t.data();
                dOff = t.start();
                copyFirst = true; // written by the first row of blocks as they read B (copying4x5)
            }
        }
        long lineStride = ((long) k + 15) & ~15L; // floats per copied row: whole 64-byte lines
        if (linesUpRows(n, parallel) && m * lineStride + CacheLines.SLACK <= MAX_LINED_A) {
            // A's rows copied so that each starts on a cache line: the same values summed in the same order
            int ld = (int) lineStride;
            CacheLines.Tracked lined = linedRows(m * ld + CacheLines.SLACK);
            int start = lined.start();
            float[] copy = lined.data();
            for (int i = 0; i < m; i++) System.arraycopy(a, aOff + i * lda, copy, start + i * ld, k);
            a = copy;
            aOff = start;
            lda = ld;
        }
        int blocks = (n + NB - 1) / NB;
        if (!parallel) {
            columns(0, m, k, a, aOff, lda, b, bOff, ldb, dots, dOff, copyFirst, o, 0, n);
            return;
        }
        Split s = SPLITS.get();
        if (s.inUse) s = new Split(); // started from inside another parallel body on this thread
        s.inUse = true;
        s.m = m; s.n = n; s.k = k; s.a = a; s.aOff = aOff; s.lda = lda; s.b = b; s.bOff = bOff; s.ldb = ldb; s.o = o;
        s.dots = dots; s.dOff = dOff;
        // fewer column blocks than two per thread: rows are split instead, so that the threads' shares stay balanced
        // and write C's rows apart rather than sharing every row's line
        int threads = Parallel.threads();
        s.byRows = blocks < 2 * threads && m >= 2 * ROW_UNIT;
        try {
            if (s.byRows && s.bounds.length < threads + 1) s.bounds = new int[threads + 1];
            Parallel.forRange(s.byRows ? rowShares(m, n, k, threads, NARROW, s.bounds) : blocks, 1, s);
        } finally {
            s.a = null; s.b = null; s.o = null; s.dots = null;
            s.inUse = false;
        }
    }

    /**
     * Below this many multiply-adds one thread does it all. A region costs about 0.6 µs on the 2-core VM of the
     * benchmarks (two cache-line round trips and the bookkeeping, {@link Parallel}); on two threads the classifier
     * layer 32 x 10 x 256 (81,920) took 1.50 µs split against 1.67 on one thread, 16 x 10 x 256 and 32 x 10 x 128
     * (40,960) 1.1-1.3 µs split against 0.86-1.10 on one, 32 x 32 x 64 (65,536) 2.2-2.4 against 2.6.
     */
    static final long SERIAL_WORK = 64L * 1024;
    /**
     * The tallest block (16 x 1). Rows are split over threads only from two of these on, and in multiples of the
     * tallest block that the product's column edge uses ({@link #rowUnit}), so that every share starts where a block
     * of each height would start in the whole product, and each element is computed by the same block as on one thread.
     */
    private static final int ROW_UNIT = 16;
    /**
     * How long after the calling thread a worker starts on its share of a region, in nanoseconds (property
     * {@code mithril.dot.workerLagNs}). Measured on the 2-core VM of the benchmarks: a worker began its share 300-450
     * ns after the caller began its own (a cache line to the worker and the claim), and a bare round trip between the
     * two cores takes 300 ns.
     */
    static final long WORKER_LAG_NS = Math.max(0, Long.getLong("mithril.dot.workerLagNs", 300));
    /** Multiply-adds per nanosecond that one thread's 4 x 5 blocks run at (about 100 GFLOP/s), for {@link #rowShares}. */
    private static final double MACS_PER_NS = 50;

    /**
     * The rows of a product split over {@code threads} by rows: fills {@code bounds[0 .. shares]} with the shares'
     * first rows (and {@code m} last) and returns the number of shares. Shares are whole multiples of
     * {@link #rowUnit} rows (the last one may be short). The first share, which the calling thread runs, is larger by
     * the rows it can finish in {@link #WORKER_LAG_NS}: for short products the workers' later start is a large part of
     * the region. The classifier 32 x 10 x 256 on two threads goes 20 / 12 rows: 1.39-1.63 µs a call against 1.55-1.78
     * for 16 / 16 (packed weights 1.37-1.52 against 1.49-1.70), both alternating in one JVM, six JVMs; 64 x 10 x 256
     * 3.27 -> 2.94 µs. At 32 x 10 x 1024 and deeper products the shares are even.
     */
    static int rowShares(int m, int n, int k, int threads, boolean narrow, int[] bounds) {
        int unit = rowUnit(n, narrow), units = (m + unit - 1) / unit, shares = Math.max(1, Math.min(threads, units));
        double rowNanos = (double) n * k / MACS_PER_NS;
        int extra = (int) Math.round(WORKER_LAG_NS / rowNanos / unit); // units the caller does while the workers start
        int each = Math.max(1, (units - extra) / shares), first = units - (shares - 1) * each;
        bounds[0] = 0;
        bounds[1] = Math.min(m, first * unit);
        for (int i = 2; i <= shares; i++) bounds[i] = Math.min(m, bounds[i - 1] + each * unit);
        return shares;
    }

    /**
     * The tallest block {@link #columns} uses for a product with {@code n} columns: 4 x 5 and 4 x 4 blocks (and 4 x 2
     * with 16 registers) where the columns leave none over, or 4, or 3 that go as 4 x 4 blocks ({@link #edgeFours}); an
     * 8 x 2 block for 2 left over; a 16 x 1 block for 1, or for 3 that do not.
     */
    static int rowUnit(int n, boolean narrow) {
        if (narrow || edgeFours(n) > 0) return MB;
        int edge = n % NB;
        return edge == 0 ? MB : edge == 2 ? 8 : ROW_UNIT;
    }

    /**
     * How many 4 x 4 blocks take the last columns of a share of {@code cols} columns: one for 4 columns past the last
     * 5-column block; for 3, where there is a 5-column block to give up, two over the last 8 columns instead of an 8 x 2
     * and a 16 x 1 block (32 x 8 x 256, one thread: 0.74-0.77 -> 0.81-0.83 of OpenBLAS, where the edge blocks had been
     * half the time). A share split by columns that has the edge has at least two blocks' columns ({@link #run}), so it
     * takes the same blocks as the whole product.
     */
    static int edgeFours(int cols) {
        int edge = cols % NB;
        return edge == 4 ? 1 : edge == 3 && cols >= 8 ? 2 : 0;
    }
    private static final ThreadLocal<Split> SPLITS = ThreadLocal.withInitial(Split::new);

    /**
     * From this many columns of C on, A's rows are first copied into a buffer where each starts on a 64-byte line (where
     * addresses are known, {@link CacheLines}). Rows whose vectors straddle two lines made 32 x 1024 x 1024 take 820-950
     * µs instead of 625 (GemmAlignment, one thread), and the batch-32 shapes of the cross-check ran at 83-85 GFLOP/s or
     * at 108-113 depending on where the arrays fell. The copy is k floats per row against n multiply-adds per float:
     * a few percent of the product at 128 columns on one thread (the classifier's 10 would pay more than it gains).
     * On two threads the copy stays on the calling thread while the product is split: 32 x 256 x 512 measured 10%
     * slower with it, 32 x 512 x 1024 faster, hence {@link #LINE_UP_N_PARALLEL}.
     */
    static final int LINE_UP_N = 128, LINE_UP_N_PARALLEL = 512;

    /** Whether a product with {@code n} columns copies A's rows onto lines first (float32 and float64 alike). */
    static boolean linesUpRows(int n, boolean parallel) {
        return n >= (parallel ? LINE_UP_N_PARALLEL : LINE_UP_N) && CacheLines.available();
    }
    /**
     * Up to this many floats of B (its interleaved copy, {@link #dotsSize}) a product without packed weights copies B
     * in its first row of 4 x 5 blocks: 16K floats (64 KiB) take about as long to copy as 4 rows of A take to multiply
     * by them, and stay in L2 for the blocks. (The classifier's 10 x 256 is 2,560.) Larger, the copy would cost more
     * than the layout saves and push A out of the caches.
     */
    static final int MAX_COPIED_DOTS = 16 * 1024;
    private static final ThreadLocal<CacheLines.Tracked> DOTS = new ThreadLocal<>();

    /** This thread's buffer for a copied B's interleaved vectors, at least {@code size} floats from a line. */
    private static CacheLines.Tracked dotsBuffer(int size) {
        CacheLines.Tracked t = DOTS.get();
        if (t == null || t.data().length < size + CacheLines.SLACK) {
            t = new CacheLines.Tracked(new float[MAX_COPIED_DOTS + CacheLines.SLACK]);
            DOTS.set(t);
        }
        return t;
    }

    /** This thread's 4 x 5 block of sums, for products whose alpha or beta asks for more than a store. */
    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[MB * NB]);
    /**
     * This thread's accumulators of one block, stored for their lane sums ({@link VectorMath#sumsInto}): the sums
     * come out the same in every JIT tier, where {@code reduceLanes} would not, and no vector crosses a call that
     * C2 might not inline (a block with 20 sums in line passes its inlining budget and boxes them).
     */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[VectorMath.groupedLength(MB * NB, V)]);

    /** The largest copy kept per thread (floats): 96 rows of 10,240. */
    private static final int MAX_LINED_A = 96 * 10_240 + CacheLines.SLACK;
    private static final ThreadLocal<CacheLines.Tracked> LINED_A = new ThreadLocal<>();

    /** This thread's buffer for A's lined-up rows, at least {@code size} floats. */
    private static CacheLines.Tracked linedRows(int size) {
        CacheLines.Tracked t = LINED_A.get();
        if (t == null || t.data().length < size) {
            t = new CacheLines.Tracked(new float[size]);
            LINED_A.set(t);
        }
        return t;
    }

    /**
     * The region body over blocks of NB columns, or of ROW_UNIT rows ({@code byRows}), reused per calling thread so
     * that a call allocates nothing.
     */
    private static final class Split implements Parallel.RangeBody {
        int m, n, k, aOff, lda, bOff, ldb, dOff;
        float[] a, b, dots;
        GemmKernel.Out o;
        boolean inUse;

        boolean byRows;
        /** The shares' first rows when split by rows ({@link #rowShares}). */
        int[] bounds = new int[3];

        @Override public void run(int from, int to) {
            if (byRows) columns(bounds[from], bounds[to], k, a, aOff, lda, b, bOff, ldb, dots, dOff, false, o, 0, n);
            else columns(0, m, k, a, aOff, lda, b, bOff, ldb, dots, dOff, false, o, from * NB, Math.min(n, to * NB));
        }
    }

    /**
     * Rows {@code [i0, i1)} by columns {@code [j0, j1)} of C: blocks of 4 x 5 dot products; at the column edge 4 x 4
     * blocks ({@link #edgeFours}), or 8 x 2 and 16 x 1 blocks, so that the last one to four columns do not fall to single
     * dot products. The
     * one to three rows below the 4 x 5 blocks go by 2 x 5 and 1 x 5 blocks, which read each 5 rows of B once (single
     * dot products read B once per row: batches of 2, 3 and 6 ran at half the speed of 4); below the edge blocks,
     * single dot products.
     */
    private static void columns(int i0, int i1, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float[] dots, int dOff, boolean copyFirst, GemmKernel.Out o, int j0, int j1) {
        float[] c = o.c();
        float[] t = TILE.get();
        float alpha = o.alpha(), beta = o.beta();
        // from here on, rows count from i0: A, C and m are those of the share
        int ldc = o.ldc(), cOff = o.cOff() + i0 * ldc, m = i1 - i0;
        aOff += i0 * lda;
        if (NARROW) {
            pairs(m, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta, j0, j1, t);
            finishRows(o, i0, i1, j0, j1);
            return;
        }
        float[] sums = alpha == 1f && beta == 0f ? null : SUMS.get(); // null: the 4 x 5 blocks store straight into C
        int fours = edgeFours(j1 - j0);
        int full = j0 + (j1 - j0 - 4 * fours) / NB * NB, rows = m / MB * MB;
        if ((long) (full - j0) * k <= SMALL_B) {
            blocks4x5(rows, j0, full, k, a, aOff, lda, b, bOff, ldb, dots, dOff, copyFirst, c, cOff, ldc, alpha, beta,
                    sums, t);
            for (int j = j0; j < full; j += NB) lastRows(rows, m, j, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta, t);
        } else {
            for (int j = j0; j < full; j += NB) {
                blocks4x5(rows, j, j + NB, k, a, aOff, lda, b, bOff, ldb, dots, dOff, copyFirst, c, cOff, ldc, alpha,
                        beta, sums, t);
                // while these 5 rows of B are still in L1: a second pass over a B larger than L2 would read it from
                // memory again (5 rows of A at 1024 x 1024 ran at 35 GFLOP/s, 4 rows at 54)
                lastRows(rows, m, j, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta, t);
            }
        }
        int j = full, i;
        for (int f = 0; f < fours; f++, j += 4) {
            if (sums == null) {
                stored4x4(rows, k, a, aOff, lda, b, bOff + j * ldb, ldb, c, cOff + j, ldc, t);
            } else {
                for (i = 0; i < rows; i += MB) {
                    block4x4(k, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc, alpha, beta, t);
                }
            }
            singles(rows, m, j, j + 4, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta);
        }
        if (j1 - j >= 2) {
            if (sums == null) {
                stored8x2(m, k, a, aOff, lda, b, bOff + j * ldb, ldb, c, cOff + j, ldc, t);
            } else {
                for (i = 0; i + 8 <= m; i += 8) {
                    block8x2(k, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc, alpha, beta, t);
                }
            }
            singles(m / 8 * 8, m, j, j + 2, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta);
            j += 2;
        }
        if (j < j1) {
            for (i = 0; i + 16 <= m; i += 16) {
                block16x1(k, a, aOff + i * lda, lda, b, bOff + j * ldb, c, cOff + i * ldc + j, ldc, alpha, beta, t);
            }
            singles(i, m, j, j + 1, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta);
        }
        finishRows(o, i0, i1, j0, j1);
    }

    /** Bias, residual and activation, where the product has them, over rows {@code [i0, i1)} by columns {@code [j0, j1)}. */
    private static void finishRows(GemmKernel.Out o, int i0, int i1, int j0, int j1) {
        if (o.ep() != Epilogue.NONE || o.res() != null) {
            for (int r = i0; r < i1; r++) finishRow(o, r, j0, j1 - j0);
        }
    }

    /**
     * {@link #columns} where there are 16 vector registers ({@link #NARROW}): the share's {@code m} rows (A, C and its
     * offsets already moved to them) by columns {@code [j0, j1)}: each pair of columns by 4 x 2 blocks, a last odd column
     * by single dot products; the one to three rows below the last 4 as {@link #columns} does them.
     */
    private static void pairs(int m, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                              float[] c, int cOff, int ldc, float alpha, float beta, int j0, int j1, float[] t) {
        int rows = m / MB * MB, j = j0;
        for (; j + 2 <= j1; j += 2) {
            for (int i = 0; i < rows; i += MB) {
                block4x2(k, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc, alpha, beta, t);
            }
        }
        if (j < j1) singles(0, rows, j, j1, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta);
        // the one to three rows below: 2 x 5 and 1 x 5 blocks as with 32 registers (single dot products there took
        // 2 x 1024 x 1024 from 29.8 to 26.3 GFLOP/s and 3 x 1024 x 784 from 40.2 to 32.6), then single dot products
        int full = j0 + (j1 - j0) / NB * NB;
        for (int jj = j0; jj < full && rows < m; jj += NB) lastRows(rows, m, jj, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta, t);
        singles(rows, m, full, j1, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta);
    }

    /** C[4][2] at {@code cO} = alpha * (4 rows of A at {@code aO}) . (2 rows of B at {@code bO}) + beta * C. */
    private static void block4x2(int k, float[] a, int aO, int lda, float[] b, int bO, int ldb,
                                 float[] c, int cO, int ldc, float alpha, float beta, float[] t) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        int p = 0;
        for (; p <= k - V; p += V) {
            FloatVector y0 = FloatVector.fromArray(S, b, bO + p), y1 = FloatVector.fromArray(S, b, bO + ldb + p), x;
            x = FloatVector.fromArray(S, a, aO + p); s00 = x.fma(y0, s00); s01 = x.fma(y1, s01);
            x = FloatVector.fromArray(S, a, aO + lda + p); s10 = x.fma(y0, s10); s11 = x.fma(y1, s11);
            x = FloatVector.fromArray(S, a, aO + 2 * lda + p); s20 = x.fma(y0, s20); s21 = x.fma(y1, s21);
            x = FloatVector.fromArray(S, a, aO + 3 * lda + p); s30 = x.fma(y0, s30); s31 = x.fma(y1, s31);
        }
        if (V == 8) {
            // the sums in registers: pairs of accumulators blended and added level by level (VectorMath.sumsInto's order)
            s00 = s00.blend(s01, VectorMath.FM4).add(s01.blend(s00, VectorMath.FM4).rearrange(VectorMath.FX4));
            s10 = s10.blend(s11, VectorMath.FM4).add(s11.blend(s10, VectorMath.FM4).rearrange(VectorMath.FX4));
            s20 = s20.blend(s21, VectorMath.FM4).add(s21.blend(s20, VectorMath.FM4).rearrange(VectorMath.FX4));
            s30 = s30.blend(s31, VectorMath.FM4).add(s31.blend(s30, VectorMath.FM4).rearrange(VectorMath.FX4));
            s00 = s00.blend(s10, VectorMath.FM2).add(s10.blend(s00, VectorMath.FM2).rearrange(VectorMath.FX2));
            s20 = s20.blend(s30, VectorMath.FM2).add(s30.blend(s20, VectorMath.FM2).rearrange(VectorMath.FX2));
            s00 = s00.blend(s20, VectorMath.FM1).add(s20.blend(s00, VectorMath.FM1).rearrange(VectorMath.FX1));
            s00.intoArray(t, 0);
            put(c, cO, alpha, beta, t[0]); put(c, cO + 1, alpha, beta, t[4]);
            put(c, cO + ldc, alpha, beta, t[2]); put(c, cO + ldc + 1, alpha, beta, t[6]);
            put(c, cO + 2 * ldc, alpha, beta, t[1]); put(c, cO + 2 * ldc + 1, alpha, beta, t[5]);
            put(c, cO + 3 * ldc, alpha, beta, t[3]); put(c, cO + 3 * ldc + 1, alpha, beta, t[7]);
        } else {
            s00.intoArray(t, 0); s01.intoArray(t, V); s10.intoArray(t, 2 * V); s11.intoArray(t, 3 * V);
            s20.intoArray(t, 4 * V); s21.intoArray(t, 5 * V); s30.intoArray(t, 6 * V); s31.intoArray(t, 7 * V);
            VectorMath.sumsInto(t, 0, 8);
            put(c, cO, alpha, beta, t[0]);
            put(c, cO + 1, alpha, beta, t[1]);
            put(c, cO + ldc, alpha, beta, t[2]);
            put(c, cO + ldc + 1, alpha, beta, t[3]);
            put(c, cO + 2 * ldc, alpha, beta, t[4]);
            put(c, cO + 2 * ldc + 1, alpha, beta, t[5]);
            put(c, cO + 3 * ldc, alpha, beta, t[6]);
            put(c, cO + 3 * ldc + 1, alpha, beta, t[7]);
        }
        if (p < k) addTails(4, 2, k, p, a, aO, lda, b, bO, ldb, c, cO, ldc, alpha);
    }

    /**
     * The one to three rows {@code [i, m)} below the 4-row blocks, by the 5 columns at {@code j}: 2 x 5 and 1 x 5
     * blocks, which read the 5 rows of B once each.
     */
    private static void lastRows(int i, int m, int j, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                 float[] c, int cOff, int ldc, float alpha, float beta, float[] t) {
        if (m - i >= 2) {
            block2x5(k, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc, alpha, beta, t);
            i += 2;
        }
        if (i < m) block1x5(k, a, aOff + i * lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, alpha, beta, t);
    }

    /** Rows {@code [i0, m)} by columns {@code [ja, jb)} of C, one dot product each. */
    private static void singles(int i0, int m, int ja, int jb, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, float alpha, float beta) {
        for (int i = i0; i < m; i++) {
            for (int j = ja; j < jb; j++) {
                float s = VectorMath.dotOf(a, aOff + i * lda, b, bOff + j * ldb, k);
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

    /**
     * The 4 x 5 blocks of rows {@code [0, rows)} by columns {@code [ja, jb)} of C (multiples of the block) = alpha * A . B
     * + beta * C. With {@code dots} (alpha 1, beta 0, {@link #run}) from B's interleaved vectors, all of them in one
     * call of {@link #interleavedBlocks} (the first row of blocks writes them as it reads B where {@code copyFirst}),
     * then the products past the last whole vector from B in place; else from B in place, all in one call of
     * {@link #block4x5} where alpha is 1 and beta 0 ({@code sums} null), otherwise block by block into {@code sums},
     * which is then combined with C.
     */
    private static void blocks4x5(int rows, int ja, int jb, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float[] dots, int dOff, boolean copyFirst, float[] c, int cOff, int ldc, float alpha,
                                  float beta, float[] sums, float[] t) {
        if (dots == null && sums == null) {
            block4x5(rows, jb - ja, k, a, aOff, lda, b, bOff + ja * ldb, ldb, c, cOff + ja, ldc, t);
            return;
        }
        if (dots == null) {
            for (int i = 0; i < rows; i += MB) {
                for (int j = ja; j < jb; j += NB) {
                    int cO = cOff + i * ldc + j;
                    block4x5(MB, NB, k, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, sums, 0, NB, t);
                    for (int r = 0; r < MB; r++) {
                        for (int q = 0; q < NB; q++) put(c, cO + r * ldc + q, alpha, beta, sums[r * NB + q]);
                    }
                }
            }
            return;
        }
        int kv = k / V * V, i = 0;
        if (copyFirst && rows > 0) {
            for (int j = ja; j < jb; j += NB) {
                copying4x5(k, a, aOff, lda, b, bOff + j * ldb, ldb, dots, dOff + j * kv, c, cOff + j, ldc, t);
            }
            i = MB;
        }
        if (i < rows) {
            interleavedBlocks(rows - i, jb - ja, kv, a, aOff + i * lda, lda, dots, dOff + ja * kv, c, cOff + i * ldc + ja, ldc, t);
        }
        if (kv < k) {
            for (; i < rows; i += MB) {
                for (int j = ja; j < jb; j += NB) {
                    addTails(4, 5, k, kv, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc, 1f);
                }
            }
        }
    }

    /**
     * The 4 x 5 blocks of C at {@code cO0}, {@code rows} by {@code cols} (multiples of 4 and 5) = (the rows of A at
     * {@code aO0}) . (the rows of B at {@code bO0}, in place), stored as they are: like {@link #interleavedBlocks}, all
     * in one call, and no alpha or beta live across the loop (classifier 32 x 10 x 256 with B in place: 0.86 -> 0.91 of
     * OpenBLAS on one thread, +8% on two).
     */
    private static void block4x5(int rows, int cols, int k, float[] a, int aO0, int lda, float[] b, int bO0, int ldb,
                                 float[] c, int cO0, int ldc, float[] t) {
        for (int i = 0; i < rows; i += MB) {
            for (int j = 0; j < cols; j += NB) {
                int aO = aO0 + i * lda, bO = bO0 + j * ldb, cO = cO0 + i * ldc + j;
                FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s04 = s00, s10 = s00, s11 = s00,
                        s12 = s00, s13 = s00, s14 = s00, s20 = s00, s21 = s00, s22 = s00, s23 = s00, s24 = s00, s30 = s00,
                        s31 = s00, s32 = s00, s33 = s00, s34 = s00;
                int a1 = aO + lda, a2 = a1 + lda, a3 = a2 + lda, p = 0;
                int b1 = bO + ldb, b2 = b1 + ldb, b3 = b2 + ldb, b4 = b3 + ldb;
                for (; p <= k - V; p += V) {
                    FloatVector y0 = FloatVector.fromArray(S, b, bO + p), y1 = FloatVector.fromArray(S, b, b1 + p),
                            y2 = FloatVector.fromArray(S, b, b2 + p), y3 = FloatVector.fromArray(S, b, b3 + p),
                            y4 = FloatVector.fromArray(S, b, b4 + p), x;
                    x = FloatVector.fromArray(S, a, aO + p);
                    s00 = x.fma(y0, s00); s01 = x.fma(y1, s01); s02 = x.fma(y2, s02); s03 = x.fma(y3, s03); s04 = x.fma(y4, s04);
                    x = FloatVector.fromArray(S, a, a1 + p);
                    s10 = x.fma(y0, s10); s11 = x.fma(y1, s11); s12 = x.fma(y2, s12); s13 = x.fma(y3, s13); s14 = x.fma(y4, s14);
                    x = FloatVector.fromArray(S, a, a2 + p);
                    s20 = x.fma(y0, s20); s21 = x.fma(y1, s21); s22 = x.fma(y2, s22); s23 = x.fma(y3, s23); s24 = x.fma(y4, s24);
                    x = FloatVector.fromArray(S, a, a3 + p);
                    s30 = x.fma(y0, s30); s31 = x.fma(y1, s31); s32 = x.fma(y2, s32); s33 = x.fma(y3, s33); s34 = x.fma(y4, s34);
                }
                if (V == 16) {
                    // the sums in registers: pairs of accumulators blended and added level by level
                    // (VectorMath.sumsInto's order)
                    VectorMask<Float> m8 = VectorMask.fromLong(S, VectorMath.FM8_BITS);
                    VectorMask<Float> m4 = VectorMask.fromLong(S, VectorMath.FM4_BITS);
                    VectorMask<Float> m2 = VectorMask.fromLong(S, VectorMath.FM2_BITS);
                    VectorMask<Float> m1 = VectorMask.fromLong(S, VectorMath.FM1_BITS);
                    s00 = s00.blend(s01, m8).add(s01.blend(s00, m8).rearrange(VectorMath.FX8));
                    s02 = s02.blend(s03, m8).add(s03.blend(s02, m8).rearrange(VectorMath.FX8));
                    s04 = s04.blend(s10, m8).add(s10.blend(s04, m8).rearrange(VectorMath.FX8));
                    s11 = s11.blend(s12, m8).add(s12.blend(s11, m8).rearrange(VectorMath.FX8));
                    s13 = s13.blend(s14, m8).add(s14.blend(s13, m8).rearrange(VectorMath.FX8));
                    s20 = s20.blend(s21, m8).add(s21.blend(s20, m8).rearrange(VectorMath.FX8));
                    s22 = s22.blend(s23, m8).add(s23.blend(s22, m8).rearrange(VectorMath.FX8));
                    s24 = s24.blend(s30, m8).add(s30.blend(s24, m8).rearrange(VectorMath.FX8));
                    s31 = s31.blend(s32, m8).add(s32.blend(s31, m8).rearrange(VectorMath.FX8));
                    s33 = s33.blend(s34, m8).add(s34.blend(s33, m8).rearrange(VectorMath.FX8));
                    s00 = s00.blend(s02, m4).add(s02.blend(s00, m4).rearrange(VectorMath.FX4));
                    s04 = s04.blend(s11, m4).add(s11.blend(s04, m4).rearrange(VectorMath.FX4));
                    s13 = s13.blend(s20, m4).add(s20.blend(s13, m4).rearrange(VectorMath.FX4));
                    s22 = s22.blend(s24, m4).add(s24.blend(s22, m4).rearrange(VectorMath.FX4));
                    s31 = s31.blend(s33, m4).add(s33.blend(s31, m4).rearrange(VectorMath.FX4));
                    s00 = s00.blend(s04, m2).add(s04.blend(s00, m2).rearrange(VectorMath.FX2));
                    s13 = s13.blend(s22, m2).add(s22.blend(s13, m2).rearrange(VectorMath.FX2));
                    s31 = s31.add(s31.rearrange(VectorMath.FX2));
                    s00 = s00.blend(s13, m1).add(s13.blend(s00, m1).rearrange(VectorMath.FX1));
                    s31 = s31.add(s31.rearrange(VectorMath.FX1));
                    // rows 0 to 2 and C[3][0] in order; C[3][0] into s31's lane 15 (C[3][4] stays in its lanes 12
                    // to 14) and row 3 from there
                    FloatVector u = s00.rearrange(VectorMath.FREV);
                    u.intoArray(c, cO, VectorMask.fromLong(S, ROW0));
                    u.intoArray(c, cO + ldc - 5, VectorMask.fromLong(S, ROW1));
                    u.intoArray(c, cO + 2 * ldc - 10, VectorMask.fromLong(S, ROW2));
                    s31.blend(s00, VectorMask.fromLong(S, 0x8000L)).rearrange(LAST_ROW)
                            .intoArray(c, cO + 3 * ldc - 11, VectorMask.fromLong(S, ROW3));
                } else {
                    s00.intoArray(t, 0); s01.intoArray(t, V); s02.intoArray(t, 2 * V); s03.intoArray(t, 3 * V);
                    s04.intoArray(t, 4 * V); s10.intoArray(t, 5 * V); s11.intoArray(t, 6 * V); s12.intoArray(t, 7 * V);
                    s13.intoArray(t, 8 * V); s14.intoArray(t, 9 * V); s20.intoArray(t, 10 * V); s21.intoArray(t, 11 * V);
                    s22.intoArray(t, 12 * V); s23.intoArray(t, 13 * V); s24.intoArray(t, 14 * V); s30.intoArray(t, 15 * V);
                    s31.intoArray(t, 16 * V); s32.intoArray(t, 17 * V); s33.intoArray(t, 18 * V); s34.intoArray(t, 19 * V);
                    sumsToC(t, c, cO, ldc);
                }
                if (p < k) addTails(4, 5, k, p, a, aO, lda, b, bO, ldb, c, cO, ldc, 1f);
            }
        }
    }

    /** Whether {@code m} rows make at least one block of 4, the only blocks that read the interleaved copy. */
    static boolean hasRowBlocks(int m) { return m >= MB; }

    /**
     * Floats of the interleaved copy of {@code w[n][k]} that {@link #packDots} writes: its whole blocks of 5 rows,
     * whole vectors of k only.
     */
    static int dotsSize(int n, int k) { return n / NB * NB * (k / V * V); }

    /**
     * Copies {@code w[n][k]} (row stride {@code ldw}) so that each block of 5 rows (NB) has its vectors of k side by
     * side: for block {@code g} and vector {@code p} (a multiple of V below {@code kv = k / V * V}), row
     * {@code 5g + r}'s floats {@code p .. p + V - 1} land at {@code dOff + 5g * kv + 5p + r * V}. A 4 x 5 block then
     * reads its 5 weight vectors at one address and fixed distances. Rows past the last whole block and floats past
     * the last whole vector are not copied: {@link #run} reads those in place.
     *
     * <p>BLENDED: rows 0 and 1 of a block, and rows 2 and 3, swap the upper halves of their vectors (lanes V/2 to
     * V - 1, {@link #HALF}). An accumulator of the 4 x 5 blocks then holds column 0's products in its lower lanes and
     * column 1's in its upper ones, and its partner the rest, so the first level of the lane sums (lane i with lane
     * i + V/2) is a permute and an add where it had been two blends, a permute and an add: 16 of the 20 accumulators go
     * so (column 4 pairs across rows, and keeps the blends). Every lane is the same product summed in the same order,
     * so the sums keep their bits. Classifier 32 x 10 x 256, one thread, with the masks and the row-3 store of the same
     * change: {@code sgemm} 0.94-0.96 -> 0.97-0.98 of OpenBLAS, packed weights 1.02-1.03 -> 1.04-1.05.
     */
    static void packDots(float[] w, int wOff, int ldw, int n, int k, float[] dst, int dOff) {
        int kv = k / V * V;
        for (int g = 0; g + NB <= n; g += NB) {
            int w0 = wOff + g * ldw, w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw, w4 = w3 + ldw;
            for (int p = 0; p < kv; p += V) {
                FloatVector y0 = FloatVector.fromArray(S, w, w0 + p), y1 = FloatVector.fromArray(S, w, w1 + p),
                        y2 = FloatVector.fromArray(S, w, w2 + p), y3 = FloatVector.fromArray(S, w, w3 + p);
                int to = dOff + g * kv + NB * p;
                y0.blend(y1, HALF).intoArray(dst, to);
                y1.blend(y0, HALF).intoArray(dst, to + V);
                y2.blend(y3, HALF).intoArray(dst, to + 2 * V);
                y3.blend(y2, HALF).intoArray(dst, to + 3 * V);
                FloatVector.fromArray(S, w, w4 + p).intoArray(dst, to + 4 * V);
            }
        }
    }

    /**
     * {@link #block4x5} (alpha 1, beta 0) that also stores each whole vector of its 5 rows of B where {@link #packDots}
     * would put it (its pairs' halves swapped, and multiplied so), the block at {@code dOff}: the first row of blocks
     * makes the interleaved copy that the rows below read, so no separate pass reads B (one thread: classifier
     * 32 x 10 x 256 0.93-0.95 -> 0.94-0.97 of OpenBLAS, 8 x 64 x 256 0.61-0.62 -> 0.82-0.84). A method of its own: as
     * a flag of {@code block4x5} (a test in the loop, which C2 answers by compiling the loop twice) it made that block
     * large enough that, after some mixes of calls, C2 compiled it with its vector operations left to the Java
     * fallback (an MLP training step allocated 29 MB).
     */
    private static void copying4x5(int k, float[] a, int aO, int lda, float[] b, int bO, int ldb, float[] dots, int dOff,
                                   float[] c, int cO, int ldc, float[] t) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s04 = s00, s10 = s00, s11 = s00, s12 = s00,
                s13 = s00, s14 = s00, s20 = s00, s21 = s00, s22 = s00, s23 = s00, s24 = s00, s30 = s00, s31 = s00, s32 = s00,
                s33 = s00, s34 = s00;
        int a1 = aO + lda, a2 = a1 + lda, a3 = a2 + lda, b1 = bO + ldb, b2 = b1 + ldb, b3 = b2 + ldb, b4 = b3 + ldb, p = 0;
        for (; p <= k - V; p += V) {
            FloatVector y0 = FloatVector.fromArray(S, b, bO + p), y1 = FloatVector.fromArray(S, b, b1 + p),
                    y2 = FloatVector.fromArray(S, b, b2 + p), y3 = FloatVector.fromArray(S, b, b3 + p),
                    y4 = FloatVector.fromArray(S, b, b4 + p), x;
            int q = dOff + NB * p;
            FloatVector e = y0.blend(y1, HALF);
            y1 = y1.blend(y0, HALF);
            y0 = e;
            e = y2.blend(y3, HALF);
            y3 = y3.blend(y2, HALF);
            y2 = e;
            y0.intoArray(dots, q); y1.intoArray(dots, q + V); y2.intoArray(dots, q + 2 * V); y3.intoArray(dots, q + 3 * V);
            y4.intoArray(dots, q + 4 * V);
            x = FloatVector.fromArray(S, a, aO + p);
            s00 = x.fma(y0, s00); s01 = x.fma(y1, s01); s02 = x.fma(y2, s02); s03 = x.fma(y3, s03); s04 = x.fma(y4, s04);
            x = FloatVector.fromArray(S, a, a1 + p);
            s10 = x.fma(y0, s10); s11 = x.fma(y1, s11); s12 = x.fma(y2, s12); s13 = x.fma(y3, s13); s14 = x.fma(y4, s14);
            x = FloatVector.fromArray(S, a, a2 + p);
            s20 = x.fma(y0, s20); s21 = x.fma(y1, s21); s22 = x.fma(y2, s22); s23 = x.fma(y3, s23); s24 = x.fma(y4, s24);
            x = FloatVector.fromArray(S, a, a3 + p);
            s30 = x.fma(y0, s30); s31 = x.fma(y1, s31); s32 = x.fma(y2, s32); s33 = x.fma(y3, s33); s34 = x.fma(y4, s34);
        }
        if (V == 16) {
            // the sums in registers, in VectorMath.sumsInto's order. Columns 0 and 1, and 2 and 3, of each row come out
            // of the loop already blended (BLENDED), so their first level is a permute and an add
            VectorMask<Float> m8 = VectorMask.fromLong(S, VectorMath.FM8_BITS), m4 = VectorMask.fromLong(S, VectorMath.FM4_BITS);
            VectorMask<Float> m2 = VectorMask.fromLong(S, VectorMath.FM2_BITS), m1 = VectorMask.fromLong(S, VectorMath.FM1_BITS);
            s00 = s00.add(s01.rearrange(VectorMath.FX8)); s02 = s02.add(s03.rearrange(VectorMath.FX8));
            s10 = s10.add(s11.rearrange(VectorMath.FX8)); s12 = s12.add(s13.rearrange(VectorMath.FX8));
            s20 = s20.add(s21.rearrange(VectorMath.FX8)); s22 = s22.add(s23.rearrange(VectorMath.FX8));
            s30 = s30.add(s31.rearrange(VectorMath.FX8)); s32 = s32.add(s33.rearrange(VectorMath.FX8));
            s04 = s04.blend(s14, m8).add(s14.blend(s04, m8).rearrange(VectorMath.FX8));
            s24 = s24.blend(s34, m8).add(s34.blend(s24, m8).rearrange(VectorMath.FX8));
            s00 = s00.blend(s02, m4).add(s02.blend(s00, m4).rearrange(VectorMath.FX4));
            s10 = s10.blend(s12, m4).add(s12.blend(s10, m4).rearrange(VectorMath.FX4));
            s20 = s20.blend(s22, m4).add(s22.blend(s20, m4).rearrange(VectorMath.FX4));
            s30 = s30.blend(s32, m4).add(s32.blend(s30, m4).rearrange(VectorMath.FX4));
            s04 = s04.blend(s24, m4).add(s24.blend(s04, m4).rearrange(VectorMath.FX4));
            s00 = s00.blend(s10, m2).add(s10.blend(s00, m2).rearrange(VectorMath.FX2));
            s20 = s20.blend(s30, m2).add(s30.blend(s20, m2).rearrange(VectorMath.FX2));
            s04 = s04.add(s04.rearrange(VectorMath.FX2));
            s00 = s00.blend(s20, m1).add(s20.blend(s00, m1).rearrange(VectorMath.FX1));
            s04 = s04.add(s04.rearrange(VectorMath.FX1));
            // s00's lane b0 + 2 b1 + 4 b2 + 8 b3 holds C[2 b0 + b1][2 b2 + b3]; s04's lanes 0-3, 8-11, 4-7, 12-15 hold
            // C[0..3][4]. Column 4 of rows 0 to 2 goes into row 3's lanes of s00, and C[3][4] into a lane that row 3
            // does not use
            FloatVector u = s00.blend(s04, VectorMask.fromLong(S, 0x8888L)).rearrange(BLENDED_ROWS);
            u.intoArray(c, cO, VectorMask.fromLong(S, ROW0));
            u.intoArray(c, cO + ldc - 5, VectorMask.fromLong(S, ROW1));
            u.intoArray(c, cO + 2 * ldc - 10, VectorMask.fromLong(S, ROW2));
            s00.blend(s04, VectorMask.fromLong(S, 0x1000L)).rearrange(BLENDED_LAST_ROW)
                    .intoArray(c, cO + 3 * ldc - 11, VectorMask.fromLong(S, ROW3));
        } else {
            // the accumulators of columns 0 and 1, and 2 and 3, as block4x5's: each pair's halves swapped back
            FloatVector e;
            e = s00.blend(s01, HALF); s01 = s01.blend(s00, HALF); s00 = e;
            e = s02.blend(s03, HALF); s03 = s03.blend(s02, HALF); s02 = e;
            e = s10.blend(s11, HALF); s11 = s11.blend(s10, HALF); s10 = e;
            e = s12.blend(s13, HALF); s13 = s13.blend(s12, HALF); s12 = e;
            e = s20.blend(s21, HALF); s21 = s21.blend(s20, HALF); s20 = e;
            e = s22.blend(s23, HALF); s23 = s23.blend(s22, HALF); s22 = e;
            e = s30.blend(s31, HALF); s31 = s31.blend(s30, HALF); s30 = e;
            e = s32.blend(s33, HALF); s33 = s33.blend(s32, HALF); s32 = e;
            s00.intoArray(t, 0); s01.intoArray(t, V); s02.intoArray(t, 2 * V); s03.intoArray(t, 3 * V);
            s04.intoArray(t, 4 * V); s10.intoArray(t, 5 * V); s11.intoArray(t, 6 * V); s12.intoArray(t, 7 * V);
            s13.intoArray(t, 8 * V); s14.intoArray(t, 9 * V); s20.intoArray(t, 10 * V); s21.intoArray(t, 11 * V);
            s22.intoArray(t, 12 * V); s23.intoArray(t, 13 * V); s24.intoArray(t, 14 * V); s30.intoArray(t, 15 * V);
            s31.intoArray(t, 16 * V); s32.intoArray(t, 17 * V); s33.intoArray(t, 18 * V); s34.intoArray(t, 19 * V);
            sumsToC(t, c, cO, ldc);
        }
        if (p < k) addTails(4, 5, k, p, a, aO, lda, b, bO, ldb, c, cO, ldc, 1f);
    }

    /**
     * The lane sums of the 20 accumulators a 4 x 5 block stored at {@code t} (row by row, {@link VectorMath#sumsInto}:
     * the same pairs as the 16-lane blocks' folds in registers) into C[4][5] at {@code cO}.
     */
    private static void sumsToC(float[] t, float[] c, int cO, int ldc) {
        VectorMath.sumsInto(t, 0, 20);
        for (int r = 0; r < MB; r++, cO += ldc) {
            for (int q = 0; q < NB; q++) c[cO + q] = t[r * NB + q];
        }
    }

    /*
     * How the 16-lane 4 x 5 blocks store their sums. Each row of C is one masked store at an offset that lines its lanes
     * up with the row: rows 0 to 2 from one vector (lanes 0-4, 5-9, 10-14), row 3 from another (lanes 11-15), instead
     * of 20 scalar stores read back from a tile (classifier 32 x 10 x 256, one thread: 0.90-0.92 -> 0.93-0.94 of
     * OpenBLAS). With ldc >= 5 each store's 16 lanes lie between the block's first float and its last, so all within
     * C and on the Vector API's unchecked path. The masks are made from constants where they are used (a mask's
     * {@code fromLong} compiles to a move into a mask register; a static mask's lanes are loaded and converted, 3-4
     * instructions, at each use).
     *
     * block4x5 folds in bit-reversed order: s00's lane L holds accumulator bit-reverse(L) of s00 .. s04, s10 .. s14,
     * s20 .. s24, s30, so VectorMath.FREV puts rows 0 to 2 and C[3][0] in order; s31 holds C[3][1..4] in lanes 0-3,
     * 8-11, 4-7 and 12-15. C[3][0] is blended into s31's lane 15 (C[3][4] stays in lanes 12 to 14) and LAST_ROW puts
     * row 3 in lanes 11 to 15: one blend and one permute, where a two-vector selectFrom had compiled to 8 instructions.
     *
     * The blocks that read B's interleaved copy (BLENDED) end with s00's lane b0 + 2 b1 + 4 b2 + 8 b3 holding
     * C[2 b0 + b1][2 b2 + b3] and s04 holding C[0][4], C[2][4], C[1][4], C[3][4] in lanes 0-3, 4-7, 8-11, 12-15. Column 4
     * of rows 0 to 2 is blended into the lanes of s00 that hold row 3 (3, 7, 11), and BLENDED_ROWS puts rows 0 to 2 in
     * order; C[3][4] is blended into lane 12 (C[0][3], stored already) and BLENDED_LAST_ROW puts row 3 in lanes 11-15.
     */
    private static final long ROW0 = 0x1FL, ROW1 = 0x3E0L, ROW2 = 0x7C00L, ROW3 = 0xF800L;
    private static final VectorShuffle<Float> LAST_ROW = shuffle16(11, 15, 12, 0, 13, 8, 14, 4, 15, 12);
    private static final VectorShuffle<Float> BLENDED_ROWS = shuffle16(
            0, 0, 1, 8, 2, 4, 3, 12, 4, 3,
            5, 2, 6, 10, 7, 6, 8, 14, 9, 11,
            10, 1, 11, 9, 12, 5, 13, 13, 14, 7);
    private static final VectorShuffle<Float> BLENDED_LAST_ROW = shuffle16(11, 3, 12, 11, 13, 7, 14, 15, 15, 12);

    /** For 16 lanes, the shuffle that takes lane {@code from[2i + 1]} into lane {@code from[2i]} (others lane 0). */
    private static VectorShuffle<Float> shuffle16(int... from) {
        int[] ix = new int[V];
        if (V == 16) for (int i = 0; i < from.length; i += 2) ix[from[i]] = from[i + 1];
        return VectorShuffle.fromArray(S, ix, 0);
    }
    /** Lanes V/2 to V - 1: a vector's upper half, from the other vector of a pair in B's interleaved copy (BLENDED). */
    private static final VectorMask<Float> HALF = lanes(V / 2, V);

    private static VectorMask<Float> lanes(int from, int to) {
        boolean[] m = new boolean[V];
        for (int i = from; i < to && i < V; i++) m[i] = true;
        return VectorMask.fromArray(S, m, 0);
    }

    /**
     * The 4 x 5 blocks of C at {@code cO0}, {@code rows} by {@code cols} (multiples of 4 and 5) = (the rows of A at
     * {@code aO0}) . (B's interleaved vectors at {@code wO0}, {@link #packDots}: each block of 5 rows {@code kv} vectors
     * after the last, its pairs' halves swapped) over the first {@code kv} (a multiple of V) products. Row of blocks by
     * row of blocks, each row of A's 4 read by all the blocks of its row while in L1. No alpha or beta: two floats live
     * across the loop would take 2 of the 32 vector registers, and a block's 20 accumulators, 5 weight vectors and 4
     * rows of A already take 29.
     * <p>
     * All the blocks in one call, not one call each: the per-block call (its frame, the checks of 9 load streams and
     * the arguments, about a hundred instructions) was most of what the classifier paid over OpenBLAS. One thread,
     * {@code GemmAlignment} medians, alternating JVMs: {@code sgemm} 32 x 10 x 256 0.97-0.98 -> 1.01-1.03, packed
     * weights 1.03-1.04 -> 1.09-1.11; 32 x 20 x 256 0.95-0.97 -> 1.01-1.02; 96 x 20 x 256 1.46-1.47 -> 1.53-1.56
     * (docs/BENCHMARKS.md, "Twenty-third session").
     */
    private static void interleavedBlocks(int rows, int cols, int kv, float[] a, int aO0, int lda, float[] w, int wO0,
                                          float[] c, int cO0, int ldc, float[] t) {
        for (int i = 0; i < rows; i += MB) {
            for (int j = 0; j < cols; j += NB) {
                int aO = aO0 + i * lda, wO = wO0 + j * kv, cO = cO0 + i * ldc + j;
                FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s04 = s00, s10 = s00, s11 = s00,
                        s12 = s00, s13 = s00, s14 = s00, s20 = s00, s21 = s00, s22 = s00, s23 = s00, s24 = s00, s30 = s00,
                        s31 = s00, s32 = s00, s33 = s00, s34 = s00;
                int a1 = aO + lda, a2 = a1 + lda, a3 = a2 + lda;
                for (int p = 0, q = wO; p < kv; p += V, q += NB * V) {
                    FloatVector y0 = FloatVector.fromArray(S, w, q), y1 = FloatVector.fromArray(S, w, q + V),
                            y2 = FloatVector.fromArray(S, w, q + 2 * V), y3 = FloatVector.fromArray(S, w, q + 3 * V),
                            y4 = FloatVector.fromArray(S, w, q + 4 * V), x;
                    x = FloatVector.fromArray(S, a, aO + p);
                    s00 = x.fma(y0, s00); s01 = x.fma(y1, s01); s02 = x.fma(y2, s02); s03 = x.fma(y3, s03); s04 = x.fma(y4, s04);
                    x = FloatVector.fromArray(S, a, a1 + p);
                    s10 = x.fma(y0, s10); s11 = x.fma(y1, s11); s12 = x.fma(y2, s12); s13 = x.fma(y3, s13); s14 = x.fma(y4, s14);
                    x = FloatVector.fromArray(S, a, a2 + p);
                    s20 = x.fma(y0, s20); s21 = x.fma(y1, s21); s22 = x.fma(y2, s22); s23 = x.fma(y3, s23); s24 = x.fma(y4, s24);
                    x = FloatVector.fromArray(S, a, a3 + p);
                    s30 = x.fma(y0, s30); s31 = x.fma(y1, s31); s32 = x.fma(y2, s32); s33 = x.fma(y3, s33); s34 = x.fma(y4, s34);
                }
                if (V == 16) {
                    // the sums in registers, in VectorMath.sumsInto's order. Columns 0 and 1, and 2 and 3, of each row
                    // come out of the loop already blended (BLENDED), so their first level is a permute and an add
                    VectorMask<Float> m8 = VectorMask.fromLong(S, VectorMath.FM8_BITS);
                    VectorMask<Float> m4 = VectorMask.fromLong(S, VectorMath.FM4_BITS);
                    VectorMask<Float> m2 = VectorMask.fromLong(S, VectorMath.FM2_BITS);
                    VectorMask<Float> m1 = VectorMask.fromLong(S, VectorMath.FM1_BITS);
                    s00 = s00.add(s01.rearrange(VectorMath.FX8)); s02 = s02.add(s03.rearrange(VectorMath.FX8));
                    s10 = s10.add(s11.rearrange(VectorMath.FX8)); s12 = s12.add(s13.rearrange(VectorMath.FX8));
                    s20 = s20.add(s21.rearrange(VectorMath.FX8)); s22 = s22.add(s23.rearrange(VectorMath.FX8));
                    s30 = s30.add(s31.rearrange(VectorMath.FX8)); s32 = s32.add(s33.rearrange(VectorMath.FX8));
                    s04 = s04.blend(s14, m8).add(s14.blend(s04, m8).rearrange(VectorMath.FX8));
                    s24 = s24.blend(s34, m8).add(s34.blend(s24, m8).rearrange(VectorMath.FX8));
                    s00 = s00.blend(s02, m4).add(s02.blend(s00, m4).rearrange(VectorMath.FX4));
                    s10 = s10.blend(s12, m4).add(s12.blend(s10, m4).rearrange(VectorMath.FX4));
                    s20 = s20.blend(s22, m4).add(s22.blend(s20, m4).rearrange(VectorMath.FX4));
                    s30 = s30.blend(s32, m4).add(s32.blend(s30, m4).rearrange(VectorMath.FX4));
                    s04 = s04.blend(s24, m4).add(s24.blend(s04, m4).rearrange(VectorMath.FX4));
                    s00 = s00.blend(s10, m2).add(s10.blend(s00, m2).rearrange(VectorMath.FX2));
                    s20 = s20.blend(s30, m2).add(s30.blend(s20, m2).rearrange(VectorMath.FX2));
                    s04 = s04.add(s04.rearrange(VectorMath.FX2));
                    s00 = s00.blend(s20, m1).add(s20.blend(s00, m1).rearrange(VectorMath.FX1));
                    s04 = s04.add(s04.rearrange(VectorMath.FX1));
                    // s00's lane b0 + 2 b1 + 4 b2 + 8 b3 holds C[2 b0 + b1][2 b2 + b3]; s04's lanes 0-3, 8-11, 4-7,
                    // 12-15 hold C[0..3][4]. Column 4 of rows 0 to 2 goes into row 3's lanes of s00, and C[3][4] into a
                    // lane that row 3 does not use
                    FloatVector u = s00.blend(s04, VectorMask.fromLong(S, 0x8888L)).rearrange(BLENDED_ROWS);
                    u.intoArray(c, cO, VectorMask.fromLong(S, ROW0));
                    u.intoArray(c, cO + ldc - 5, VectorMask.fromLong(S, ROW1));
                    u.intoArray(c, cO + 2 * ldc - 10, VectorMask.fromLong(S, ROW2));
                    s00.blend(s04, VectorMask.fromLong(S, 0x1000L)).rearrange(BLENDED_LAST_ROW)
                            .intoArray(c, cO + 3 * ldc - 11, VectorMask.fromLong(S, ROW3));
                } else {
                    // the accumulators of columns 0 and 1, and 2 and 3, as block4x5's: each pair's halves swapped back
                    FloatVector e;
                    e = s00.blend(s01, HALF); s01 = s01.blend(s00, HALF); s00 = e;
                    e = s02.blend(s03, HALF); s03 = s03.blend(s02, HALF); s02 = e;
                    e = s10.blend(s11, HALF); s11 = s11.blend(s10, HALF); s10 = e;
                    e = s12.blend(s13, HALF); s13 = s13.blend(s12, HALF); s12 = e;
                    e = s20.blend(s21, HALF); s21 = s21.blend(s20, HALF); s20 = e;
                    e = s22.blend(s23, HALF); s23 = s23.blend(s22, HALF); s22 = e;
                    e = s30.blend(s31, HALF); s31 = s31.blend(s30, HALF); s30 = e;
                    e = s32.blend(s33, HALF); s33 = s33.blend(s32, HALF); s32 = e;
                    s00.intoArray(t, 0); s01.intoArray(t, V); s02.intoArray(t, 2 * V); s03.intoArray(t, 3 * V);
                    s04.intoArray(t, 4 * V); s10.intoArray(t, 5 * V); s11.intoArray(t, 6 * V); s12.intoArray(t, 7 * V);
                    s13.intoArray(t, 8 * V); s14.intoArray(t, 9 * V); s20.intoArray(t, 10 * V); s21.intoArray(t, 11 * V);
                    s22.intoArray(t, 12 * V); s23.intoArray(t, 13 * V); s24.intoArray(t, 14 * V); s30.intoArray(t, 15 * V);
                    s31.intoArray(t, 16 * V); s32.intoArray(t, 17 * V); s33.intoArray(t, 18 * V); s34.intoArray(t, 19 * V);
                    sumsToC(t, c, cO, ldc);
                }
            }
        }
    }

    /** C[2][5] at {@code cO} = alpha * (2 rows of A at {@code aO}) . (5 rows of B at {@code bO}) + beta * C. */
    private static void block2x5(int k, float[] a, int aO, int lda, float[] b, int bO, int ldb,
                                 float[] c, int cO, int ldc, float alpha, float beta, float[] t) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s04 = s00, s10 = s00, s11 = s00, s12 = s00,
                s13 = s00, s14 = s00;
        int a1 = aO + lda, b1 = bO + ldb, b2 = b1 + ldb, b3 = b2 + ldb, b4 = b3 + ldb, p = 0;
        for (; p <= k - V; p += V) {
            FloatVector y0 = FloatVector.fromArray(S, b, bO + p), y1 = FloatVector.fromArray(S, b, b1 + p),
                    y2 = FloatVector.fromArray(S, b, b2 + p), y3 = FloatVector.fromArray(S, b, b3 + p),
                    y4 = FloatVector.fromArray(S, b, b4 + p), x;
            x = FloatVector.fromArray(S, a, aO + p);
            s00 = x.fma(y0, s00); s01 = x.fma(y1, s01); s02 = x.fma(y2, s02); s03 = x.fma(y3, s03); s04 = x.fma(y4, s04);
            x = FloatVector.fromArray(S, a, a1 + p);
            s10 = x.fma(y0, s10); s11 = x.fma(y1, s11); s12 = x.fma(y2, s12); s13 = x.fma(y3, s13); s14 = x.fma(y4, s14);
        }
        s00.intoArray(t, 0); s01.intoArray(t, V); s02.intoArray(t, 2 * V); s03.intoArray(t, 3 * V);
        s04.intoArray(t, 4 * V); s10.intoArray(t, 5 * V); s11.intoArray(t, 6 * V); s12.intoArray(t, 7 * V);
        s13.intoArray(t, 8 * V); s14.intoArray(t, 9 * V);
        VectorMath.sumsInto(t, 0, 10);
        put(c, cO, alpha, beta, t[0]);
        put(c, cO + 1, alpha, beta, t[1]);
        put(c, cO + 2, alpha, beta, t[2]);
        put(c, cO + 3, alpha, beta, t[3]);
        put(c, cO + 4, alpha, beta, t[4]);
        put(c, cO + ldc, alpha, beta, t[5]);
        put(c, cO + ldc + 1, alpha, beta, t[6]);
        put(c, cO + ldc + 2, alpha, beta, t[7]);
        put(c, cO + ldc + 3, alpha, beta, t[8]);
        put(c, cO + ldc + 4, alpha, beta, t[9]);
        if (p < k) addTails(2, 5, k, p, a, aO, lda, b, bO, ldb, c, cO, ldc, alpha);
    }

    /**
     * C[1][5] at {@code cO} = alpha * (one row of A at {@code aO}) . (5 rows of B at {@code bO}) + beta * C: a batch of
     * one (a decoder's step) goes through B once with 5 sums in flight, two vectors per B row per step.
     */
    private static void block1x5(int k, float[] a, int aO, float[] b, int bO, int ldb, float[] c, int cO, float alpha, float beta, float[] t) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0, s4 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0, t4 = s0;
        int b1 = bO + ldb, b2 = b1 + ldb, b3 = b2 + ldb, b4 = b3 + ldb, p = 0;
        for (; p <= k - 2 * V; p += 2 * V) {
            FloatVector x = FloatVector.fromArray(S, a, aO + p), z = FloatVector.fromArray(S, a, aO + p + V);
            s0 = x.fma(FloatVector.fromArray(S, b, bO + p), s0); t0 = z.fma(FloatVector.fromArray(S, b, bO + p + V), t0);
            s1 = x.fma(FloatVector.fromArray(S, b, b1 + p), s1); t1 = z.fma(FloatVector.fromArray(S, b, b1 + p + V), t1);
            s2 = x.fma(FloatVector.fromArray(S, b, b2 + p), s2); t2 = z.fma(FloatVector.fromArray(S, b, b2 + p + V), t2);
            s3 = x.fma(FloatVector.fromArray(S, b, b3 + p), s3); t3 = z.fma(FloatVector.fromArray(S, b, b3 + p + V), t3);
            s4 = x.fma(FloatVector.fromArray(S, b, b4 + p), s4); t4 = z.fma(FloatVector.fromArray(S, b, b4 + p + V), t4);
        }
        for (; p <= k - V; p += V) {
            FloatVector x = FloatVector.fromArray(S, a, aO + p);
            s0 = x.fma(FloatVector.fromArray(S, b, bO + p), s0);
            s1 = x.fma(FloatVector.fromArray(S, b, b1 + p), s1);
            s2 = x.fma(FloatVector.fromArray(S, b, b2 + p), s2);
            s3 = x.fma(FloatVector.fromArray(S, b, b3 + p), s3);
            s4 = x.fma(FloatVector.fromArray(S, b, b4 + p), s4);
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

    /** Lanes 4r to 4r + 3: row r of a 4 x 4 block after FREV ({@link #stored4x4}); made into masks where used. */
    private static final long QUAD0 = 0xFL, QUAD1 = 0xF0L, QUAD2 = 0xF00L, QUAD3 = 0xF000L;

    /**
     * The 4 x 4 blocks of C at {@code cO0}, the first {@code rows / 4 * 4} rows by 4 columns = (the rows of A at
     * {@code aO0}) . (4 rows of B at {@code bO}), stored as they are (alpha 1, beta 0): each block's 16 sums folded in
     * registers in {@link VectorMath#sumsInto}'s order, as the 4 x 5 blocks fold theirs, and stored by rows, one masked
     * store of 4 lanes each, instead of through a tile and 16 scalar stores ({@link #block4x4}, which takes alpha and
     * beta). All the blocks in one call, for {@link #interleavedBlocks}'s reason (32 x 8 x 256, one thread: 0.84-0.85
     * -> 0.87-0.90 of OpenBLAS). A method of its own with the same loop, like {@link #copying4x5}: vectors cannot cross
     * a call, and both endings in one method would make it larger than C2 compiles whole.
     */
    private static void stored4x4(int rows, int k, float[] a, int aO0, int lda, float[] b, int bO, int ldb, float[] c, int cO0,
                                  int ldc, float[] t) {
        for (int i = 0; i + 4 <= rows; i += 4) {
            int aO = aO0 + i * lda, cO = cO0 + i * ldc;
            FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00,
                    s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00;
            int a1 = aO + lda, a2 = a1 + lda, a3 = a2 + lda, b1 = bO + ldb, b2 = b1 + ldb, b3 = b2 + ldb, p = 0;
            for (; p <= k - V; p += V) {
                FloatVector y0 = FloatVector.fromArray(S, b, bO + p), y1 = FloatVector.fromArray(S, b, b1 + p),
                        y2 = FloatVector.fromArray(S, b, b2 + p), y3 = FloatVector.fromArray(S, b, b3 + p), x;
                x = FloatVector.fromArray(S, a, aO + p);
                s00 = x.fma(y0, s00); s01 = x.fma(y1, s01); s02 = x.fma(y2, s02); s03 = x.fma(y3, s03);
                x = FloatVector.fromArray(S, a, a1 + p);
                s10 = x.fma(y0, s10); s11 = x.fma(y1, s11); s12 = x.fma(y2, s12); s13 = x.fma(y3, s13);
                x = FloatVector.fromArray(S, a, a2 + p);
                s20 = x.fma(y0, s20); s21 = x.fma(y1, s21); s22 = x.fma(y2, s22); s23 = x.fma(y3, s23);
                x = FloatVector.fromArray(S, a, a3 + p);
                s30 = x.fma(y0, s30); s31 = x.fma(y1, s31); s32 = x.fma(y2, s32); s33 = x.fma(y3, s33);
            }
            if (V == 16) {
                VectorMask<Float> m8 = VectorMask.fromLong(S, VectorMath.FM8_BITS);
                VectorMask<Float> m4 = VectorMask.fromLong(S, VectorMath.FM4_BITS);
                VectorMask<Float> m2 = VectorMask.fromLong(S, VectorMath.FM2_BITS);
                VectorMask<Float> m1 = VectorMask.fromLong(S, VectorMath.FM1_BITS);
                s00 = s00.blend(s01, m8).add(s01.blend(s00, m8).rearrange(VectorMath.FX8));
                s02 = s02.blend(s03, m8).add(s03.blend(s02, m8).rearrange(VectorMath.FX8));
                s10 = s10.blend(s11, m8).add(s11.blend(s10, m8).rearrange(VectorMath.FX8));
                s12 = s12.blend(s13, m8).add(s13.blend(s12, m8).rearrange(VectorMath.FX8));
                s20 = s20.blend(s21, m8).add(s21.blend(s20, m8).rearrange(VectorMath.FX8));
                s22 = s22.blend(s23, m8).add(s23.blend(s22, m8).rearrange(VectorMath.FX8));
                s30 = s30.blend(s31, m8).add(s31.blend(s30, m8).rearrange(VectorMath.FX8));
                s32 = s32.blend(s33, m8).add(s33.blend(s32, m8).rearrange(VectorMath.FX8));
                s00 = s00.blend(s02, m4).add(s02.blend(s00, m4).rearrange(VectorMath.FX4));
                s10 = s10.blend(s12, m4).add(s12.blend(s10, m4).rearrange(VectorMath.FX4));
                s20 = s20.blend(s22, m4).add(s22.blend(s20, m4).rearrange(VectorMath.FX4));
                s30 = s30.blend(s32, m4).add(s32.blend(s30, m4).rearrange(VectorMath.FX4));
                s00 = s00.blend(s10, m2).add(s10.blend(s00, m2).rearrange(VectorMath.FX2));
                s20 = s20.blend(s30, m2).add(s30.blend(s20, m2).rearrange(VectorMath.FX2));
                s00 = s00.blend(s20, m1).add(s20.blend(s00, m1).rearrange(VectorMath.FX1));
                // lane L now holds sum bit-reverse(L) of s00 .. s33 in row order; FREV puts C[r][q] in lane 4r + q, and
                // each row's store starts 4r floats before it, so that its lanes line up (ldc >= 4: within C's block)
                FloatVector u = s00.rearrange(VectorMath.FREV);
                u.intoArray(c, cO, VectorMask.fromLong(S, QUAD0));
                u.intoArray(c, cO + ldc - 4, VectorMask.fromLong(S, QUAD1));
                u.intoArray(c, cO + 2 * ldc - 8, VectorMask.fromLong(S, QUAD2));
                u.intoArray(c, cO + 3 * ldc - 12, VectorMask.fromLong(S, QUAD3));
            } else {
                s00.intoArray(t, 0); s01.intoArray(t, V); s02.intoArray(t, 2 * V); s03.intoArray(t, 3 * V);
                s10.intoArray(t, 4 * V); s11.intoArray(t, 5 * V); s12.intoArray(t, 6 * V); s13.intoArray(t, 7 * V);
                s20.intoArray(t, 8 * V); s21.intoArray(t, 9 * V); s22.intoArray(t, 10 * V); s23.intoArray(t, 11 * V);
                s30.intoArray(t, 12 * V); s31.intoArray(t, 13 * V); s32.intoArray(t, 14 * V); s33.intoArray(t, 15 * V);
                VectorMath.sumsInto(t, 0, 16);
                for (int r = 0; r < MB; r++) {
                    for (int q = 0; q < 4; q++) c[cO + r * ldc + q] = t[4 * r + q];
                }
            }
            if (p < k) addTails(4, 4, k, p, a, aO, lda, b, bO, ldb, c, cO, ldc, 1f);
        }
    }

    /** C[4][4] at {@code cO} = alpha * (4 rows of A at {@code aO}) . (4 rows of B at {@code bO}) + beta * C. */
    private static void block4x4(int k, float[] a, int aO, int lda, float[] b, int bO, int ldb,
                                 float[] c, int cO, int ldc, float alpha, float beta, float[] t) {
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
        int c0 = cO, a1 = aO + lda, a2 = a1 + lda, a3 = a2 + lda, b1 = bO + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        s00.intoArray(t, 0); s01.intoArray(t, V); s02.intoArray(t, 2 * V); s03.intoArray(t, 3 * V);
        s10.intoArray(t, 4 * V); s11.intoArray(t, 5 * V); s12.intoArray(t, 6 * V); s13.intoArray(t, 7 * V);
        s20.intoArray(t, 8 * V); s21.intoArray(t, 9 * V); s22.intoArray(t, 10 * V); s23.intoArray(t, 11 * V);
        s30.intoArray(t, 12 * V); s31.intoArray(t, 13 * V); s32.intoArray(t, 14 * V); s33.intoArray(t, 15 * V);
        VectorMath.sumsInto(t, 0, 16);
        put(c, cO, alpha, beta, t[0]);
        put(c, cO + 1, alpha, beta, t[1]);
        put(c, cO + 2, alpha, beta, t[2]);
        put(c, cO + 3, alpha, beta, t[3]);
        cO += ldc;
        put(c, cO, alpha, beta, t[4]);
        put(c, cO + 1, alpha, beta, t[5]);
        put(c, cO + 2, alpha, beta, t[6]);
        put(c, cO + 3, alpha, beta, t[7]);
        cO += ldc;
        put(c, cO, alpha, beta, t[8]);
        put(c, cO + 1, alpha, beta, t[9]);
        put(c, cO + 2, alpha, beta, t[10]);
        put(c, cO + 3, alpha, beta, t[11]);
        cO += ldc;
        put(c, cO, alpha, beta, t[12]);
        put(c, cO + 1, alpha, beta, t[13]);
        put(c, cO + 2, alpha, beta, t[14]);
        put(c, cO + 3, alpha, beta, t[15]);
        if (p < k) addTails(4, 4, k, p, a, aO, lda, b, bO, ldb, c, c0, ldc, alpha);
    }

    /**
     * {@link #block8x2} with alpha 1 and beta 0, over the first {@code rows / 8 * 8} rows at {@code aO0} and
     * {@code cO0}: each block's 16 sums fold in registers in {@code VectorMath.sumsInto}'s order (the bits of
     * {@code block8x2}'s) and each row of C is one masked store of 2 lanes, instead of 16 vector stores to a tile, its
     * fold and 16 scalar stores (32 x 7 x 256, one thread: 0.97 -> 1.01-1.02 of OpenBLAS; all the blocks in one call,
     * 1.02 -> 1.05). A method of its own with the same loop, for {@link #stored4x4}'s reason.
     */
    private static void stored8x2(int rows, int k, float[] a, int aO0, int lda, float[] b, int bO, int ldb, float[] c, int cO0,
                                  int ldc, float[] t) {
        for (int i = 0; i + 8 <= rows; i += 8) {
            int aO = aO0 + i * lda, cO = cO0 + i * ldc;
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
            if (V == 16) {
                VectorMask<Float> m8 = VectorMask.fromLong(S, VectorMath.FM8_BITS);
                VectorMask<Float> m4 = VectorMask.fromLong(S, VectorMath.FM4_BITS);
                VectorMask<Float> m2 = VectorMask.fromLong(S, VectorMath.FM2_BITS);
                VectorMask<Float> m1 = VectorMask.fromLong(S, VectorMath.FM1_BITS);
                s00 = s00.blend(s01, m8).add(s01.blend(s00, m8).rearrange(VectorMath.FX8));
                s10 = s10.blend(s11, m8).add(s11.blend(s10, m8).rearrange(VectorMath.FX8));
                s20 = s20.blend(s21, m8).add(s21.blend(s20, m8).rearrange(VectorMath.FX8));
                s30 = s30.blend(s31, m8).add(s31.blend(s30, m8).rearrange(VectorMath.FX8));
                s40 = s40.blend(s41, m8).add(s41.blend(s40, m8).rearrange(VectorMath.FX8));
                s50 = s50.blend(s51, m8).add(s51.blend(s50, m8).rearrange(VectorMath.FX8));
                s60 = s60.blend(s61, m8).add(s61.blend(s60, m8).rearrange(VectorMath.FX8));
                s70 = s70.blend(s71, m8).add(s71.blend(s70, m8).rearrange(VectorMath.FX8));
                s00 = s00.blend(s10, m4).add(s10.blend(s00, m4).rearrange(VectorMath.FX4));
                s20 = s20.blend(s30, m4).add(s30.blend(s20, m4).rearrange(VectorMath.FX4));
                s40 = s40.blend(s50, m4).add(s50.blend(s40, m4).rearrange(VectorMath.FX4));
                s60 = s60.blend(s70, m4).add(s70.blend(s60, m4).rearrange(VectorMath.FX4));
                s00 = s00.blend(s20, m2).add(s20.blend(s00, m2).rearrange(VectorMath.FX2));
                s40 = s40.blend(s60, m2).add(s60.blend(s40, m2).rearrange(VectorMath.FX2));
                s00 = s00.blend(s40, m1).add(s40.blend(s00, m1).rearrange(VectorMath.FX1));
                // lane L now holds sum bit-reverse(L) of s00, s01, s10 .. s71; FREV puts C[r][q] in lane 2r + q, and each
                // row's store starts 2r floats before it, so that its lanes line up (ldc >= 2: within C's block)
                FloatVector u = s00.rearrange(VectorMath.FREV);
                u.intoArray(c, cO, VectorMask.fromLong(S, 0x3L));
                u.intoArray(c, cO + ldc - 2, VectorMask.fromLong(S, 0xCL));
                u.intoArray(c, cO + 2 * ldc - 4, VectorMask.fromLong(S, 0x30L));
                u.intoArray(c, cO + 3 * ldc - 6, VectorMask.fromLong(S, 0xC0L));
                u.intoArray(c, cO + 4 * ldc - 8, VectorMask.fromLong(S, 0x300L));
                u.intoArray(c, cO + 5 * ldc - 10, VectorMask.fromLong(S, 0xC00L));
                u.intoArray(c, cO + 6 * ldc - 12, VectorMask.fromLong(S, 0x3000L));
                u.intoArray(c, cO + 7 * ldc - 14, VectorMask.fromLong(S, 0xC000L));
            } else {
                s00.intoArray(t, 0); s01.intoArray(t, V); s10.intoArray(t, 2 * V); s11.intoArray(t, 3 * V);
                s20.intoArray(t, 4 * V); s21.intoArray(t, 5 * V); s30.intoArray(t, 6 * V); s31.intoArray(t, 7 * V);
                s40.intoArray(t, 8 * V); s41.intoArray(t, 9 * V); s50.intoArray(t, 10 * V); s51.intoArray(t, 11 * V);
                s60.intoArray(t, 12 * V); s61.intoArray(t, 13 * V); s70.intoArray(t, 14 * V); s71.intoArray(t, 15 * V);
                VectorMath.sumsInto(t, 0, 16);
                for (int r = 0; r < 8; r++) {
                    c[cO + r * ldc] = t[2 * r];
                    c[cO + r * ldc + 1] = t[2 * r + 1];
                }
            }
            if (p < k) addTails(8, 2, k, p, a, aO, lda, b, bO, ldb, c, cO, ldc, 1f);
        }
    }

    /** C[8][2] at {@code cO} = alpha * (8 rows of A at {@code aO}) . (2 rows of B at {@code bO}) + beta * C. */
    private static void block8x2(int k, float[] a, int aO, int lda, float[] b, int bO, int ldb,
                                 float[] c, int cO, int ldc, float alpha, float beta, float[] t) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00,
                s40 = s00, s41 = s00, s50 = s00, s51 = s00, s60 = s00, s61 = s00, s70 = s00, s71 = s00;
        int c0 = cO, p = 0;
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
        s00.intoArray(t, 0); s01.intoArray(t, V); s10.intoArray(t, 2 * V); s11.intoArray(t, 3 * V);
        s20.intoArray(t, 4 * V); s21.intoArray(t, 5 * V); s30.intoArray(t, 6 * V); s31.intoArray(t, 7 * V);
        s40.intoArray(t, 8 * V); s41.intoArray(t, 9 * V); s50.intoArray(t, 10 * V); s51.intoArray(t, 11 * V);
        s60.intoArray(t, 12 * V); s61.intoArray(t, 13 * V); s70.intoArray(t, 14 * V); s71.intoArray(t, 15 * V);
        VectorMath.sumsInto(t, 0, 16);
        put(c, cO, alpha, beta, t[0]);
        put(c, cO + 1, alpha, beta, t[1]);
        put(c, cO + ldc, alpha, beta, t[2]);
        put(c, cO + ldc + 1, alpha, beta, t[3]);
        put(c, cO + 2 * ldc, alpha, beta, t[4]);
        put(c, cO + 2 * ldc + 1, alpha, beta, t[5]);
        put(c, cO + 3 * ldc, alpha, beta, t[6]);
        put(c, cO + 3 * ldc + 1, alpha, beta, t[7]);
        put(c, cO + 4 * ldc, alpha, beta, t[8]);
        put(c, cO + 4 * ldc + 1, alpha, beta, t[9]);
        put(c, cO + 5 * ldc, alpha, beta, t[10]);
        put(c, cO + 5 * ldc + 1, alpha, beta, t[11]);
        put(c, cO + 6 * ldc, alpha, beta, t[12]);
        put(c, cO + 6 * ldc + 1, alpha, beta, t[13]);
        put(c, cO + 7 * ldc, alpha, beta, t[14]);
        put(c, cO + 7 * ldc + 1, alpha, beta, t[15]);
        if (p < k) addTails(8, 2, k, p, a, aO, lda, b, bO, ldb, c, c0, ldc, alpha);
    }

    /** C[16][1] at {@code cO} = alpha * (16 rows of A at {@code aO}) . (the row of B at {@code bO}) + beta * C. */
    private static void block16x1(int k, float[] a, int aO, int lda, float[] b, int bO,
                                  float[] c, int cO, int ldc, float alpha, float beta, float[] t) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0,
                s8 = s0, s9 = s0, s10 = s0, s11 = s0, s12 = s0, s13 = s0, s14 = s0, s15 = s0;
        int c0 = cO, p = 0;
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
        s0.intoArray(t, 0); s1.intoArray(t, V); s2.intoArray(t, 2 * V); s3.intoArray(t, 3 * V);
        s4.intoArray(t, 4 * V); s5.intoArray(t, 5 * V); s6.intoArray(t, 6 * V); s7.intoArray(t, 7 * V);
        s8.intoArray(t, 8 * V); s9.intoArray(t, 9 * V); s10.intoArray(t, 10 * V); s11.intoArray(t, 11 * V);
        s12.intoArray(t, 12 * V); s13.intoArray(t, 13 * V); s14.intoArray(t, 14 * V); s15.intoArray(t, 15 * V);
        VectorMath.sumsInto(t, 0, 16);
        put(c, cO, alpha, beta, t[0]);
        put(c, cO + ldc, alpha, beta, t[1]);
        put(c, cO + 2 * ldc, alpha, beta, t[2]);
        put(c, cO + 3 * ldc, alpha, beta, t[3]);
        put(c, cO + 4 * ldc, alpha, beta, t[4]);
        put(c, cO + 5 * ldc, alpha, beta, t[5]);
        put(c, cO + 6 * ldc, alpha, beta, t[6]);
        put(c, cO + 7 * ldc, alpha, beta, t[7]);
        put(c, cO + 8 * ldc, alpha, beta, t[8]);
        put(c, cO + 9 * ldc, alpha, beta, t[9]);
        put(c, cO + 10 * ldc, alpha, beta, t[10]);
        put(c, cO + 11 * ldc, alpha, beta, t[11]);
        put(c, cO + 12 * ldc, alpha, beta, t[12]);
        put(c, cO + 13 * ldc, alpha, beta, t[13]);
        put(c, cO + 14 * ldc, alpha, beta, t[14]);
        put(c, cO + 15 * ldc, alpha, beta, t[15]);
        if (p < k) addTails(16, 1, k, p, a, aO, lda, b, bO, 0, c, c0, ldc, alpha);
    }

    /**
     * Adds alpha times the products of elements {@code [p0, k)}, past the last whole vector, to a block of C that
     * already holds alpha * (the products before p0) + beta * C. Kept out of the blocks' sums: a scalar tail per dot
     * product there cost a third of the time at 32 x 10 x 256, even when empty.
     */
    private static void addTails(int rows, int cols, int k, int p0, float[] a, int aO, int lda, float[] b, int bO, int ldb,
                                 float[] c, int cO, int ldc, float alpha) {
        for (int r = 0; r < rows; r++) {
            for (int q = 0; q < cols; q++) {
                float s = 0f;
                for (int p = p0; p < k; p++) s += a[aO + r * lda + p] * b[bO + q * ldb + p];
                c[cO + r * ldc + q] += alpha * s;
            }
        }
    }

    private static void put(float[] c, int idx, float alpha, float beta, float s) {
        c[idx] = beta == 0f ? alpha * s : alpha * s + beta * c[idx];
    }
}
