package dev.mithril.runtime;

/**
 * 2-d convolution over NCHW tensors with PyTorch's semantics ({@code torch.nn.functional.conv2d}), and its
 * gradients. Weights are {@code [O, C/groups, kh, kw]}; the output is {@code [N, O, OH, OW]} with
 * {@code OH = floor((H + 2 padH - dilationH (kh - 1) - 1) / strideH) + 1} (likewise OW).
 *
 * <p>F32 and F64 tensors run the {@link Algorithm} that {@link #choose} picks for the shape (or the one given),
 * over {@link Gemm#sgemm} or {@link Gemm#dgemm}. Every kernel splits its work over {@link Parallel}: over whole
 * images when there are at least as many chunks of images as threads, else inside each step. The GEMM algorithm
 * keeps scratch buffers per thread between calls (at most about 16 MiB of im2col columns or packed GEMM panels
 * in float32, 32 MiB in float64, plus one chunk of output planes); the in-place float32 forms keep one image's
 * phase planes and results per thread, and the weight gradient one accumulator the size of the weight (rounded up
 * to whole 48-channel panels) per thread; the Winograd form keeps one chunk's transformed tiles and products per
 * thread, the transformed weight of the last call (16/9 of the weight), and for the weight gradient accumulators of
 * that size (one per thread up to 8 MiB, one shared beyond).
 *
 * <pre>{@code
 * Tensor x = Tensor.randn(1, 8, 3, 32, 32), w = Tensor.randn(2, 16, 3, 3, 3), b = Tensor.randn(3, 16);
 * Tensor y = Conv2d.conv2d(x, w, b, 1, 1, 1, 1, 1, 1, 1);                 // [8, 16, 32, 32]
 * Tensor gx = Conv2d.conv2dBackwardInput(gy, w, x.shape(), 1, 1, 1, 1, 1, 1, 1);
 * Tensor gw = Conv2d.conv2dBackwardWeight(gy, x, w.shape(), 1, 1, 1, 1, 1, 1, 1);
 * Tensor gb = Conv2d.conv2dBackwardBias(gy);                              // [16]
 * // inference: pack the weight once, then y = relu(conv2d(x, w, b)) on every call without repacking it
 * PackedConv2d pw = Conv2d.prepack(w, 1);
 * Conv2d.conv2dInto(x, pw, b, 1, 1, 1, 1, 1, 1, null, Epilogue.RELU, y);
 * }</pre>
 */
public final class Conv2d {
    /** How a convolution is computed; all give the same result up to rounding. */
    public enum Algorithm {
        /**
         * Lower to GEMMs. In float32, 3x3 stride-1 kernels with at least 64 channels in and out on batches (an image
         * per thread) run Winograd's F(2x2, 3x3): 16 GEMMs over transformed 4x4 tiles, 2.25 times fewer multiply-adds,
         * in all three directions (its transforms' coefficients are 0, +-1 and 1/2, so results differ from the direct
         * sums by rounding only; an infinite input gives NaN rather than +-infinity in most outputs it reaches). Other kernels larger than 1x1 on large planes or batches read the input in place from
         * zero-padded phase planes with the GEMM's micro-kernel (forward, weight gradient, and input gradient at stride
         * 1); the other shapes pack the input patches straight into the GEMM's panels, or run im2col then
         * {@link Gemm#sgemm} (1x1 stride-1 convolutions skip the im2col copy). Float64 always takes im2col.
         */
        IM2COL_GEMM,
        /** A direct loop nest without extra memory: as fast as im2col + GEMM only on depthwise convolutions. */
        DIRECT
    }

    private Conv2d() {}

    /** The output shape {@code [N, O, OH, OW]}; throws {@link IllegalArgumentException} for shapes that do not convolve. */
    public static int[] outputShape(int[] inputShape, int[] weightShape, int strideH, int strideW, int padH, int padW,
                                    int dilationH, int dilationW, int groups) {
        return ConvGeometry.of("Conv2d.outputShape", inputShape, weightShape, strideH, strideW, padH, padW, dilationH, dilationW, groups)
                .outputShape();
    }

