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
    static final int KC = 192;

    /** Rows of A per packed block: MC x KC elements live in L2 while every B panel of the task streams past. */
    static final int MC_ROWS = 240;

    private GemmTuning() {}
}
