package dev.mithril.runtime;

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
        int nr = GemmKernel.NR;
        for (int j = from; j < to; j++) {
            int j0 = j * nr, w = Math.min(nr, n - j0), base = pOff + j * k * nr;
            if (!transB) {
                for (int q = 0; q < k; q++) {
                    int d = base + q * nr;
                    System.arraycopy(b, bOff + q * ldb + j0, p, d, w);
                    for (int c = w; c < nr; c++) p[d + c] = 0f;
                }
            } else if (w == nr) {
                // a whole panel: each packed row is three gathers, one from each group of V source rows
                int[] rows = gatherRows(ldb);
                for (int v = 0; v < nr; v += V) {
                    int src = bOff + (j0 + v) * ldb;
                    for (int q = 0; q < k; q++) FloatVector.fromArray(S, b, src + q, rows, 0).intoArray(p, base + q * nr + v);
                }
            } else {
                // k in steps of one cache line of each source row: the nr source lines and the written rows of
                // the panel stay in L1, where a whole-k column walk would write to a different line every element
                for (int q0 = 0; q0 < k; q0 += T_STEP) {
                    int q1 = Math.min(k, q0 + T_STEP);
                    for (int c = 0; c < w; c++) {
                        int src = bOff + (j0 + c) * ldb;
                        for (int q = q0; q < q1; q++) p[base + q * nr + c] = b[src + q];
                    }
                    for (int q = q0; q < q1; q++) for (int c = w; c < nr; c++) p[base + q * nr + c] = 0f;
                }
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

    /** Packs op(B) ([k, n]) into {@code p}, float64. */
    static void packB(boolean transB, int k, int n, double[] b, int bOff, int ldb, double[] p) {
        int nr = GemmKernel64.NR;
        Parallel.forRange(panels(n, nr), Math.max(1, GRAIN / Math.max(1, k * nr)), (from, to) -> {
            for (int j = from; j < to; j++) {
                int j0 = j * nr, w = Math.min(nr, n - j0), base = j * k * nr;
                if (!transB) {
                    for (int q = 0; q < k; q++) {
                        int d = base + q * nr;
                        System.arraycopy(b, bOff + q * ldb + j0, p, d, w);
                        for (int c = w; c < nr; c++) p[d + c] = 0.0;
                    }
                } else {
                    for (int q0 = 0; q0 < k; q0 += T_STEP) {
                        int q1 = Math.min(k, q0 + T_STEP);
                        for (int c = 0; c < w; c++) {
                            int src = bOff + (j0 + c) * ldb;
                            for (int q = q0; q < q1; q++) p[base + q * nr + c] = b[src + q];
                        }
                        for (int q = q0; q < q1; q++) for (int c = w; c < nr; c++) p[base + q * nr + c] = 0.0;
                    }
                }
            }
        });
    }

    /** Packs rows [i0, i0+mc) and columns [p0, p0+kc) of op(A) into {@code dst}. */
    static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] dst) {
        int slivers = (mc + MR - 1) / MR;
        int[] idx = !transA && 2 * MR == V ? sliverIndex(lda) : null; // once per block: a ThreadLocal lookup per sliver showed in profiles
        for (int s = 0; s < slivers; s++) {
            int base = s * kc * MR, rows = Math.min(MR, mc - s * MR);
            if (idx != null && rows == MR) {
                // a whole sliver: each gather reads two k steps of its MR rows (1-3% of 1024 cubed over the scalar copy)
                int src = aOff + (i0 + s * MR) * lda + p0, q = 0;
                for (; q + 2 <= kc; q += 2) FloatVector.fromArray(S, a, src + q, idx, 0).intoArray(dst, base + q * MR);
                for (; q < kc; q++) for (int r = 0; r < MR; r++) dst[base + q * MR + r] = a[src + r * lda + q];
                continue;
            }
            if (!transA) {
                for (int r = 0; r < rows; r++) {
                    int src = aOff + (i0 + s * MR + r) * lda + p0;
                    for (int q = 0; q < kc; q++) dst[base + q * MR + r] = a[src + q];
                }
            } else {
                for (int q = 0; q < kc; q++) System.arraycopy(a, aOff + (p0 + q) * lda + i0 + s * MR, dst, base + q * MR, rows);
            }
            for (int q = 0; q < kc; q++) for (int r = rows; r < MR; r++) dst[base + q * MR + r] = 0f;
        }
    }

    private static final ThreadLocal<int[]> SLIVER_INDEX = ThreadLocal.withInitial(() -> new int[V]);

    /** Lane l reads row {@code l % MR}, column {@code l / MR} of a sliver: two k steps of MR rows per gather. */
    static int[] sliverIndex(int lda) {
        int[] idx = SLIVER_INDEX.get();
        if (idx[MR - 1] != (MR - 1) * lda || idx[MR] != 1) for (int l = 0; l < V; l++) idx[l] = l % MR * lda + l / MR;
        return idx;
    }

    /** Packs rows [i0, i0+mc) and columns [p0, p0+kc) of op(A) into {@code dst}, float64. */
    static void packA(boolean transA, double[] a, int aOff, int lda, int i0, int mc, int p0, int kc, double[] dst) {
        int slivers = (mc + MR - 1) / MR;
        for (int s = 0; s < slivers; s++) {
            int base = s * kc * MR, rows = Math.min(MR, mc - s * MR);
            if (!transA) {
                for (int r = 0; r < rows; r++) {
                    int src = aOff + (i0 + s * MR + r) * lda + p0;
                    for (int q = 0; q < kc; q++) dst[base + q * MR + r] = a[src + q];
                }
            } else {
                for (int q = 0; q < kc; q++) System.arraycopy(a, aOff + (p0 + q) * lda + i0 + s * MR, dst, base + q * MR, rows);
            }
            for (int q = 0; q < kc; q++) for (int r = rows; r < MR; r++) dst[base + q * MR + r] = 0.0;
        }
    }
}