    /** The algorithm {@link #conv2d} and the gradients use for these shapes; a compiler may call it ahead of time. */
    public static Algorithm choose(int[] inputShape, int[] weightShape, int strideH, int strideW, int padH, int padW,
                                   int dilationH, int dilationW, int groups) {
        ConvGeometry g = ConvGeometry.of("Conv2d.choose", inputShape, weightShape, strideH, strideW, padH, padW, dilationH, dilationW, groups);
        return choose(g);
    }

    /**
     * Measured on AVX-512 (2 threads and 1): im2col + GEMM wins or ties on every shape tried, grouped ones included
     * (DIRECT was 2-15x slower with 4-16 channels per group); on depthwise convolutions the two tie, and DIRECT
     * is chosen there because it needs no im2col buffer (kh*kw times the input).
     */
    private static Algorithm choose(ConvGeometry g) {
        return g.og() == 1 && g.cg() == 1 ? Algorithm.DIRECT : Algorithm.IM2COL_GEMM;
    }

    // ---------------------------------------------------------------- forward

    /** {@code conv2d(x, w, bias)}; {@code bias} ({@code [O]}) may be null. Returns a new tensor of x's dtype. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW,
                                int dilationH, int dilationW, int groups) {
        ConvGeometry g = ConvGeometry.of("Conv2d.conv2d", x.shapeArray(), w.shapeArray(), strideH, strideW, padH, padW, dilationH, dilationW, groups);
        Tensor out = Tensor.zeros(x.dtype(), g.outputShape());
        forward("Conv2d.conv2d", g, x, w, bias, choose(g), out);
        return out;
    }

    /** As {@link #conv2d}, writing into {@code out} (shape {@link #outputShape}, x's dtype). */
    public static void conv2dInto(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW,
                                  int dilationH, int dilationW, int groups, Tensor out) {
        ConvGeometry g = ConvGeometry.of("Conv2d.conv2dInto", x.shapeArray(), w.shapeArray(), strideH, strideW, padH, padW, dilationH, dilationW, groups);
        forward("Conv2d.conv2dInto", g, x, w, bias, choose(g), out);
    }

    /** As {@link #conv2dInto(Tensor, Tensor, Tensor, int, int, int, int, int, int, int, Tensor)} with a fixed algorithm. */
    public static void conv2dInto(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW,
                                  int dilationH, int dilationW, int groups, Algorithm algorithm, Tensor out) {
        ConvGeometry g = ConvGeometry.of("Conv2d.conv2dInto", x.shapeArray(), w.shapeArray(), strideH, strideW, padH, padW, dilationH, dilationW, groups);
        forward("Conv2d.conv2dInto", g, x, w, bias, algorithm, out);
    }

    /**
     * {@code out = activation(conv2d(x, w, bias) + residual)}, the tail of a residual block fused into the convolution:
     * the float32 GEMM algorithm adds the residual and applies the activation while storing each output, instead of two
     * more passes over it. {@code residual} (may be null) has the output's shape; {@code activation} is
     * {@link Epilogue#NONE} or one without a bias ({@link Epilogue#RELU}, ...), as the bias is {@code bias}.
     */
    public static void conv2dInto(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW,
                                  int dilationH, int dilationW, int groups, Tensor residual, Epilogue activation, Tensor out) {
        String where = "Conv2d.conv2dInto";
        ConvGeometry g = ConvGeometry.of(where, x.shapeArray(), w.shapeArray(), strideH, strideW, padH, padW, dilationH, dilationW, groups);
        forward(where, g, x, w, null, bias, residual, activation, choose(g), out);
    }

