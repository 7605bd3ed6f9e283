package dev.mithril.runtime;

import java.util.Arrays;

/**
 * A convolution weight ({@code [O, C/groups, kh, kw]}) prepared once for many forward passes: created by
 * {@link Conv2d#prepack(Tensor, int)}, passed to {@link Conv2d#conv2dInto(Tensor, PackedConv2d, Tensor, int, int, int,
 * int, int, int, Tensor, Epilogue, Tensor)} in place of the weight. In float32 it holds each group's weight
 * rearranged into the GEMM's panels, which the forward pass multiplies by the input patches without packing the
 * weight again: on small output planes (ResNet's 14x14 and 7x7 layers at batch 1) packing a weight of up to
 * 512x4608 costs as much as the product itself.
 *
 * <p>Like {@link PackedWeights} it also keeps a reference (not a copy) to the original weight, which shapes that run
 * faster on the unpacked kernels (large planes, depthwise convolutions, float64) multiply directly: the original
 * must not be modified afterwards. After changing the weight (a training step), prepack it again.
 */
public final class PackedConv2d {
    private final Tensor weight;
    private final int groups;
    /** Per group, the packed B operand of {@link ConvRows}; null where no float32 packed path applies. */
    final float[][] panels;
    /** The transformed weight of {@link ConvWinograd}, made on first use (a 3x3 weight of one group only). */
    private volatile float[] winograd;

    PackedConv2d(Tensor weight, int groups, float[][] panels) {
        this.weight = weight;
        this.groups = groups;
        this.panels = panels;
    }

    /**
     * The weight's Winograd transform for {@link ConvWinograd}, made by the first forward pass that runs that form
     * (16/9 of the weight's size, so a model keeps it only for its layers that use it). Two threads arriving together
     * may both make it; either copy is the same.
     */
    float[] winograd() {
        float[] u = winograd;
        if (u == null) {
            int[] s = weight.shape();
            u = new float[ConvWinograd.packedSize(s[1], s[0])];
            ConvWinograd.pack(s[1], s[0], weight.data(), false, u);
            winograd = u;
        }
        return u;
    }

    /** The weight this was packed from (the same tensor, not a copy). */
    Tensor weight() { return weight; }

    /** The weight's shape {@code [O, C/groups, kh, kw]}. */
    public int[] weightShape() { return weight.shape(); }

    /** The groups the weight was packed for. */
    public int groups() { return groups; }

    /** The weight's dtype, which the input must have. */
    public DType dtype() { return weight.dtype(); }

    @Override public String toString() {
        return "PackedConv2d[" + Arrays.toString(weight.shape()) + ", groups " + groups + ", " + weight.dtype().safetensorsName()
                + (panels == null ? ", unpacked" : "") + "]";
    }
}
