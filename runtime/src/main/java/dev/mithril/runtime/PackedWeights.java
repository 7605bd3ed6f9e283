package dev.mithril.runtime;

/**
 * The weight matrix of a linear layer, {@code w[n = out][k = in]} (PyTorch layout), rearranged once into the column
 * panels that {@link Gemm}'s micro-kernel streams, so that repeated forward passes skip packing. Create with
 * {@link Gemm#pack(float[], int, int, int)} or, in float64, {@link Gemm#pack(double[], int, int, int)}.
 *
 * <p>It also keeps a reference (not a copy) to the original array, which the native BLAS path
 * ({@link Gemm#useNative(boolean)}) multiplies directly: the original must not be modified afterwards.
 */
public final class PackedWeights {
    private final int n, k;
    final float[] panels, source;
    final double[] panels64, source64;
    final int sourceOff;

    private PackedWeights(int n, int k, float[] panels, float[] source, double[] panels64, double[] source64, int sourceOff) {
        this.n = n;
        this.k = k;
        this.panels = panels;
        this.source = source;
        this.panels64 = panels64;
        this.source64 = source64;
        this.sourceOff = sourceOff;
    }

    static PackedWeights f32(int n, int k, float[] panels, float[] source, int sourceOff) {
        return new PackedWeights(n, k, panels, source, null, null, sourceOff);
    }

    static PackedWeights f64(int n, int k, double[] panels, double[] source, int sourceOff) {
        return new PackedWeights(n, k, null, null, panels, source, sourceOff);
    }

    /** Output features (rows of the original weight). */
    public int n() { return n; }

    /** Input features (columns of the original weight). */
    public int k() { return k; }

    /** {@link DType#F32} or {@link DType#F64}: which {@code Gemm.linear} overload accepts these weights. */
    public DType dtype() { return panels != null ? DType.F32 : DType.F64; }

    @Override public String toString() { return "PackedWeights[n=" + n + ", k=" + k + ", " + dtype() + "]"; }
}