    /** As {@link #conv2dInto(Tensor, Tensor, Tensor, int, int, int, int, int, int, int, Tensor, Epilogue, Tensor)}, returning a new tensor. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW,
                                int dilationH, int dilationW, int groups, Tensor residual, Epilogue activation) {
        String where = "Conv2d.conv2d";
        ConvGeometry g = ConvGeometry.of(where, x.shapeArray(), w.shapeArray(), strideH, strideW, padH, padW, dilationH, dilationW, groups);
        Tensor out = Tensor.zeros(x.dtype(), g.outputShape());
        forward(where, g, x, w, null, bias, residual, activation, choose(g), out);
        return out;
    }

    // ---------------------------------------------------------------- pre-packed forward

    /**
     * Prepares the weight {@code w} ({@code [O, C/groups, kh, kw]}, F32 or F64) for repeated forward passes with
     * {@link #conv2dInto(Tensor, PackedConv2d, Tensor, int, int, int, int, int, int, Tensor, Epilogue, Tensor)}: in
     * float32 each group's weight is rearranged once into the GEMM's panels. The handle keeps a reference to {@code w},
     * which must not be modified afterwards; prepack again after changing it. Any stride, padding, dilation and input
     * size may be used with the handle.
     */
    public static PackedConv2d prepack(Tensor w, int groups) {
        String where = "Conv2d.prepack";
        int[] s = w.shape();
        if (s.length != 4) throw new IllegalArgumentException(where + ": weight must be rank 4 [O, C/groups, kh, kw] but has shape " + Tensor.shapeString(s));
        if (groups < 1 || s[0] % groups != 0) {
            throw new IllegalArgumentException(where + ": groups " + groups + " must be >= 1 and divide the output channels of weight " + Tensor.shapeString(s));
        }
        // The smallest input the weight convolves (one output pixel) stands in for the input: packing depends on the weight alone.
        ConvGeometry g = ConvGeometry.of(where, new int[] {1, s[1] * groups, s[2], s[3]}, s, 1, 1, 0, 0, 1, 1, groups);
        DType dt = sameFloatType(where, w, w, null, null);
        if (dt != DType.F32 || choose(g) != Algorithm.IM2COL_GEMM) return new PackedConv2d(w, groups, null);
        float[][] panels = new float[groups][];
        for (int gi = 0; gi < groups; gi++) {
            panels[gi] = new float[ConvRows.packedSize(g)];
            ConvRows.packWeight(g, w.data(), gi, panels[gi]);
        }
        return new PackedConv2d(w, groups, panels);
    }

    /**
     * {@code out = activation(conv2d(x, w, bias) + residual)} as
     * {@link #conv2dInto(Tensor, Tensor, Tensor, int, int, int, int, int, int, int, Tensor, Epilogue, Tensor)}, with the
     * weight (and its groups) from {@link #prepack}. Float32 products of fewer than 64 output pixels per call (ResNet's 7x7
     * layers at batch 1) multiply the packed panels, except that 3x3 stride-1 layers with at least 64 channels in and out
     * take the Winograd form at any batch, with the weight's transform made on the first such call and kept with the
     * handle; the others run as the unpacked call would, on the weight itself.
     */
    public static void conv2dInto(Tensor x, PackedConv2d w, Tensor bias, int strideH, int strideW, int padH, int padW,
                                  int dilationH, int dilationW, Tensor residual, Epilogue activation, Tensor out) {
        String where = "Conv2d.conv2dInto";
        if (w == null) throw new IllegalArgumentException(where + ": the packed weight is null");
        ConvGeometry g = ConvGeometry.of(where, x.shapeArray(), w.weight().shapeArray(), strideH, strideW, padH, padW, dilationH, dilationW, w.groups());
        forward(where, g, x, w.weight(), w, bias, residual, activation, choose(g), out);
    }

