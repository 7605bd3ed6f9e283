package dev.mithril.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies operands into the layouts the micro-kernels read: B as panels of {@code NR} columns (row p of panel j at
 * {@code j*k*NR + p*NR}), A blocks as slivers of {@code MR} rows (column p of sliver s at {@code s*kc*MR + p*MR}).
 * Both are zero-padded, so kernels run on whole tiles and never check bounds. Float32 and float64 forms.
 */
final class GemmPacking {
    private static final int MR = GemmKernel.MR;
    /** Minimum elements per packing task, so that small operands are packed by one thread. */
    private static final int GRAIN = 1 << 16;
    /** Rows of a panel written per pass over its source columns when B is transposed (a 64-byte line of floats). */
    private static final int T_STEP = 16;
    private static final VectorSpecies<Float> S = GemmKernel.S;
    private static final int V = GemmKernel.V;
    /** Transposed B's whole panels are gathered: 1.45x faster than the blocked scalar copy (0.48 ms per 1024 x 1024, one core). */
    private static final ThreadLocal<int[]> GATHER_ROWS = ThreadLocal.withInitial(() -> new int[V]);

    /**
     * The species of {@code MR} floats (null where there is none): a transposed A's k step goes into a sliver as one
     * vector, not as a {@code System.arraycopy} of 8 floats, which called the copy stub 131,072 times in a 1024-cubed
     * product (docs/BENCHMARKS.md, sixteenth session: TN 0.88 -> 0.92 and TT 0.87 -> 0.92 of OpenBLAS on one thread).
     * A row-major B's whole panels are copied by vectors for the same reason.
     */
    private static final VectorSpecies<Float> SLIVER = sliverSpecies();

    private static VectorSpecies<Float> sliverSpecies() {
        for (VectorSpecies<Float> s : new VectorSpecies[] {FloatVector.SPECIES_128, FloatVector.SPECIES_256, FloatVector.SPECIES_512}) {
            if (s.length() == MR && s.vectorBitSize() <= S.vectorBitSize()) return s;
        }
        return null;
    }

    private GemmPacking() {}

    static int panels(int n, int nr) { return (n + nr - 1) / nr; }

    /** Elements of the packed form of a k x n matrix. */
    static int packedSize(int k, int n, int nr) { return Math.multiplyExact(panels(n, nr) * nr, Math.max(k, 1)); }

