package dev.mithril.runtime;

/**
 * The cache-blocked loops of one task from {@link GemmDriver}: for each block of up to {@code MC} rows and each k
 * block of up to {@code KC} ({@code KC_LINED} where the packed panels start on a cache line), pack that piece of A
 * (L2-resident), then run the micro-kernel over every packed B panel
 * of the task, sliver by sliver, so each B panel slice is reused from L1 across the block's rows. The rows per
 * block also keep that block's rows of C in L2 ({@link GemmTuning#blockRows}). Block sizes are
 * balanced (784 = 4 x 196, not 3 x 256 + 16) so no thin k block pays the tile load/store alone.
 */
final class GemmBlocks {
    private static final int KC = GemmTuning.KC, KC_LINED = GemmTuning.KC_LINED, MC = GemmTuning.MC_ROWS;
    private static final int MR = GemmKernel.MR, NR = GemmKernel.NR, NR64 = GemmKernel64.NR;
    /**
     * Largest per-thread B buffer kept between calls (elements, 16 MB of float32). {@code Gemm.sgemm} splits a product
     * whose packed B is larger into products that fit it; other callers with a larger B allocate their own.
     */
    static final int KEEP_B = 1 << 22;

    private static final ThreadLocal<float[]> A32 = ThreadLocal.withInitial(() -> new float[MC * Math.max(KC, KC_LINED)]);
    private static final ThreadLocal<float[]> T32 = ThreadLocal.withInitial(() -> new float[MR * NR]);
    private static final ThreadLocal<CacheLines.Tracked> B32 = new ThreadLocal<>();
    /** One k block of one float32 panel, packed just before its tiles when a product has a single row block. */
    private static final ThreadLocal<CacheLines.Tracked> S32 =
            ThreadLocal.withInitial(() -> new CacheLines.Tracked(new float[Math.max(KC, KC_LINED) * NR + CacheLines.SLACK]));
    private static final ThreadLocal<double[]> A64 = ThreadLocal.withInitial(() -> new double[MC * GemmTuning.KC64]);
    private static final ThreadLocal<double[]> T64 = ThreadLocal.withInitial(() -> new double[MR * NR64]);
    private static final ThreadLocal<double[]> B64 = new ThreadLocal<>();
    /** One k block of one float64 panel, packed just before its tiles when a product has a single row block. */
    private static final ThreadLocal<double[]> S64 = ThreadLocal.withInitial(() -> new double[GemmTuning.KC64 * NR64]);

    private GemmBlocks() {}

    /**
     * A buffer for packing B on this thread, reused across calls while it is not too large: {@code data()} has
     * {@link CacheLines#SLACK} floats more than {@code size}, so that the panels can start on a cache line.
     */
    static CacheLines.Tracked bBuffer32(int size) {
        CacheLines.Tracked b = B32.get();
        if (b != null && b.data().length >= size + CacheLines.SLACK) return b;
        b = new CacheLines.Tracked(new float[size + CacheLines.SLACK]);
        if (size <= KEEP_B) B32.set(b);
        return b;
    }

    static double[] bBuffer64(int size) {
        double[] b = B64.get();
        if (b != null && b.length >= size) return b;
        b = new double[size];
        if (size <= KEEP_B) B64.set(b);
        return b;
    }

    /**
     * C = epilogue(op(A) * packed B) for k >= 1. A product that runs on one thread calls the blocked loops directly,
     * so that no lambda is created (nothing is allocated per call, whatever the JIT's escape analysis decides).
     */
    static void run(GemmKernel.Out o, boolean transA, float[] a, int aOff, int lda, float[] bp, int m, int n, int k) {
        run(o, transA, a, aOff, lda, bp, 0, false, m, n, k);
    }