    /** As {@link #conv2dInto(Tensor, PackedConv2d, Tensor, int, int, int, int, int, int, Tensor, Epilogue, Tensor)}, returning a new tensor. */
    public static Tensor conv2d(Tensor x, PackedConv2d w, Tensor bias, int strideH, int strideW, int padH, int padW,
                                int dilationH, int dilationW, Tensor residual, Epilogue activation) {
        String where = "Conv2d.conv2d";
        if (w == null) throw new IllegalArgumentException(where + ": the packed weight is null");
        ConvGeometry g = ConvGeometry.of(where, x.shapeArray(), w.weight().shapeArray(), strideH, strideW, padH, padW, dilationH, dilationW, w.groups());
        Tensor out = Tensor.zeros(x.dtype(), g.outputShape());
        forward(where, g, x, w.weight(), w, bias, residual, activation, choose(g), out);
        return out;
    }

    /** {@code packed}: the weight from {@link #prepack}, or null to pack it on this call when needed. */
    private static void forward(String where, ConvGeometry g, Tensor x, Tensor w, PackedConv2d packed, Tensor bias, Tensor residual,
                                Epilogue activation, Algorithm alg, Tensor out) {
        if (activation == null || activation.hasBias()) {
            throw new IllegalArgumentException(where + ": the activation must be NONE or one without a bias (RELU, GELU, ...), got "
                    + activation + "; the convolution's bias is its own argument");
        }
        if (residual != null) {
            g.requireOutput(where, "residual", residual);
            sameFloatType(where, x, residual, null, null);
        }
        if (x.dtype() == DType.F32 && alg == Algorithm.IM2COL_GEMM) {
            sameFloatType(where, x, w, bias, out);
            if (bias != null) g.requireChannels(where, "bias", bias);
            g.requireOutput(where, "out", out);
            float[] b = bias == null ? null : bias.data(), r = residual == null ? null : residual.data();
            float[][] panels = packed == null ? null : packed.panels;
            if ((ConvWinograd.pays(g) || packed != null && ConvWinograd.paysPrepacked(g)) && !Gemm.usingNative()) {
                ConvWinograd.forward(g, x.data(), w.data(), packed == null ? null : packed.winograd(), b, r, activation, out.data());
            } else if (ConvShift.pays(g) && !Gemm.usingNative()) {
                ConvShift.forward(g, x.data(), w.data(), panels, b, r, activation, out.data());
            } else if (panels != null && ConvRows.pays(g) && !Gemm.usingNative()) {
                ConvRows.forward(g, x.data(), panels, b, r, activation, out.data());
            } else {
                ConvGemm.forward(g, x.data(), w.data(), b, r, activation, out.data());
            }
            return;
        }
        if (residual == null && activation == Epilogue.NONE) {
            forward(where, g, x, w, bias, alg, out);
            return;
        }
        // The other kernels have no fused store: one more pass over the output.
        forward(where, g, x, w, bias, alg, out);
        if (out.dtype() == DType.F64) {
            double[] o = out.doubles(), r = residual == null ? null : residual.doubles();
            for (int i = 0; i < o.length; i++) o[i] = GemmKernel64.activation(activation, r == null ? o[i] : o[i] + r[i]);
        } else {
            float[] o = out.data(), r = residual == null ? null : residual.data();
            for (int i = 0; i < o.length; i++) o[i] = GemmKernel.activation(activation, r == null ? o[i] : o[i] + r[i]);
        }
    }

    private static void forward(String where, ConvGeometry g, Tensor x, Tensor w, Tensor bias, Algorithm alg, Tensor out) {
        DType dt = sameFloatType(where, x, w, bias, out);
        if (bias != null) g.requireChannels(where, "bias", bias);
        g.requireOutput(where, "out", out);
        if (dt == DType.F64) {
            double[] b = bias == null ? null : bias.doubles();
            if (alg == Algorithm.DIRECT) ConvDirect64.forward(g, x.doubles(), w.doubles(), b, out.doubles());
            else ConvGemm64.forward(g, x.doubles(), w.doubles(), b, out.doubles());
        } else if (alg == Algorithm.DIRECT) {
            ConvDirect32.forward(g, x.data(), w.data(), bias == null ? null : bias.data(), out.data());
        } else if (ConvWinograd.pays(g) && !Gemm.usingNative()) {
            ConvWinograd.forward(g, x.data(), w.data(), null, bias == null ? null : bias.data(), null, Epilogue.NONE, out.data());
        } else if (ConvShift.pays(g) && !Gemm.usingNative()) {
            ConvShift.forward(g, x.data(), w.data(), null, bias == null ? null : bias.data(), null, Epilogue.NONE, out.data());
        } else {
            ConvGemm.forward(g, x.data(), w.data(), bias == null ? null : bias.data(), out.data());
        }
    }

