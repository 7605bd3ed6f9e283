package dev.mithril.runtime;

import java.util.concurrent.locks.StampedLock;

/**
 * The weight matrix of a linear layer, {@code w[n = out][k = in]} (PyTorch layout), rearranged once into the column
 * panels that {@link Gemm}'s micro-kernel streams, so that repeated forward passes skip packing. Create with
 * {@link Gemm#pack(float[], int, int, int)} or, in float64, {@link Gemm#pack(double[], int, int, int)}.
 *
 * <p>It also keeps a reference (not a copy) to the original array, which the native BLAS path
 * ({@link Gemm#useNative(boolean)}) multiplies directly: the original must not be modified afterwards.
 */
public final class PackedWeights {
    /**
     * How many times one weight's panels are moved back onto a cache line after the collector moved the array. Each
     * move is a copy within the array; a collector that keeps moving it stops being followed after that, and the
     * panels stay correct where they are, only slower.
     */
    static final int MAX_RELAYOUTS = 8;

    private final int n, k;
    final float[] source;
    final double[] panels64, source64;
    final int sourceOff;
    /** The float32 panels (null for float64), with {@link CacheLines#SLACK} floats of room. */
    private final CacheLines.Tracked panels;
    private final int panelSize;
    /**
     * Where {@link GemmDot#packDots}'s interleaved copy of the weight starts, counted from the panels' start, or -1
     * where there is none. It lies in the same array right after the panels (inside {@code panelSize}), so that it
     * moves with them.
     */
    private final int dotsAt;
    /** Where the panels start in {@link #panels}; changed only under {@link #lock}'s write lock. */
    private volatile int panelOff;
    /** Products hold its read lock while they read the panels; moving them onto a line takes its write lock. */
    private final StampedLock lock = new StampedLock();
    private int relayouts;

    private PackedWeights(int n, int k, CacheLines.Tracked panels, int panelOff, int panelSize, int dotsAt, float[] source,
                          double[] panels64, double[] source64, int sourceOff) {
        this.dotsAt = dotsAt;
        this.n = n;
        this.k = k;
        this.panels = panels;
        this.panelOff = panelOff;
        this.panelSize = panelSize;
        this.source = source;
        this.panels64 = panels64;
        this.source64 = source64;
        this.sourceOff = sourceOff;
    }

    /**
     * Float32 panels of {@code panelSize} floats packed at {@code panels.data()[panelOff]}, of which the last ones from
     * {@code panelOff + dotsAt} on are the interleaved copy for dot products ({@code dotsAt = -1}: none).
     */
    static PackedWeights f32(int n, int k, CacheLines.Tracked panels, int panelOff, int panelSize, int dotsAt,
                             float[] source, int sourceOff) {
        return new PackedWeights(n, k, panels, panelOff, panelSize, dotsAt, source, null, null, sourceOff);
    }

    static PackedWeights f64(int n, int k, double[] panels, double[] source, int sourceOff) {
        return new PackedWeights(n, k, null, 0, 0, -1, null, panels, source, sourceOff);
    }

    /** Whether there is an interleaved copy for {@link GemmDot} ({@link #dotsOff()}). */
    boolean hasDots() { return dotsAt >= 0; }

    /** Where the interleaved copy starts in {@link #panels()}; stable between {@link #readPanels} and {@link #release}. */
    int dotsOff() { return panelOff + dotsAt; }

    /** The array holding the float32 panels. Read it only between {@link #readPanels} and {@link #release}. */
    float[] panels() { return panels.data(); }

    /** Where the panels start in {@link #panels()}; stable between {@link #readPanels} and {@link #release}. */
    int panelOff() { return panelOff; }

    /**
     * Holds the float32 panels steady for one product: until {@link #release} with the stamp returned, neither the
     * array nor {@link #panelOff()} changes. First, if the collector has moved the array so that the panels no longer
     * start on a cache line ({@link CacheLines}), they are copied onto one within the array (at most
     * {@link #MAX_RELAYOUTS} times), unless another product is reading them right now; then that waits for a later
     * call. {@code align}: whether to look at all (the blocked path, where placement pays; not the narrow one).
     */
    long readPanels(boolean align) {
        if (align && relayouts < MAX_RELAYOUTS) {
            int line = panels.line();
            if (line >= 0 && line != panelOff) relayout();
        }
        return lock.readLock();
    }

    /** Ends what {@link #readPanels} began. */
    void release(long stamp) { lock.unlockRead(stamp); }

    private void relayout() {
        long stamp = lock.tryWriteLock();
        if (stamp == 0) return; // being read: the next product tries again
        try {
            int line = panels.line(); // again, under the lock
            if (line < 0 || line == panelOff || relayouts >= MAX_RELAYOUTS) return;
            System.arraycopy(panels.data(), panelOff, panels.data(), line, panelSize); // overlapping ranges copy correctly
            panelOff = line;
            relayouts++;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** Output features (rows of the original weight). */
    public int n() { return n; }

    /** Input features (columns of the original weight). */
    public int k() { return k; }

    /** {@link DType#F32} or {@link DType#F64}: which {@code Gemm.linear} overload accepts these weights. */
    public DType dtype() { return panels != null ? DType.F32 : DType.F64; }

    @Override public String toString() { return "PackedWeights[n=" + n + ", k=" + k + ", " + dtype() + "]"; }
}