    /** Packs op(B) ([k, n]) into {@code p}; {@code transB} means b holds B transposed (rows of length k). */
    static void packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, float[] p) {
        packB(transB, k, n, b, bOff, ldb, p, 0);
    }

    /** As {@link #packB(boolean, int, int, float[], int, int, float[])}, the panels starting at {@code p[pOff]}. */
    static void packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, float[] p, int pOff) {
        int nr = GemmKernel.NR, panels = panels(n, nr), grain = Math.max(1, GRAIN / Math.max(1, k * nr));
        if (Parallel.threads() <= 1 || panels < 2 * grain) packB(transB, k, n, b, bOff, ldb, p, pOff, 0, panels);
        else {
            PackTask task = PACK_TASKS.get();
            if (task.inUse) task = new PackTask(); // started from inside another parallel body on this thread
            task.inUse = true;
            task.transB = transB; task.k = k; task.n = n; task.b = b; task.bOff = bOff; task.ldb = ldb; task.p = p; task.pOff = pOff;
            try {
                Parallel.forRange(panels, grain, task);
            } finally {
                task.b = null; task.p = null;
                task.inUse = false;
            }
        }
    }

    private static final ThreadLocal<PackTask> PACK_TASKS = ThreadLocal.withInitial(PackTask::new);

    /** The region body of a parallel float32 {@code packB}, reused per calling thread so that a call allocates nothing. */
    private static final class PackTask implements Parallel.RangeBody {
        boolean transB, inUse;
        int k, n, bOff, ldb, pOff;
        float[] b, p;

        @Override public void run(int from, int to) { packB(transB, k, n, b, bOff, ldb, p, pOff, from, to); }
    }

    /** Panels {@code [from, to)} of {@link #packB(boolean, int, int, float[], int, int, float[], int)}. */
    static void packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, float[] p, int pOff, int from, int to) {
        for (int j = from; j < to; j++) packB(transB, k, n, b, bOff, ldb, p, pOff, j, 0, k);
    }

    /**
     * Panel {@code j} of op(B)'s first {@code k} rows into {@code p[pOff .. pOff + k * NR)} (the caller offsets
     * {@code bOff} to the k block it wants): one k block's slice, packed just before its tiles.
     */
    static void packSlice(boolean transB, int k, int n, float[] b, int bOff, int ldb, float[] p, int pOff, int j) {
        packB(transB, k, n, b, bOff, ldb, p, pOff - j * k * GemmKernel.NR, j, 0, k);
    }

    /** Rows {@code [q0, q1)} of panel {@code j} of {@link #packB(boolean, int, int, float[], int, int, float[], int)}. */
    static void packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, float[] p, int pOff, int j, int q0, int q1) {
        int nr = GemmKernel.NR, j0 = j * nr, w = Math.min(nr, n - j0), base = pOff + j * k * nr;
        if (!transB && w == nr) { // a whole panel: each packed row is NR floats of one row of B, three vectors
            for (int q = q0, src = bOff + q0 * ldb + j0; q < q1; q++, src += ldb) {
                int d = base + q * nr;
                FloatVector.fromArray(S, b, src).intoArray(p, d);
                FloatVector.fromArray(S, b, src + V).intoArray(p, d + V);
                FloatVector.fromArray(S, b, src + 2 * V).intoArray(p, d + 2 * V);
            }
        } else if (!transB) {
            for (int q = q0; q < q1; q++) {
                int d = base + q * nr;
                System.arraycopy(b, bOff + q * ldb + j0, p, d, w);
                for (int c = w; c < nr; c++) p[d + c] = 0f;
            }
        } else if (w == nr) {
            // a whole panel: each packed row is three gathers, one from each group of V source rows
            int[] rows = gatherRows(ldb);
            for (int v = 0; v < nr; v += V) {
                int src = bOff + (j0 + v) * ldb;
                for (int q = q0; q < q1; q++) FloatVector.fromArray(S, b, src + q, rows, 0).intoArray(p, base + q * nr + v);
            }
        } else {
            // k in steps of one cache line of each source row: the nr source lines and the written rows of
            // the panel stay in L1, where a whole-k column walk would write to a different line every element
            for (int s0 = q0; s0 < q1; s0 += T_STEP) {
                int s1 = Math.min(q1, s0 + T_STEP);
                for (int c = 0; c < w; c++) {
                    int src = bOff + (j0 + c) * ldb;
                    for (int q = s0; q < s1; q++) p[base + q * nr + c] = b[src + q];
                }
                for (int q = s0; q < s1; q++) for (int c = w; c < nr; c++) p[base + q * nr + c] = 0f;
            }
        }
    }

    /**
     * Offsets {@code 0, ldb, 2*ldb, ...} of V consecutive rows, this thread's array, refilled when ldb changes: the index
     * map of a gather with a fixed stride (the convolution kernels use it too). Fetch it right before the loop that uses
     * it: the next call on this thread may refill it.
     */
    static int[] gatherRows(int ldb) {
        int[] rows = GATHER_ROWS.get();
        if (rows[V - 1] != (V - 1) * ldb) for (int i = 0; i < V; i++) rows[i] = i * ldb;
        return rows;
    }

    /** Packs op(B) ([k, n]) into {@code p}, float64 (on the calling thread: callers that split pack their own panels). */
    static void packB(boolean transB, int k, int n, double[] b, int bOff, int ldb, double[] p) {
        for (int j = 0, panels = panels(n, GemmKernel64.NR); j < panels; j++) packB(transB, k, n, b, bOff, ldb, p, j, 0, k);
    }

    /**
     * Panel {@code j} of op(B)'s first {@code k} rows into {@code p[0 .. k * NR)} (the caller offsets {@code bOff} to the
     * k block it wants), float64.
     */
    static void packSlice(boolean transB, int k, int n, double[] b, int bOff, int ldb, double[] p, int j) {
        packB(transB, k, n, b, bOff, ldb, p, j, 0, k, -j * k * GemmKernel64.NR);
    }

    /**
     * Rows {@code [q0, q1)} of panel {@code j} of the float64 {@link #packB(boolean, int, int, double[], int, int, double[])}:
     * what one k block's tiles of that panel read, so that a product can pack each slice just before its first use.
     */
    static void packB(boolean transB, int k, int n, double[] b, int bOff, int ldb, double[] p, int j, int q0, int q1) {
        packB(transB, k, n, b, bOff, ldb, p, j, q0, q1, 0);
    }

    private static void packB(boolean transB, int k, int n, double[] b, int bOff, int ldb, double[] p, int j, int q0, int q1,
                              int pOff) {
        int nr = GemmKernel64.NR, j0 = j * nr, w = Math.min(nr, n - j0), base = pOff + j * k * nr;
        if (!transB && w == nr) { // a whole panel: three vectors per row, as in float32
            VectorSpecies<Double> d = GemmKernel64.S;
            for (int q = q0, src = bOff + q0 * ldb + j0; q < q1; q++, src += ldb) {
                int o = base + q * nr;
                DoubleVector.fromArray(d, b, src).intoArray(p, o);
                DoubleVector.fromArray(d, b, src + V64).intoArray(p, o + V64);
                DoubleVector.fromArray(d, b, src + 2 * V64).intoArray(p, o + 2 * V64);
            }
            return;
        }
        if (!transB) {
            for (int q = q0; q < q1; q++) {
                int d = base + q * nr;
                System.arraycopy(b, bOff + q * ldb + j0, p, d, w);
                for (int c = w; c < nr; c++) p[d + c] = 0.0;
            }
            return;
        }
        if (w == nr && V64 == 8) {
            transpose8(b, bOff + j0 * ldb, ldb, p, base, nr, q0, q1);
            return;
        }
        // k in steps of one cache line of each source row, as in float32
        for (int s0 = q0; s0 < q1; s0 += T_STEP) {
            int s1 = Math.min(q1, s0 + T_STEP);
            for (int c = 0; c < w; c++) {
                int src = bOff + (j0 + c) * ldb;
                for (int q = s0; q < s1; q++) p[base + q * nr + c] = b[src + q];
            }
            for (int q = s0; q < s1; q++) for (int c = w; c < nr; c++) p[base + q * nr + c] = 0.0;
        }
    }

    private static final int V64 = GemmKernel64.V;
    /** The permutes of an 8 x 8 transpose (8-lane doubles): at each level, the low and the high halves of pairs. */
    private static final double[][] T8 = transposeIndexes(8);

    /**
     * Index vectors for {@code selectFrom(a, b)} that interleave blocks of h = lanes/2, lanes/4, .., 1 lanes of two
     * vectors: row {@code 2 * level} takes the lower halves of each 2h-lane block of a and b, row {@code 2 * level + 1}
     * the upper halves. Applied to the pairs (row i, row i + lanes/2) and written back as (2i, 2i + 1), log2(lanes)
     * times, they transpose a square block of rows.
     */
    static double[][] transposeIndexes(int lanes) {
        int levels = Integer.numberOfTrailingZeros(lanes);
        double[][] idx = new double[2 * levels][lanes];
        for (int l = 0; l < levels; l++) {
            int h = lanes >> (l + 1);
            for (int j = 0; j < lanes; j++) {
                int g = j / (2 * h) * 2 * h, w = j % (2 * h);
                idx[2 * l][j] = w < h ? g + w : lanes + g + w - h;
                idx[2 * l + 1][j] = w < h ? g + w + h : lanes + g + w;
            }
        }
        return idx;
    }

    /**
     * Rows {@code [q0, q1)} of a whole float64 panel of {@code nr} (a multiple of 8) columns: {@code nr} rows of the
     * transposed source, each 8 of them read 8 elements at a time and transposed in registers; a tail of fewer than
     * 8 element by element: {@code p[base + q * nr + c] = b[src + c * ldb + q]}. B's panels (nr = 24) and A's whole
     * slivers (nr = 8: rows of A are the source rows, k steps the packed rows) both come through here. 8 loads, 24
     * permutes and 8 stores per 64 elements, where the element copy is 64 loads and 64 stores: packing the k blocks of
     * a 480 x 480 to 1008 x 1008 B one by one, the copy took 1.4-1.7x as long (0.84 and 1.10 against 0.61 and 0.64 ns
     * per element, one core).
     */
    private static void transpose8(double[] b, int src, int ldb, double[] p, int base, int nr, int q0, int q1) {
        VectorSpecies<Double> d = GemmKernel64.S;
        int q8 = q0 + (q1 - q0) / 8 * 8;
        DoubleVector l0 = DoubleVector.fromArray(d, T8[0], 0), h0 = DoubleVector.fromArray(d, T8[1], 0);
        DoubleVector l1 = DoubleVector.fromArray(d, T8[2], 0), h1 = DoubleVector.fromArray(d, T8[3], 0);
        DoubleVector l2 = DoubleVector.fromArray(d, T8[4], 0), h2 = DoubleVector.fromArray(d, T8[5], 0);
        for (int g = 0; g < nr; g += 8) {
            int s = src + g * ldb;
            for (int q = q0; q < q8; q += 8) {
                DoubleVector r0 = DoubleVector.fromArray(d, b, s + q), r1 = DoubleVector.fromArray(d, b, s + ldb + q);
                DoubleVector r2 = DoubleVector.fromArray(d, b, s + 2 * ldb + q), r3 = DoubleVector.fromArray(d, b, s + 3 * ldb + q);
                DoubleVector r4 = DoubleVector.fromArray(d, b, s + 4 * ldb + q), r5 = DoubleVector.fromArray(d, b, s + 5 * ldb + q);
                DoubleVector r6 = DoubleVector.fromArray(d, b, s + 6 * ldb + q), r7 = DoubleVector.fromArray(d, b, s + 7 * ldb + q);
                DoubleVector a0 = l0.selectFrom(r0, r4), a1 = h0.selectFrom(r0, r4), a2 = l0.selectFrom(r1, r5), a3 = h0.selectFrom(r1, r5);
                DoubleVector a4 = l0.selectFrom(r2, r6), a5 = h0.selectFrom(r2, r6), a6 = l0.selectFrom(r3, r7), a7 = h0.selectFrom(r3, r7);
                DoubleVector c0 = l1.selectFrom(a0, a4), c1 = h1.selectFrom(a0, a4), c2 = l1.selectFrom(a1, a5), c3 = h1.selectFrom(a1, a5);
                DoubleVector c4 = l1.selectFrom(a2, a6), c5 = h1.selectFrom(a2, a6), c6 = l1.selectFrom(a3, a7), c7 = h1.selectFrom(a3, a7);
                int o = base + q * nr + g;
                l2.selectFrom(c0, c4).intoArray(p, o);
                h2.selectFrom(c0, c4).intoArray(p, o + nr);
                l2.selectFrom(c1, c5).intoArray(p, o + 2 * nr);
                h2.selectFrom(c1, c5).intoArray(p, o + 3 * nr);
                l2.selectFrom(c2, c6).intoArray(p, o + 4 * nr);
                h2.selectFrom(c2, c6).intoArray(p, o + 5 * nr);
                l2.selectFrom(c3, c7).intoArray(p, o + 6 * nr);
                h2.selectFrom(c3, c7).intoArray(p, o + 7 * nr);
            }
            for (int q = q8; q < q1; q++) for (int c = 0; c < 8; c++) p[base + q * nr + g + c] = b[s + c * ldb + q];
        }
    }

    /** Packs rows [i0, i0+mc) and columns [p0, p0+kc) of op(A) into {@code dst}. */
    static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] dst) {
        int slivers = (mc + MR - 1) / MR;
        boolean whole = !transA && MR == 8 && V == 16; // {@link #sliver}: 8 rows of 16 lanes
        for (int s = 0; s < slivers; s++) {
            int base = s * kc * MR, rows = Math.min(MR, mc - s * MR);
            if (whole && rows == MR) {
                int src = aOff + (i0 + s * MR) * lda + p0, q = kc / V * V;
                sliver(a, src, lda, dst, base, q);
                for (; q < kc; q++) for (int r = 0; r < MR; r++) dst[base + q * MR + r] = a[src + r * lda + q];
                continue;
            }
            if (!transA) {
                for (int r = 0; r < rows; r++) {
                    int src = aOff + (i0 + s * MR + r) * lda + p0;
                    for (int q = 0; q < kc; q++) dst[base + q * MR + r] = a[src + q];
                }
            } else if (rows == MR && SLIVER != null) {
                // A stored transposed: each k step of a sliver is MR floats side by side, one vector of MR lanes
                for (int q = 0, src = aOff + p0 * lda + i0 + s * MR; q < kc; q++, src += lda) {
                    FloatVector.fromArray(SLIVER, a, src).intoArray(dst, base + q * MR);
                }
                continue;
            } else if (MR > 4) {
                for (int q = 0; q < kc; q++) System.arraycopy(a, aOff + (p0 + q) * lda + i0 + s * MR, dst, base + q * MR, rows);
            } else { // the few floats of a 3-row sliver's k step: a copy stub call each would cost more than they do
                int src = aOff + p0 * lda + i0 + s * MR, q = 0;
                if (rows == MR && MR == 3) {
                    // 4 floats a step, the 4th overwritten by the next step; the last step, whose 4th float would
                    // land past the sliver (or be read past A), by elements below
                    int lastSrc = src + (kc - 1) * lda;
                    for (; q < kc - 1 && lastSrc + 4 <= a.length; q++, src += lda) {
                        FloatVector.fromArray(FloatVector.SPECIES_128, a, src).intoArray(dst, base + q * MR);
                    }
                }
                for (; q < kc; q++, src += lda) {
                    for (int r = 0; r < rows; r++) dst[base + q * MR + r] = a[src + r];
                }
            }
            for (int q = 0; q < kc; q++) for (int r = rows; r < MR; r++) dst[base + q * MR + r] = 0f;
        }
    }

    /** The permutes of {@link #sliver}: rows 0 and 1 of level l take the lower and the upper halves of pairs. */
    private static final float[][] T16 = sliverIndexes();

    /**
     * Index vectors for {@code selectFrom(a, b)} that transpose 8 rows of 16 floats (vector i: row i, lanes: 16 k steps)
     * into 8 vectors of two k steps of the 8 rows (vector j: lane {@code l} is row {@code l % 8}, k step
     * {@code 2j + l / 8}), in three levels of 8 permutes, each level applied to the pairs (i, i + 4) and written back as
     * (2i, 2i + 1) as in {@link #transposeIndexes}, whose first two levels (blocks of 8, then 4 lanes) are the first
     * two here. The last is found by tracking which (row, k step) each lane holds, level by level: level l moves lane
     * bit {@code 3 - l} (k step bits 3, 2, 1) into the vector index and the vector index's top bit (a row bit) into
     * the lanes; the last level also puts the lanes in their final order.
     */
    private static float[][] sliverIndexes() {
        double[][] interleave = transposeIndexes(16);
        int[][] row = new int[8][16], step = new int[8][16];
        for (int v = 0; v < 8; v++) for (int l = 0; l < 16; l++) { row[v][l] = v; step[v][l] = l; }
        float[][] idx = new float[6][16];
        for (int level = 0; level < 3; level++) {
            int[][] nRow = new int[8][16], nStep = new int[8][16];
            for (int v = 0; v < 8; v++) {
                int i = v / 2, half = v % 2; // from the pair (i, i + 4)
                for (int l = 0; l < 16; l++) {
                    int from;
                    if (level < 2) {
                        from = (int) interleave[2 * level + half][l];
                    } else {
                        // vector v = 2i + half holds k steps 2v, 2v + 1: find each (row l % 8, step 2v + l / 8) in the pair
                        from = -1;
                        for (int src = 0; src < 32; src++) {
                            int sv = src < 16 ? i : i + 4, sl = src % 16;
                            if (row[sv][sl] == l % 8 && step[sv][sl] == 2 * v + l / 8) from = src;
                        }
                    }
                    idx[2 * level + half][l] = from;
                    int sv = from < 16 ? i : i + 4;
                    nRow[v][l] = row[sv][from % 16];
                    nStep[v][l] = step[sv][from % 16];
                }
            }
            row = nRow; step = nStep;
        }
        for (int v = 0; v < 8; v++) for (int l = 0; l < 16; l++) {
            if (row[v][l] != l % 8 || step[v][l] != 2 * v + l / 8) throw new AssertionError("sliver transpose at " + v + ", " + l);
        }
        return idx;
    }

    /**
     * The first {@code kq} (a multiple of 16) k steps of a whole 8-row float32 sliver: {@code dst[base + q * 8 + r] =
     * a[src + r * lda + q]}, 16 k steps at a time as 8 loads, 24 permutes and 8 stores (one gather per two k steps before).
     */
    private static void sliver(float[] a, int src, int lda, float[] dst, int base, int kq) {
        FloatVector l0 = FloatVector.fromArray(S, T16[0], 0), h0 = FloatVector.fromArray(S, T16[1], 0);
        FloatVector l1 = FloatVector.fromArray(S, T16[2], 0), h1 = FloatVector.fromArray(S, T16[3], 0);
        FloatVector l2 = FloatVector.fromArray(S, T16[4], 0), h2 = FloatVector.fromArray(S, T16[5], 0);
        for (int q = 0; q < kq; q += V) {
            int s = src + q;
            FloatVector r0 = FloatVector.fromArray(S, a, s), r1 = FloatVector.fromArray(S, a, s + lda);
            FloatVector r2 = FloatVector.fromArray(S, a, s + 2 * lda), r3 = FloatVector.fromArray(S, a, s + 3 * lda);
            FloatVector r4 = FloatVector.fromArray(S, a, s + 4 * lda), r5 = FloatVector.fromArray(S, a, s + 5 * lda);
            FloatVector r6 = FloatVector.fromArray(S, a, s + 6 * lda), r7 = FloatVector.fromArray(S, a, s + 7 * lda);
            FloatVector a0 = l0.selectFrom(r0, r4), a1 = h0.selectFrom(r0, r4), a2 = l0.selectFrom(r1, r5), a3 = h0.selectFrom(r1, r5);
            FloatVector a4 = l0.selectFrom(r2, r6), a5 = h0.selectFrom(r2, r6), a6 = l0.selectFrom(r3, r7), a7 = h0.selectFrom(r3, r7);
            FloatVector c0 = l1.selectFrom(a0, a4), c1 = h1.selectFrom(a0, a4), c2 = l1.selectFrom(a1, a5), c3 = h1.selectFrom(a1, a5);
            FloatVector c4 = l1.selectFrom(a2, a6), c5 = h1.selectFrom(a2, a6), c6 = l1.selectFrom(a3, a7), c7 = h1.selectFrom(a3, a7);
            int o = base + q * MR;
            l2.selectFrom(c0, c4).intoArray(dst, o);
            h2.selectFrom(c0, c4).intoArray(dst, o + V);
            l2.selectFrom(c1, c5).intoArray(dst, o + 2 * V);
            h2.selectFrom(c1, c5).intoArray(dst, o + 3 * V);
            l2.selectFrom(c2, c6).intoArray(dst, o + 4 * V);
            h2.selectFrom(c2, c6).intoArray(dst, o + 5 * V);
            l2.selectFrom(c3, c7).intoArray(dst, o + 6 * V);
            h2.selectFrom(c3, c7).intoArray(dst, o + 7 * V);
        }
    }

    /** Packs rows [i0, i0+mc) and columns [p0, p0+kc) of op(A) into {@code dst}, float64. */
    static void packA(boolean transA, double[] a, int aOff, int lda, int i0, int mc, int p0, int kc, double[] dst) {
        int slivers = (mc + MR - 1) / MR;
        for (int s = 0; s < slivers; s++) {
            int base = s * kc * MR, rows = Math.min(MR, mc - s * MR);
            if (!transA && rows == MR && MR == 8 && V64 == 8) { // a whole sliver: 8 x 8 transposes in registers
                transpose8(a, aOff + (i0 + s * MR) * lda + p0, lda, dst, base, MR, 0, kc);
                continue;
            }
            if (!transA) {
                for (int r = 0; r < rows; r++) {
                    int src = aOff + (i0 + s * MR + r) * lda + p0;
                    for (int q = 0; q < kc; q++) dst[base + q * MR + r] = a[src + q];
                }
            } else if (rows == MR && V64 == MR) { // as in float32: one vector per k step
                for (int q = 0, src = aOff + p0 * lda + i0 + s * MR; q < kc; q++, src += lda) {
                    DoubleVector.fromArray(GemmKernel64.S, a, src).intoArray(dst, base + q * MR);
                }
                continue;
            } else if (MR > 4) {
                for (int q = 0; q < kc; q++) System.arraycopy(a, aOff + (p0 + q) * lda + i0 + s * MR, dst, base + q * MR, rows);
            } else { // as in float32, 4 doubles a step
                int src = aOff + p0 * lda + i0 + s * MR, q = 0;
                if (rows == MR && MR == 3) {
                    int lastSrc = src + (kc - 1) * lda;
                    for (; q < kc - 1 && lastSrc + 4 <= a.length; q++, src += lda) {
                        DoubleVector.fromArray(DoubleVector.SPECIES_256, a, src).intoArray(dst, base + q * MR);
                    }
                }
                for (; q < kc; q++, src += lda) {
                    for (int r = 0; r < rows; r++) dst[base + q * MR + r] = a[src + r];
                }
            }
            for (int q = 0; q < kc; q++) for (int r = rows; r < MR; r++) dst[base + q * MR + r] = 0.0;
        }
    }
}