    // ---------------------------------------------------------------- gradients

    /** The gradient with respect to the input (shape {@code inputShape}) given the output gradient {@code gradOut}. */
    public static Tensor conv2dBackwardInput(Tensor gradOut, Tensor w, int[] inputShape, int strideH, int strideW, int padH, int padW,
                                             int dilationH, int dilationW, int groups) {
        ConvGeometry g = ConvGeometry.of("Conv2d.conv2dBackwardInput", inputShape, w.shapeArray(), strideH, strideW, padH, padW, dilationH, dilationW, groups);
        Tensor gx = Tensor.zeros(gradOut.dtype(), g.inputShape());
        backwardInput("Conv2d.conv2dBackwardInput", g, gradOut, w, choose(g), gx);
        return gx;
    }

    /** As {@link #conv2dBackwardInput}, overwriting {@code gradInput} (whose shape is the input's) with a fixed algorithm. */
    public static void conv2dBackwardInputInto(Tensor gradOut, Tensor w, int strideH, int strideW, int padH, int padW,
                                               int dilationH, int dilationW, int groups, Algorithm algorithm, Tensor gradInput) {
        ConvGeometry g = ConvGeometry.of("Conv2d.conv2dBackwardInputInto", gradInput.shapeArray(), w.shapeArray(), strideH, strideW, padH, padW,
                dilationH, dilationW, groups);
        backwardInput("Conv2d.conv2dBackwardInputInto", g, gradOut, w, algorithm, gradInput);
    }

    private static void backwardInput(String where, ConvGeometry g, Tensor gradOut, Tensor w, Algorithm alg, Tensor gx) {
        DType dt = sameFloatType(where, gradOut, w, null, gx);
        g.requireOutput(where, "gradOut", gradOut);
        if (dt == DType.F64 && alg == Algorithm.DIRECT) ConvDirect64.backwardInput(g, gradOut.doubles(), w.doubles(), gx.doubles());
        else if (dt == DType.F64) ConvGemm64.backwardInput(g, gradOut.doubles(), w.doubles(), gx.doubles());
        else if (alg == Algorithm.DIRECT) ConvDirect32.backwardInput(g, gradOut.data(), w.data(), gx.data());
        else if (ConvWinograd.paysBackwardInput(g) && !Gemm.usingNative()) ConvWinograd.backwardInput(g, gradOut.data(), w.data(), gx.data());
        else if (ConvShift.paysBackwardInput(g) && !Gemm.usingNative()) ConvShift.backwardInput(g, gradOut.data(), w.data(), gx.data());
        else if (ConvShiftStrided.pays(g) && !Gemm.usingNative()) ConvShiftStrided.backwardInput(g, gradOut.data(), w.data(), gx.data());
        else ConvGemm.backwardInput(g, gradOut.data(), w.data(), gx.data());
    }

    /** The gradient with respect to the weight (shape {@code weightShape}) given the input {@code x} and {@code gradOut}. */
    public static Tensor conv2dBackwardWeight(Tensor gradOut, Tensor x, int[] weightShape, int strideH, int strideW, int padH, int padW,
                                              int dilationH, int dilationW, int groups) {
        ConvGeometry g = ConvGeometry.of("Conv2d.conv2dBackwardWeight", x.shapeArray(), weightShape, strideH, strideW, padH, padW, dilationH, dilationW, groups);
        Tensor gw = Tensor.zeros(gradOut.dtype(), g.weightShape());
        backwardWeight("Conv2d.conv2dBackwardWeight", g, gradOut, x, choose(g), gw);
        return gw;
    }