    /**
     * As {@link #run(GemmKernel.Out, boolean, float[], int, int, float[], int, int, int)} with the panels at
     * {@code bp[bpOff]}. {@code lined}: the caller puts its panels on a cache line ({@link CacheLines}), so the blocks
     * go {@link GemmTuning#KC_LINED} deep instead of {@link GemmTuning#KC}. It is the same for every call in a JVM
     * (whether addresses are known there), not whether this call's panels happen to be on a line, so that a product's
     * k blocks, and so its sums to the last bit, do not change from call to call with the collector's moves.
     */
    static void run(GemmKernel.Out o, boolean transA, float[] a, int aOff, int lda, float[] bp, int bpOff, boolean lined,
                    int m, int n, int k) {
        runPackingB(o, transA, a, aOff, lda, false, null, 0, 0, bp, bpOff, lined, m, n, k);
    }

    private static final ThreadLocal<Task32> TASKS32 = ThreadLocal.withInitial(Task32::new);
    private static final ThreadLocal<Task64> TASKS64 = ThreadLocal.withInitial(Task64::new);

    /** One parallel product's operands, reused per calling thread so that the split allocates nothing per call. */
    private static final class Task32 implements GemmDriver.Block {
        GemmKernel.Out o;
        boolean transA, lined, inUse;
        float[] a, bp;
        int aOff, lda, bpOff, n, k;
        /** The source of B's panels when the task packs them itself ({@link #runPackingB}); null: {@code bp} is packed. */
        float[] b;
        boolean transB;
        /** The split counts columns in vectors, each task packing its own panels (below); else whole panels. */
        boolean units;
        int bOff, ldb;

        @Override public void run(int i0, int i1, int p0, int p1) { run(i0, i1, p0, p1, 0); }

        /**
         * Where the task packs B itself, {@code [p0, p1)} counts columns in vectors ({@link #COLUMN_UNIT}), not panels:
         * the task packs its columns into panels of its own, starting at panel {@code ceil(c0 / NR) + part} of the
         * buffer, so that the threads' shares differ by at most one vector of columns (1024 columns on two
         * threads: 512 each, where whole panels split them 528 and 496).
         */
        @Override public void run(int i0, int i1, int p0, int p1, int part) {
            if (!units) {
                block(o, transA, a, aOff, lda, bp, bpOff, lined, n, k, i0, i1, p0, p1, transB, b, bOff, ldb, 0,
                        p0 == 0 && p1 == GemmPacking.panels(n, NR));
                return;
            }
            int c0 = p0 * COLUMN_UNIT, c1 = Math.min(n, p1 * COLUMN_UNIT), w = c1 - c0;
            int slot = (c0 + NR - 1) / NR + part;
            block(o, transA, a, aOff, lda, bp, bpOff + slot * k * NR, lined, w, k, i0, i1, 0, GemmPacking.panels(w, NR),
                    transB, b, bOff + (transB ? c0 * ldb : c0), ldb, c0, c0 == 0 && c1 == n);
        }
    }

    /** Columns per unit of a panel split where each task packs its own panels: one vector. */
    private static final int COLUMN_UNIT = GemmKernel.V;

    /** Floats a buffer for {@code n} columns of packed B needs, when the product may be split over {@code t} tasks. */
    static int packedSize32(int k, int n, int t) {
        return GemmPacking.packedSize(k, n, NR) + (t > 1 ? Math.multiplyExact(t * NR, Math.max(k, 1)) : 0);
    }

    /** As {@link Task32}, float64. */
    private static final class Task64 implements GemmDriver.Block {
        GemmKernel64.Out o;
        boolean transA, inUse;
        double[] a, bp;
        int aOff, lda, n, k;
        /** The source of B's panels when the task packs them itself ({@link #runPackingB}); null: {@code bp} is packed. */
        double[] b;
        boolean transB;
        int bOff, ldb;

        @Override public void run(int i0, int i1, int p0, int p1) {
            block(o, transA, a, aOff, lda, bp, n, k, i0, i1, p0, p1, transB, b, bOff, ldb);
        }
    }

