package dev.mithril.runtime;

/**
 * im2col written straight into the packed-B layout of the float32 GEMM ({@link GemmPacking}: panels of
 * {@code NR} columns, row {@code q} of panel {@code j} at {@code j * k * NR + q * NR}, zero-padded), so that a
 * convolution's GEMM reads its input patches without the im2col matrix and the GEMM's own copy of it: one pass
 * over the columns instead of three. The matrix packed is {@link Im2col}'s {@code col} ({@code kk} rows of
 * {@code b * ohw} columns) for images {@code [n0, n0 + b)} and group {@code gi}, as the forward product's B, or
 * its transpose as the weight gradient's B.
 */
final class ConvPanels {
    private static final int NR = GemmKernel.NR;
    /** Minimum packed elements per task, so that small operands are packed by one thread. */
    private static final int GRAIN = 1 << 16;

    private ConvPanels() {}

    /** Elements of the packed form. */
    static int size(ConvGeometry g, int b) { return GemmPacking.packedSize(g.kk(), b * g.ohw(), NR); }

    /** Packs every panel into {@code p} (split over the threads unless called from inside a parallel region). */
    static void pack(ConvGeometry g, float[] x, int n0, int b, int gi, float[] p) {
        pack(g, x, n0, b, gi, 0, GemmPacking.panels(b * g.ohw(), NR), p);
    }

    /**
     * Packs panels {@code [j0, j1)} only, panel {@code j} at {@code (j - j0) * kk * NR}: the packed form of the columns
     * {@code [j0 * NR, min(j1 * NR, b * ohw))} on their own.
     */
    static void pack(ConvGeometry g, float[] x, int n0, int b, int gi, int j0, int j1, float[] p) {
        Parallel.forRange(j1 - j0, Math.max(1, GRAIN / (g.kk() * NR)), (from, to) -> {
            int[] runs = Scratch.ints(Scratch.PANEL_RUNS, 5 * NR); // the running thread's own, kept between calls
            for (int j = j0 + from; j < j0 + to; j++) panel(g, x, n0, b, gi, j, j0, runs, p);
        });
    }

    /**
     * Panel {@code j}: its columns split into runs along one output row of one image, (destination column, image,
     * output row, first output column, length) each; then, per im2col row (channel, tap), each run is one strided
     * stretch of an input row with zeros where the tap lands in the padding.
     */
    private static void panel(ConvGeometry g, float[] x, int n0, int b, int gi, int j, int j0, int[] runs, float[] p) {
        int ohw = g.ohw(), ow = g.ow(), kk = g.kk(), q0 = j * NR, width = Math.min(NR, b * ohw - q0), base = (j - j0) * kk * NR;
        int nRuns = 0;
        for (int q = q0; q < q0 + width; nRuns++) {
            int i = q / ohw, rem = q % ohw, len = Math.min(ow - rem % ow, q0 + width - q);
            runs[5 * nRuns] = q - q0;
            runs[5 * nRuns + 1] = ((n0 + i) * g.c() + gi * g.cg()) * g.hw();
            runs[5 * nRuns + 2] = rem / ow;
            runs[5 * nRuns + 3] = rem % ow;
            runs[5 * nRuns + 4] = len;
            q += len;
        }
        int kh = g.kh(), kw = g.kw(), sW = g.strideW(), w = g.w(), cg = g.cg();
        // Loops over channel and taps rather than im2col rows: no divisions per row, and a tap's bounds are per run.
        for (int u = 0; u < nRuns; u++) {
            int col = runs[5 * u], plane = runs[5 * u + 1], oh = runs[5 * u + 2], ow0 = runs[5 * u + 3], len = runs[5 * u + 4];
            for (int ki = 0; ki < kh; ki++) {
                int ih = oh * g.strideH() - g.padH() + ki * g.dilationH();
                boolean rowInside = ih >= 0 && ih < g.h();
                for (int kj = 0; kj < kw; kj++) {
                    int off = kj * g.dilationW() - g.padW();
                    int lo = Math.max(ow0, Math.min(ConvGeometry.firstValid(off, sW), ow0 + len));
                    int hi = Math.max(lo, Math.min(ConvGeometry.endValid(off, sW, w, ow), ow0 + len));
                    if (!rowInside) lo = hi = ow0 + len;
                    int src = plane + ih * w + off, d = base + (ki * kw + kj) * NR + col - ow0;
                    for (int c = 0; c < cg; c++, src += g.hw(), d += kh * kw * NR) {
                        for (int e = ow0; e < lo; e++) p[d + e] = 0f;
                        if (sW == 1) { if (hi > lo) System.arraycopy(x, src + lo, p, d + lo, hi - lo); }
                        else for (int e = lo; e < hi; e++) p[d + e] = x[src + e * sW];
                        for (int e = hi; e < ow0 + len; e++) p[d + e] = 0f;
                    }
                }
            }
        }
        if (width < NR) for (int r = 0; r < kk; r++) java.util.Arrays.fill(p, base + r * NR + width, base + (r + 1) * NR, 0f);
    }