    /** As {@link #conv2dBackwardWeight}, overwriting {@code gradWeight} (whose shape is the weight's) with a fixed algorithm. */
    public static void conv2dBackwardWeightInto(Tensor gradOut, Tensor x, int strideH, int strideW, int padH, int padW,
                                                int dilationH, int dilationW, int groups, Algorithm algorithm, Tensor gradWeight) {
        ConvGeometry g = ConvGeometry.of("Conv2d.conv2dBackwardWeightInto", x.shapeArray(), gradWeight.shapeArray(), strideH, strideW, padH, padW,
                dilationH, dilationW, groups);
        backwardWeight("Conv2d.conv2dBackwardWeightInto", g, gradOut, x, algorithm, gradWeight);
    }

    private static void backwardWeight(String where, ConvGeometry g, Tensor gradOut, Tensor x, Algorithm alg, Tensor gw) {
        DType dt = sameFloatType(where, gradOut, x, null, gw);
        g.requireOutput(where, "gradOut", gradOut);
        if (dt == DType.F64 && alg == Algorithm.DIRECT) ConvDirect64.backwardWeight(g, gradOut.doubles(), x.doubles(), gw.doubles());
        else if (dt == DType.F64) ConvGemm64.backwardWeight(g, gradOut.doubles(), x.doubles(), gw.doubles());
        else if (alg == Algorithm.DIRECT) ConvDirect32.backwardWeight(g, gradOut.data(), x.data(), gw.data());
        else if (ConvWinograd.paysBackwardWeight(g) && !Gemm.usingNative()) ConvWinograd.backwardWeight(g, gradOut.data(), x.data(), gw.data());
        else if (ConvShiftWeight.pays(g) && !Gemm.usingNative()) ConvShiftWeight.backwardWeight(g, gradOut.data(), x.data(), gw.data());
        else ConvGemm.backwardWeight(g, gradOut.data(), x.data(), gw.data());
    }

    /** The bias gradient: {@code gradOut} ({@code [N, O, OH, OW]}) summed over N, OH and OW, shape {@code [O]}. */
    public static Tensor conv2dBackwardBias(Tensor gradOut) {
        int[] s = gradOut.shape();
        if (s.length != 4) {
            throw new IllegalArgumentException("Conv2d.conv2dBackwardBias: gradOut must be rank 4 [N, O, OH, OW] but has shape " + Tensor.shapeString(s));
        }
        Tensor gb = Tensor.zeros(gradOut.dtype(), s[1]);
        DType dt = sameFloatType("Conv2d.conv2dBackwardBias", gradOut, gb, null, gb);
        if (dt == DType.F64) ConvDirect64.backwardBias(s[0], s[1], s[2] * s[3], gradOut.doubles(), gb.doubles());
        else ConvDirect32.backwardBias(s[0], s[1], s[2] * s[3], gradOut.data(), gb.data());
        return gb;
    }

    /** All tensors must be F32, or all F64; {@code opt} may be null. */
    private static DType sameFloatType(String where, Tensor a, Tensor b, Tensor opt, Tensor out) {
        DType dt = a.dtype();
        if (dt != DType.F32 && dt != DType.F64) {
            throw new IllegalArgumentException(where + ": only F32 and F64 tensors are supported, got " + dt.safetensorsName());
        }
        for (Tensor t : new Tensor[] {b, opt, out}) {
            if (t != null && t.dtype() != dt) {
                throw new IllegalArgumentException(where + ": mixed dtypes " + dt.safetensorsName() + " and " + t.dtype().safetensorsName()
                        + " (shapes " + Tensor.shapeString(a.shape()) + ", " + Tensor.shapeString(t.shape()) + ")");
            }
        }
        return dt;
    }
}