    /**
     * C = epilogue(op(A) * op(B)) for k >= 1, packing B from {@code b} as the product goes ({@code b} null: {@code bp}
     * holds it packed already). A task with a single row block packs each k block of each panel into a small buffer
     * of its thread right before that block's tiles (read from L1; B read once); a task with several row blocks packs
     * into {@code bp} on its first row block, and the others read it there. In parallel only the columns are split,
     * in vectors where {@code bp} has a spare panel per thread ({@link Task32#run(int, int, int, int, int)}), else in
     * whole panels, so each thread packs what it computes, in the product's one region.
     */
    static void runPackingB(GemmKernel.Out o, boolean transA, float[] a, int aOff, int lda,
                            boolean transB, float[] b, int bOff, int ldb, float[] bp, int bpOff, boolean lined, int m, int n, int k) {
        int panels = GemmPacking.panels(n, NR);
        if (GemmDriver.serial(m, n, k)) {
            block(o, transA, a, aOff, lda, bp, bpOff, lined, n, k, 0, m, 0, panels, transB, b, bOff, ldb, 0, true);
            return;
        }
        if (b != null && panels < 2) { // one panel cannot be split: pack it, then split the rows
            GemmPacking.packB(transB, k, n, b, bOff, ldb, bp, bpOff);
            b = null;
        }
        Task32 task = TASKS32.get();
        if (task.inUse) task = new Task32(); // started from inside another product's block on this thread
        task.inUse = true;
        task.o = o; task.transA = transA; task.a = a; task.aOff = aOff; task.lda = lda; task.bp = bp; task.n = n; task.k = k;
        task.bpOff = bpOff; task.lined = lined;
        task.transB = transB; task.b = b; task.bOff = bOff; task.ldb = ldb;
        try {
            // the tasks' own panels start at ceil(c0 / NR) + part: that needs room for one panel more per task than n
            // needs; a buffer without it (a product close to the buffer kept between calls) is split by whole panels
            int t = Parallel.threads(), room = (bp.length - bpOff) / (NR * Math.max(1, k)) - panels;
            task.units = b != null && room >= t;
            if (task.units) GemmDriver.run(m, n, k, MR, COLUMN_UNIT, true, task, t);
            else GemmDriver.run(m, n, k, MR, NR, b != null, task);
        } finally {
            task.o = null; task.a = null; task.bp = null; task.b = null;
            task.inUse = false;
        }
    }

    /**
     * Rows {@code [i0, i1)} by column panels {@code [p0, p1)} of C. A task whose panels do not start at 0 goes through
     * its row blocks starting half-way down: its left edge shares a cache line with the task beside it in every row
     * of C (a Java array's elements start 16 bytes into a line, so no panel edge is line-aligned), and two tasks that
     * work on the same rows at the same time would pass those lines back and forth between their cores.
     * <p>
     * A task wider than two groups of {@link GemmTuning#panelGroup} panels goes group by group, each group through all
     * the rows: otherwise its rows of C would allow row blocks of only 16 rows, and every 16 rows would stream the
     * task's whole packed B again (the decoder's 50257-column output layer: 103 MB per 16 rows).
     */
    private static void block(GemmKernel.Out o, boolean transA, float[] a, int aOff, int lda, float[] bp, int bpOff,
                              boolean lined, int n, int k, int i0, int i1, int p0, int p1,
                              boolean transB, float[] b, int bOff, int ldb, int c0, boolean alone) {
        int size = GemmTuning.groupPanels(p1 - p0, NR, Float.BYTES);
        for (int g = p0; g < p1; g += size) {
            rect(o, transA, a, aOff, lda, bp, bpOff, lined, n, k, i0, i1, g, Math.min(p1, g + size), transB, b, bOff, ldb, c0,
                    alone && size >= p1 - p0);
        }
    }

