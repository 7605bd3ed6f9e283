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
    }

    /** Below this many multiply-adds one thread finishes before a second would have woken up. */
    static final long SERIAL_WORK = 48L * 48 * 48;

    private GemmDriver() {}

    /** Whether an m x n x k product runs on the calling thread alone. */
    static boolean serial(int m, int n, int k) { return Parallel.threads() <= 1 || (long) m * n * k < SERIAL_WORK; }

    static void run(int m, int n, int k, int mr, int nr, Block block) {
        int slivers = (m + mr - 1) / mr, panels = (n + nr - 1) / nr;
        int t = Parallel.threads();
        if (serial(m, n, k)) {
            block.run(0, m, 0, panels);
            return;
        }
        // Rows first: each thread packs its own A and reads shared B panels. Too few rows: split the panels too.
        int rowParts = Math.min(t, Math.max(1, slivers / 4));
        int colParts = Math.min(panels, Math.max(1, t / rowParts));
        int tasks = rowParts * colParts;
        Parallel.forRange(tasks, 1, (from, to) -> {
            for (int task = from; task < to; task++) {
                int rp = task / colParts, cp = task % colParts;
                int s0 = (int) ((long) slivers * rp / rowParts), s1 = (int) ((long) slivers * (rp + 1) / rowParts);
                int p0 = (int) ((long) panels * cp / colParts), p1 = (int) ((long) panels * (cp + 1) / colParts);
                if (s0 < s1 && p0 < p1) block.run(s0 * mr, Math.min(m, s1 * mr), p0, p1);
            }
        });
    }

    /** Splits {@code len} into blocks of at most {@code max}, all about the same size (a multiple of {@code unit}). */
    static int blockSize(int len, int max, int unit) {
        int blocks = (len + max - 1) / max;
        int size = (len + blocks - 1) / blocks;
        return Math.min(max, (size + unit - 1) / unit * unit);
    }
}