    /** Elements of the packed transpose. */
    static int sizeTransposed(ConvGeometry g, int b) { return GemmPacking.packedSize(b * g.ohw(), g.kk(), NR); }

    /**
     * Packs {@code col} transposed ({@code b * ohw} rows of {@code kk}) into {@code p}: panel {@code j} holds taps
     * {@code [j * NR, j * NR + NR)}, one row per output position.
     */
    static void packTransposed(ConvGeometry g, float[] x, int n0, int b, int gi, float[] p) {
        int panels = GemmPacking.panels(g.kk(), NR);
        Parallel.forRange(panels, Math.max(1, GRAIN / (b * g.ohw() * NR)), (from, to) -> {
            int[] taps = Scratch.ints(Scratch.PANEL_TAPS, 4 * NR); // the running thread's own, kept between calls
            for (int j = from; j < to; j++) panelTransposed(g, x, n0, b, gi, j, taps, p);
        });
    }

    /**
     * Panel {@code j} of the transpose, one output row (of one image) at a time: its {@code ow * NR} elements stay in
     * the L1 cache while every tap of the panel is written into them, each tap a strided stretch of an input row.
     */
    private static void panelTransposed(ConvGeometry g, float[] x, int n0, int b, int gi, int j, int[] taps, float[] p) {
        int kk = g.kk(), r0 = j * NR, width = Math.min(NR, kk - r0), ow = g.ow(), sW = g.strideW(), w = g.w();
        int base = j * b * g.ohw() * NR, kt = g.kh() * g.kw();
        for (int t = 0; t < width; t++) {
            int r = r0 + t, ki = r / g.kw() % g.kh(), kj = r % g.kw(), off = kj * g.dilationW() - g.padW();
            taps[4 * t] = r / kt * g.hw() + off;                      // input offset of the tap, row 0
            taps[4 * t + 1] = ki * g.dilationH() - g.padH();           // input row of output row 0
            taps[4 * t + 2] = ConvGeometry.firstValid(off, sW);
            taps[4 * t + 3] = Math.max(taps[4 * t + 2], ConvGeometry.endValid(off, sW, w, ow));
        }
        for (int row = 0; row < b * g.oh(); row++) {
            int i = row / g.oh(), oh = row % g.oh();
            int plane = ((n0 + i) * g.c() + gi * g.cg()) * g.hw(), d = base + row * ow * NR;
            for (int t = 0; t < width; t++) {
                int ih = oh * g.strideH() + taps[4 * t + 1], lo = taps[4 * t + 2], hi = taps[4 * t + 3];
                if (ih < 0 || ih >= g.h()) {
                    for (int e = 0; e < ow; e++) p[d + e * NR + t] = 0f;
                    continue;
                }
                int src = plane + taps[4 * t] + ih * w;
                for (int e = 0; e < lo; e++) p[d + e * NR + t] = 0f;
                for (int e = lo; e < hi; e++) p[d + e * NR + t] = x[src + e * sW];
                for (int e = hi; e < ow; e++) p[d + e * NR + t] = 0f;
            }
            for (int t = width; t < NR; t++) for (int e = 0; e < ow; e++) p[d + e * NR + t] = 0f;
        }
    }
}