    /**
     * {@link #block} for a group of panels narrow enough for row blocks of {@link GemmTuning#GROUP_ROWS} rows;
     * {@code b} non-null: B is packed from it as the product goes ({@link #runPackingB}).
     */
    private static void rect(GemmKernel.Out o, boolean transA, float[] a, int aOff, int lda, float[] bp, int bpOff,
                             boolean lined, int n, int k, int i0, int i1, int p0, int p1,
                             boolean transB, float[] b, int bOff, int ldb, int c0, boolean alone) {
        int kb = GemmDriver.blockSize(k, lined ? KC_LINED : KC, 1);
        float[] ap = A32.get(), t = T32.get();
        // one row block where B is packed as the product goes, unless a task beside this one computes the same rows
        // at the same time: the row blocks are then staggered (below), or the two would pass the lines of C they
        // share back and forth (128 x 1024 x 1024 on two threads: 0.84-0.97 of OpenBLAS as one block, 0.95-1.00 as two)
        int mb = b != null && alone && GemmTuning.oneRowBlock(i1 - i0, (p1 - p0) * NR, Float.BYTES)
                ? i1 - i0 : GemmDriver.blockSize(i1 - i0, GemmTuning.blockRows((p1 - p0) * NR, Float.BYTES, MR), MR);
        int blocks = (i1 - i0 + mb - 1) / mb, start = p0 == 0 && c0 == 0 ? 0 : blocks / 2;
        // one row block: each slice of B is read by it alone, so it goes to a small buffer that stays in L1 rather
        // than into bp, whose megabytes would go out to memory and be read back
        boolean once = b != null && blocks == 1;
        float[] src = bp;
        int srcOff = bpOff;
        if (once) {
            CacheLines.Tracked slice = S32.get();
            src = slice.data();
            srcOff = lined ? slice.start() : 0;
        }
        for (int bi = 0; bi < blocks; bi++) {
            int ic = i0 + (start + bi) % blocks * mb, mc = Math.min(mb, i1 - ic);
            boolean pack = b != null && !once && bi == 0;
            for (int pc = 0; pc < k; pc += kb) {
                int kc = Math.min(kb, k - pc);
                boolean first = pc == 0, last = pc + kc == k;
                GemmPacking.packA(transA, a, aOff, lda, ic, mc, pc, kc, ap);
                // what the tiles after each one read: the next sliver of A (the first after the last), and 1/8 of
                // the next B panel slice per sliver (after the task's last panel, the first panel's next k block,
                // which the next row block starts with when this is the last k block); a slice packed as the
                // product goes is not there yet, so those tiles touch their own slice instead
                int nextPc = last ? 0 : Math.min(pc + kc, k - kc);
                for (int j = p0; j < p1; j++) {
                    int col = j * NR, cols = Math.min(NR, n - col), bO, bNextSlice;
                    if (once) {
                        GemmPacking.packSlice(transB, kc, n, b, bOff + (transB ? pc : pc * ldb), ldb, src, srcOff, j);
                        bO = srcOff;
                        bNextSlice = srcOff;
                    } else {
                        if (pack) GemmPacking.packB(transB, k, n, b, bOff, ldb, bp, bpOff, j, pc, pc + kc);
                        bO = bpOff + j * k * NR + pc * NR;
                        bNextSlice = j + 1 < p1 ? bO + k * NR : bpOff + p0 * k * NR + nextPc * NR;
                    }
                    for (int ir = 0; ir < mc; ir += MR) {
                        int aNext = (ir + MR < mc ? ir + MR : 0) * kc;
                        int bNext = bNextSlice + ir / MR % 8 * kc * GemmKernel.TOUCH_B;
                        GemmKernel.tile(o, ap, ir * kc, src, bO, kc, ic + ir, c0 + col, Math.min(MR, mc - ir), cols, first, last, t,
                                aNext, bNext);
                    }
                }
            }
        }
    }

    /** C = epilogue(op(A) * packed B) for k >= 1, float64. */
    static void run(GemmKernel64.Out o, boolean transA, double[] a, int aOff, int lda, double[] bp, int m, int n, int k) {
        runPackingB(o, transA, a, aOff, lda, false, null, 0, 0, bp, m, n, k);
    }

