package dev.mithril.runtime;

/**
 * The weight matrix of a linear layer, {@code w[n = out][k = in]} (PyTorch layout), rearranged once into
 * the column panels that {@link Gemm}'s micro-kernel streams, so that repeated forward passes skip packing.
 * Create with {@link Gemm#pack(float[], int, int, int)}.
 */
public final class PackedWeights {
    private final int n, k;
    final float[] panels;

    PackedWeights(int n, int k, float[] panels) {
        this.n = n;
        this.k = k;
        this.panels = panels;
    }

    /** Output features (rows of the original weight). */
    public int n() { return n; }

    /** Input features (columns of the original weight). */
    public int k() { return k; }

    @Override public String toString() { return "PackedWeights[n=" + n + ", k=" + k + "]"; }
}
