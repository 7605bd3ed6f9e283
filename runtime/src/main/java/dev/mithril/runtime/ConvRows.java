package dev.mithril.runtime;

/**
 * Float32 convolution with the output pixels as GEMM rows and the output channels as columns: per group,
 * {@code t[pixels, og] = col^T[pixels, kk] x W^T[kk, og]}, then {@code t} transposed into the NCHW output (bias,
 * residual and activation applied on the way). The weight is the GEMM's packed B operand, so it can be packed once
 * for many calls ({@link PackedConv2d}) and each packed panel slice is reused by every pixel sliver of a block,
 * where {@link ConvGemm} (channels as rows) repacks the weight on every call and reuses a panel of pixels only
 * {@code og / MR} times. The patches come from {@link Im2col}'s matrix, read transposed by the GEMM's A packing (1x1
 * stride-1 convolutions of one image read the input in place).
 */
final class ConvRows {
    private ConvRows() {}

    /**
     * Whether the forward pass with a pre-packed weight should take this form: below {@link ConvGemm#TRANSPOSE_BELOW}
     * pixels per call, where the plain call multiplies transposed too but packs the whole weight every time. Measured
     * (2 threads, batch 1) 1.3-1.5x faster than the plain call on ResNet's 7x7 outputs; on 14x14 ones it ties at best
     * (the im2col matrix this form reads, and its transposing into A slivers, cost about what packing the weight
     * saves), and on 28x28 and larger planes it is 10-50% slower.
     */
    static boolean pays(ConvGeometry g) {
        return (long) ConvGemm.chunk(g, ConvGemm.FORWARD_COLUMNS) * g.ohw() < ConvGemm.TRANSPOSE_BELOW;
    }

    /** Elements of one group's packed weight. */
    static int packedSize(ConvGeometry g) { return GemmPacking.packedSize(g.kk(), g.og(), GemmKernel.NR); }

    /** Packs group {@code gi} of {@code w} ({@code [O, C/groups, kh, kw]}) as the B operand of {@link #forward}, into {@code p}. */
    static void packWeight(ConvGeometry g, float[] w, int gi, float[] p) {
        GemmPacking.packB(true, g.kk(), g.og(), w, gi * g.og() * g.kk(), g.kk(), p);
    }

    /**
     * {@code out = act(conv(x, w) + bias + res)} with {@code packed[gi]} the weight of group {@code gi} as packed by
     * {@link #packWeight}; {@code bias} and {@code res} may be null.
     */
    static void forward(ConvGeometry g, float[] x, float[][] packed, float[] bias, float[] res, Epilogue act, float[] out) {
        ConvGemm.forEachChunk(g, ConvGemm.FORWARD_COLUMNS, (n0, b, nb) -> {
            int og = g.og(), ld = b * g.ohw();
            float[] t = ConvGemm.scratch(2, nb * g.ohw() * og);
            GemmKernel.Out o = new GemmKernel.Out(t, 0, og, 1f, 0f, null, Epilogue.NONE, null, 0, 0);
            for (int gi = 0; gi < g.groups(); gi++) {
                ConvGemm.Operand col = ConvGemm.patches(g, x, n0, b, nb, gi);
                GemmBlocks.run(o, true, col.a(), col.off(), col.ld(), packed[gi], ld, og, g.kk());
                ConvGemm.scatterTransposed(g, t, n0, b, gi, bias, res, act, out);
            }
        });
    }
}
