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
     * Depth of one k block. A packed B panel slice (KC x NR elements, 36 KiB in either precision since a double
     * panel has half the columns) stays in a 48 KiB L1 next to the A sliver streaming past it.
     */
    static final int KC = Math.max(16, Integer.getInteger("mithril.gemm.kc", 192));

    /**
     * Rows of A per packed block (a number of micro-kernel slivers, property {@code mithril.gemm.mc}): MC x KC elements
     * live in L2 while every B panel of the task streams past. Both sizes may be overridden to tune another machine.
     */
    static final int MC_ROWS = Math.max(1, Integer.getInteger("mithril.gemm.mc", 30) ) * (WIDE_REGISTER_FILE ? 8 : 4);

    private GemmTuning() {}
}
