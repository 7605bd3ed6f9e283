package dev.mithril.runtime;

import jdk.incubator.vector.FloatVector;

/** Machine facts the GEMM blocking is derived from. Sizes are in bytes so float32 and float64 share them. */
final class GemmTuning {
    /**
     * 32 architectural vector registers: AVX-512 (which is what a 512-bit preferred species means on x86) and
     * AArch64. Plain AVX2 has 16, which fits only the 4-row tile.
     */
    static final boolean WIDE_REGISTER_FILE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            || System.getProperty("os.arch", "").equals("aarch64");

    /**
     * Depth of one k block (property {@code mithril.gemm.kc}). A packed B panel slice (KC x NR elements, 24 KiB in
     * either precision since a double panel has half the columns) stays in a 48 KiB L1 next to the A sliver and the
     * C tile streaming past it; deeper blocks, which touch C less often, measured no faster (192: 36 KiB).
     */
    static final int KC = Math.max(16, Integer.getInteger("mithril.gemm.kc", 128));

    /**
     * Depth of one k block where the packed B panels start on a cache line ({@link CacheLines}; property
     * {@code mithril.gemm.kcLined}). A slice is then 48 KiB and no longer stays in L1 next to the A sliver, but each
     * tile touches C half as often and the panels' 64-byte loads no longer straddle lines. At 1024 cubed on one core,
     * with the same packed panels: 150-153 GFLOP/s on a line at 256 deep, 141-147 at 128; off a line 135-139 at 256.
     * So products whose panels cannot be put on a line (no native access; the convolutions' own panels) keep
     * {@link #KC}.
     */
    static final int KC_LINED = Math.max(16, Integer.getInteger("mithril.gemm.kcLined", 256));

    /**
     * Rows of A per packed block (a number of micro-kernel slivers, property {@code mithril.gemm.mc}): MC x KC elements
     * live in L2 while every B panel of the task streams past. Both sizes may be overridden to tune another machine.
     */
    static final int MC_ROWS = Math.max(1, Integer.getInteger("mithril.gemm.mc", 30) ) * (WIDE_REGISTER_FILE ? 8 : 4);

    /**
     * Bytes of C one block of rows may cover (property {@code mithril.gemm.cblock}, in KiB): every k block of a row
     * block reads and writes those rows of C again, so they must stay in L2 next to the packed A block and the B
     * panel slices streaming through, or each tile's first touch of C misses to L3. With wide outputs this, not
     * {@link #MC_ROWS}, limits the rows per block.
     */
    static final int C_BLOCK_BYTES = Math.max(16, Integer.getInteger("mithril.gemm.cblock", 256)) * 1024;

    /**
     * Depth of one k block in float64 (property {@code mithril.gemm.kc64}), and the bytes of C one of its row blocks
     * may cover (property {@code mithril.gemm.cblock64}, in KiB). A float64 tile does half the float32 tile's flops
     * on the same bytes of C, so deeper blocks and longer row blocks pay: 1024 cubed went from 0.72 to 0.80-0.82 of
     * OpenBLAS's {@code dgemm} on one core and from 0.76-0.79 to 0.82 on two ({@code GemmBenchmark ... f64},
     * alternating JVMs against the float32 sizes, 128 and 256 KiB; docs/BENCHMARKS.md).
     */
    static final int KC64 = Math.max(16, Integer.getInteger("mithril.gemm.kc64", 192));
    static final int C_BLOCK_BYTES_64 = Math.max(16, Integer.getInteger("mithril.gemm.cblock64", 512)) * 1024;

    /** The bytes of C a row block may cover for elements of {@code elemBytes}. */
    static int cBlockBytes(int elemBytes) { return elemBytes == Double.BYTES ? C_BLOCK_BYTES_64 : C_BLOCK_BYTES; }

    /**
     * The fewest rows a row block should have: each row block streams its panels of packed B once per k block, so B is
     * read from L3 once per this many rows (at 16 rows, 2 bytes per multiply-add at one core's FMA rate: more than
     * L3 delivers). Tasks whose rows of C are too wide for it go by groups of {@link #panelGroup} panels.
     */
    static final int GROUP_ROWS = 64;

    /** Column panels of {@code nr} elements whose rows of C fit {@link #cBlockBytes} for {@link #GROUP_ROWS} rows. */
    static int panelGroup(int nr, int elemBytes) { return Math.max(1, cBlockBytes(elemBytes) / (GROUP_ROWS * nr * elemBytes)); }

    /**
     * Panels per group for a task of {@code panels} column panels: all of them up to two groups of {@link #panelGroup},
     * else balanced groups of at most one.
     */
    static int groupPanels(int panels, int nr, int elemBytes) {
        int group = panelGroup(nr, elemBytes);
        return panels <= 2 * group ? panels : GemmDriver.blockSize(panels, group, 1);
    }

    /**
     * Whether a product that packs B as it goes takes all its {@code rows} as one row block: they fit the A packing
     * buffer, and their rows of C cover at most four times {@link #cBlockBytes}. One row block packs each slice of B
     * into a small buffer that stays in L1 ({@code GemmBlocks.runPackingB}); several pack all of B into a buffer that
     * goes out to memory. float64 64 x 1024 x 1024 went from 0.74-0.75 to 0.97-1.04 of OpenBLAS on one core, 128 rows
     * from 0.73-0.74 to 0.90-0.98, and float32 128 x 1024 x 1024 from 0.94-0.95 to 1.00-1.02. A product that reads
     * pre-packed panels keeps {@link #blockRows}: 128 float64 rows in one block took it from 60-67 to 21-22 GFLOP/s.
     */
    static boolean oneRowBlock(int rows, int cols, int elemBytes) {
        return rows <= MC_ROWS && (long) rows * cols * elemBytes <= 4L * cBlockBytes(elemBytes);
    }

    /** Rows per block of an A x B task whose C rows are {@code cols} elements of {@code elemBytes} each. */
    static int blockRows(int cols, int elemBytes, int mr) {
        int fit = cBlockBytes(elemBytes) / Math.max(1, cols * elemBytes) / mr * mr;
        return Math.min(MC_ROWS, Math.max(2 * mr, fit));
    }

    private GemmTuning() {}
}
