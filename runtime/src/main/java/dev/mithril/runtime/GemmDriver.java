package dev.mithril.runtime;

/**
 * Splits one GEMM over the {@link Parallel} pool. The unit of work is a rectangle of C: a range of rows (whole
 * micro-kernel slivers) by a range of packed column panels. Rows are split when there are enough of them to keep
 * every thread on its own A blocks; otherwise (small batches) the panels are split, so that a batch of 32 still
 * uses every core. Each rectangle is then blocked for the caches by its element type's code.
 */
final class GemmDriver {
    /** Work for the rows {@code [i0, i1)} and column panels {@code [p0, p1)} of C. */
    @FunctionalInterface
    interface Block {
        void run(int i0, int i1, int p0, int p1);

        /** As {@link #run(int, int, int, int)}, told which column part of the split it is (0 for the first). */
        default void run(int i0, int i1, int p0, int p1, int part) { run(i0, i1, p0, p1); }
    }

    /** Below this many multiply-adds one thread finishes before a second would have woken up. */
    static final long SERIAL_WORK = 48L * 48 * 48;

    private GemmDriver() {}

    /** Whether an m x n x k product runs on the calling thread alone. */
    static boolean serial(int m, int n, int k) { return Parallel.threads() <= 1 || (long) m * n * k < SERIAL_WORK; }

    static void run(int m, int n, int k, int mr, int nr, Block block) { run(m, n, k, mr, nr, false, block); }

    /**
     * As {@link #run(int, int, int, int, int, Block)}; {@code byColumns} splits only the column panels, for blocks
     * that pack their own panels of B (each thread then owns its panels from packing to the last k block).
     */
    static void run(int m, int n, int k, int mr, int nr, boolean byColumns, Block block) {
        run(m, n, k, mr, nr, byColumns, block, Parallel.threads());
    }

    /** As {@link #run(int, int, int, int, int, boolean, Block)}, in at most {@code t} parts whatever the pool's size. */
    static void run(int m, int n, int k, int mr, int nr, boolean byColumns, Block block, int t) {
        int slivers = (m + mr - 1) / mr, panels = (n + nr - 1) / nr;
        if (serial(m, n, k) || t <= 1) {
            block.run(0, m, 0, panels);
            return;
        }
        // Rows first: each thread packs its own A and reads shared B panels. Too few rows: split the panels too.
        int rowParts = byColumns ? 1 : Math.min(t, Math.max(1, slivers / 4));
        int colParts = Math.min(panels, Math.max(1, t / rowParts));
        Split s = SPLITS.get();
        if (s.inUse) s = new Split(); // a product started from inside another one's block on this thread
        s.inUse = true;
        s.m = m; s.mr = mr; s.slivers = slivers; s.panels = panels; s.rowParts = rowParts; s.colParts = colParts;
        s.block = block;
        try {
            Parallel.forRange(rowParts * colParts, 1, s);
        } finally {
            s.block = null;
            s.inUse = false;
        }
    }

    private static final ThreadLocal<Split> SPLITS = ThreadLocal.withInitial(Split::new);

    /**
     * The region body of one split product: task {@code rp * colParts + cp} is row part {@code rp} by column part
     * {@code cp}. One per thread is reused, so that a parallel product allocates nothing per call.
     */
    private static final class Split implements Parallel.RangeBody {
        int m, mr, slivers, panels, rowParts, colParts;
        Block block;
        boolean inUse;

        @Override public void run(int from, int to) {
            for (int task = from; task < to; task++) {
                int rp = task / colParts, cp = task % colParts;
                int s0 = (int) ((long) slivers * rp / rowParts), s1 = (int) ((long) slivers * (rp + 1) / rowParts);
                int p0 = (int) ((long) panels * cp / colParts), p1 = (int) ((long) panels * (cp + 1) / colParts);
                if (s0 < s1 && p0 < p1) block.run(s0 * mr, Math.min(m, s1 * mr), p0, p1, cp);
            }
        }
    }

    /** Splits {@code len} into blocks of at most {@code max}, all about the same size (a multiple of {@code unit}). */
    static int blockSize(int len, int max, int unit) {
        int blocks = (len + max - 1) / max;
        int size = (len + blocks - 1) / blocks;
        return Math.min(max, (size + unit - 1) / unit * unit);
    }
}
