package dev.mithril.runtime;

/**
 * Copies operands into the layouts {@link GemmKernel} reads: B as panels of {@link GemmKernel#NR} columns
 * (row p of panel j at {@code j*k*NR + p*NR}), A blocks as slivers of {@link GemmKernel#MR} rows (column p of
 * sliver s at {@code s*kc*MR + p*MR}). Both are zero-padded so the kernel never needs bounds checks.
 */
final class GemmPacking {
    private static final int NR = GemmKernel.NR, MR = GemmKernel.MR;

    private GemmPacking() {}

    static int panels(int n) { return (n + NR - 1) / NR; }

    /** Packs op(B) ([k, n]); {@code transB} means b holds B transposed, i.e. rows of length k. */
    static float[] packB(boolean transB, int k, int n, float[] b, int bOff, int ldb) {
        int np = panels(n);
        float[] p = new float[Math.multiplyExact(np * NR, k)];
        Parallel.forRange(np, Math.max(1, 65536 / Math.max(1, k * NR)), (from, to) -> {
            for (int j = from; j < to; j++) packPanel(transB, k, n, b, bOff, ldb, p, j);
        });
        return p;
    }

    private static void packPanel(boolean transB, int k, int n, float[] b, int bOff, int ldb, float[] p, int panel) {
        int j0 = panel * NR, w = Math.min(NR, n - j0), base = panel * k * NR;
        if (!transB) {
            for (int q = 0; q < k; q++) System.arraycopy(b, bOff + q * ldb + j0, p, base + q * NR, w);
        } else {
            for (int c = 0; c < w; c++) {
                int src = bOff + (j0 + c) * ldb;
                for (int q = 0; q < k; q++) p[base + q * NR + c] = b[src + q];
            }
        }
    }

    /** Packs rows [i0, i0+mc) and columns [p0, p0+kc) of op(A) into {@code dst}. */
    static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] dst) {
        int slivers = (mc + MR - 1) / MR;
        for (int s = 0; s < slivers; s++) {
            int base = s * kc * MR, rows = Math.min(MR, mc - s * MR);
            if (!transA) {
                for (int r = 0; r < rows; r++) {
                    int src = aOff + (i0 + s * MR + r) * lda + p0;
                    for (int q = 0; q < kc; q++) dst[base + q * MR + r] = a[src + q];
                }
            } else {
                for (int q = 0; q < kc; q++) {
                    System.arraycopy(a, aOff + (p0 + q) * lda + i0 + s * MR, dst, base + q * MR, rows);
                }
            }
            if (rows < MR) {
                for (int q = 0; q < kc; q++) for (int r = rows; r < MR; r++) dst[base + q * MR + r] = 0f;
            }
        }
    }
}