    /**
     * C = epilogue(op(A) * op(B)) for k >= 1, float64, packing B from {@code b} as the product goes ({@code b} null:
     * {@code bp} holds it packed already). A task with a single row block packs each k block of each panel into a
     * small buffer of its thread right before that block's tiles, so the packed slice is read from L1 and B is read
     * once; a task with several row blocks packs into {@code bp} on its first row block, and the others read it there.
     * In parallel only the panels are split, so each thread packs what it computes. Packing all of B first, on one
     * core, took 1.0-1.4 ms of a 3.0 ms product at 48 x 1024 x 1024 (B transposed: a weight {@code [out, in]}).
     */
    static void runPackingB(GemmKernel64.Out o, boolean transA, double[] a, int aOff, int lda,
                            boolean transB, double[] b, int bOff, int ldb, double[] bp, int m, int n, int k) {
        int panels = GemmPacking.panels(n, NR64);
        if (GemmDriver.serial(m, n, k)) block(o, transA, a, aOff, lda, bp, n, k, 0, m, 0, panels, transB, b, bOff, ldb);
        else {
            if (b != null && panels < 2) { // one panel cannot be split: pack it, then split the rows
                GemmPacking.packB(transB, k, n, b, bOff, ldb, bp);
                b = null;
            }
            Task64 task = TASKS64.get();
            if (task.inUse) task = new Task64();
            task.inUse = true;
            task.o = o; task.transA = transA; task.a = a; task.aOff = aOff; task.lda = lda; task.bp = bp; task.n = n; task.k = k;
            task.transB = transB; task.b = b; task.bOff = bOff; task.ldb = ldb;
            try {
                GemmDriver.run(m, n, k, MR, NR64, b != null, task);
            } finally {
                task.o = null; task.a = null; task.bp = null; task.b = null;
                task.inUse = false;
            }
        }
    }

    /** As the float32 {@code block}; {@code b} non-null: B is packed from it as the product goes ({@link #runPackingB}). */
    private static void block(GemmKernel64.Out o, boolean transA, double[] a, int aOff, int lda, double[] bp, int n, int k,
                              int i0, int i1, int p0, int p1, boolean transB, double[] b, int bOff, int ldb) {
        int size = GemmTuning.groupPanels(p1 - p0, NR64, Double.BYTES);
        for (int g = p0; g < p1; g += size) {
            rect(o, transA, a, aOff, lda, bp, n, k, i0, i1, g, Math.min(p1, g + size), transB, b, bOff, ldb);
        }
    }

    private static void rect(GemmKernel64.Out o, boolean transA, double[] a, int aOff, int lda, double[] bp, int n, int k,
                             int i0, int i1, int p0, int p1, boolean transB, double[] b, int bOff, int ldb) {
        int kb = GemmDriver.blockSize(k, GemmTuning.KC64, 1);
        double[] ap = A64.get(), t = T64.get();
        int mb = b != null && GemmTuning.oneRowBlock(i1 - i0, (p1 - p0) * NR64, Double.BYTES)
                ? i1 - i0 : GemmDriver.blockSize(i1 - i0, GemmTuning.blockRows((p1 - p0) * NR64, Double.BYTES, MR), MR);
        // one row block: each slice of B is read by it alone, so it goes to a small buffer that stays in L1 rather
        // than into bp, whose megabytes would go out to memory and be read back
        boolean once = b != null && mb >= i1 - i0;
        double[] src = once ? S64.get() : bp;
        for (int ic = i0; ic < i1; ic += mb) {
            int mc = Math.min(mb, i1 - ic);
            boolean pack = b != null && ic == i0;
            for (int pc = 0; pc < k; pc += kb) {
                int kc = Math.min(kb, k - pc);
                boolean first = pc == 0, last = pc + kc == k;
                GemmPacking.packA(transA, a, aOff, lda, ic, mc, pc, kc, ap);
                for (int j = p0; j < p1; j++) {
                    int col = j * NR64, cols = Math.min(NR64, n - col), bO = once ? 0 : j * k * NR64 + pc * NR64;
                    if (once) GemmPacking.packSlice(transB, kc, n, b, bOff + (transB ? pc : pc * ldb), ldb, src, j);
                    else if (pack) GemmPacking.packB(transB, k, n, b, bOff, ldb, bp, j, pc, pc + kc);
                    for (int ir = 0; ir < mc; ir += MR) {
                        GemmKernel64.tile(o, ap, ir * kc, src, bO, kc, ic + ir, col, Math.min(MR, mc - ir), cols, first, last, t);
                    }
                }
            }
        }
    }
}
