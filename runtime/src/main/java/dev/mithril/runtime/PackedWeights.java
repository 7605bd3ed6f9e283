package dev.mithril.runtime;

import java.lang.foreign.MemorySegment;

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
     * How many times one weight's panels are copied onto a cache line again after the collector moved them off one.
     * A collector that keeps moving them (a young object copied between survivor spaces) stops being followed after
     * that; the panels stay correct where they are, only slower.
     */
    static final int MAX_RELAYOUTS = 4;

    private final int n, k;
    final float[] source;
    final double[] panels64, source64;
    final int sourceOff;
    /** The float32 panels; replaced, never changed in place, when they are copied onto a line again. */
    private volatile Panels panels;
    private int relayouts;

    /** Packed float32 panels starting at {@code data[off]}, {@code size} floats. */
    record Panels(float[] data, int off, int size, MemorySegment segment) {
        Panels(float[] data, int off, int size) { this(data, off, size, CacheLines.segment(data)); }

        /** Where a cache line starts in {@code data} now ({@link CacheLines#skip}); asking allocates nothing. */
        int line() { return CacheLines.skip(segment); }
    }

    private PackedWeights(int n, int k, Panels panels, float[] source, double[] panels64, double[] source64, int sourceOff) {
        this.n = n;
        this.k = k;
        this.panels = panels;
        this.source = source;
        this.panels64 = panels64;
        this.source64 = source64;
        this.sourceOff = sourceOff;
    }

    static PackedWeights f32(int n, int k, Panels panels, float[] source, int sourceOff) {
        return new PackedWeights(n, k, panels, source, null, null, sourceOff);
    }

    static PackedWeights f64(int n, int k, double[] panels, double[] source, int sourceOff) {
        return new PackedWeights(n, k, null, null, panels, source, sourceOff);
    }

    /** The float32 panels as they are (null for float64 weights). */
    Panels panels() { return panels; }

    /**
     * The float32 panels for a product of {@link GemmBlocks}: first copied into a new array where they start on a
     * cache line, if the collector has moved them off one since they were packed or last copied (see
     * {@link CacheLines}; at most {@link #MAX_RELAYOUTS} times). Threads multiplying by the old panels meanwhile
     * keep reading them, unchanged.
     */
    Panels panelsOnLine() {
        Panels p = panels;
        if (relayouts >= MAX_RELAYOUTS) return p;
        int line = p.line();
        return line < 0 || line == p.off() ? p : relayout(p);
    }

    private synchronized Panels relayout(Panels moved) {
        if (panels != moved || relayouts >= MAX_RELAYOUTS) return panels; // another thread did it
        float[] data = new float[moved.data().length];
        int off = Math.max(0, CacheLines.skip(data));
        System.arraycopy(moved.data(), moved.off(), data, off, moved.size());
        relayouts++;
        return panels = new Panels(data, off, moved.size());
    }

    /** Output features (rows of the original weight). */
    public int n() { return n; }

    /** Input features (columns of the original weight). */
    public int k() { return k; }

    /** {@link DType#F32} or {@link DType#F64}: which {@code Gemm.linear} overload accepts these weights. */
    public DType dtype() { return panels != null ? DType.F32 : DType.F64; }

    @Override public String toString() { return "PackedWeights[n=" + n + ", k=" + k + ", " + dtype() + "]"; }
}
