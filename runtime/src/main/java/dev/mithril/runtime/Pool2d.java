package dev.mithril.runtime;

/**
 * 2-d max, average and adaptive average pooling over the last two dimensions of an {@code [N, C, H, W]}
 * (or {@code [C, H, W]}) tensor, with their gradients, matching PyTorch's {@code max_pool2d},
 * {@code avg_pool2d} (count_include_pad true) and {@code adaptive_avg_pool2d} with ceil_mode false.
 * Output sizes follow {@code floor((H + 2 pad - dilation (k - 1) - 1) / stride) + 1}; padding may be at
 * most half the kernel. F32 and F64 tensors; planes are split over {@link Parallel}.
 *
 * <pre>{@code
 * Tensor y = Pool2d.maxPool2d(x, 3, 3, 2, 2, 1, 1, 1, 1);          // ResNet's stem pooling
 * Tensor gx = Pool2d.maxPool2dBackward(gy, x, 3, 3, 2, 2, 1, 1, 1, 1);
 * Tensor z = Pool2d.adaptiveAvgPool2d(x, 1, 1);                    // global average pooling
 * }</pre>
 */
public final class Pool2d {
    private Pool2d() {}

    // ---------------------------------------------------------------- max

    /** The output shape of {@link #maxPool2d} for an input of {@code inputShape}. */
    public static int[] maxPool2dOutputShape(int[] inputShape, int kH, int kW, int strideH, int strideW, int padH, int padW,
                                             int dilationH, int dilationW) {
        return PoolGeometry.of("Pool2d.maxPool2d", inputShape, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW).outputShape();
    }

    /** Max pooling; padded positions never win (as if they held -infinity). */
    public static Tensor maxPool2d(Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) {
        PoolGeometry g = PoolGeometry.of("Pool2d.maxPool2d", x.shape(), kH, kW, strideH, strideW, padH, padW, dilationH, dilationW);
        Tensor out = Tensor.zeros(x.dtype(), g.outputShape());
        maxForward("Pool2d.maxPool2d", g, x, out);
        return out;
    }

    /** As {@link #maxPool2d}, writing into {@code out}. */
    public static void maxPool2dInto(Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
                                     Tensor out) {
        PoolGeometry g = PoolGeometry.of("Pool2d.maxPool2dInto", x.shape(), kH, kW, strideH, strideW, padH, padW, dilationH, dilationW);
        maxForward("Pool2d.maxPool2dInto", g, x, out);
    }

    private static void maxForward(String where, PoolGeometry g, Tensor x, Tensor out) {
        g.requireShape(where, "out", g.outputShape(), out);
        if (floatType(where, x, out) == DType.F64) Pool64.maxForward(g, x.doubles(), out.doubles());
        else Pool32.maxForward(g, x.data(), out.data());
    }

    /**
     * The input gradient of {@link #maxPool2d}: each output's gradient goes to the position of its window's
     * maximum in {@code x} (the first one on ties, like PyTorch), summed where windows overlap.
     */
    public static Tensor maxPool2dBackward(Tensor gradOut, Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW,
                                           int dilationH, int dilationW) {
        String where = "Pool2d.maxPool2dBackward";
        PoolGeometry g = PoolGeometry.of(where, x.shape(), kH, kW, strideH, strideW, padH, padW, dilationH, dilationW);
        g.requireShape(where, "gradOut", g.outputShape(), gradOut);
        Tensor gx = Tensor.zeros(x.dtype(), x.shape());
        if (floatType(where, gradOut, x) == DType.F64) Pool64.maxBackward(g, gradOut.doubles(), x.doubles(), gx.doubles());
        else Pool32.maxBackward(g, gradOut.data(), x.data(), gx.data());
        return gx;
    }

    // ---------------------------------------------------------------- average

    /** The output shape of {@link #avgPool2d} for an input of {@code inputShape}. */
    public static int[] avgPool2dOutputShape(int[] inputShape, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        return PoolGeometry.of("Pool2d.avgPool2d", inputShape, kH, kW, strideH, strideW, padH, padW, 1, 1).outputShape();
    }

    /** Average pooling counting padded zeros in the divisor (PyTorch's default count_include_pad=True). */
    public static Tensor avgPool2d(Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        PoolGeometry g = PoolGeometry.of("Pool2d.avgPool2d", x.shape(), kH, kW, strideH, strideW, padH, padW, 1, 1);
        Tensor out = Tensor.zeros(x.dtype(), g.outputShape());
        avgForward("Pool2d.avgPool2d", g, x, out);
        return out;
    }

    /** As {@link #avgPool2d}, writing into {@code out}. */
    public static void avgPool2dInto(Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW, Tensor out) {
        PoolGeometry g = PoolGeometry.of("Pool2d.avgPool2dInto", x.shape(), kH, kW, strideH, strideW, padH, padW, 1, 1);
        avgForward("Pool2d.avgPool2dInto", g, x, out);
    }

    private static void avgForward(String where, PoolGeometry g, Tensor x, Tensor out) {
        g.requireShape(where, "out", g.outputShape(), out);
        if (floatType(where, x, out) == DType.F64) Pool64.avgForward(g, x.doubles(), out.doubles());
        else Pool32.avgForward(g, x.data(), out.data());
    }

    /** The input gradient (shape {@code inputShape}) of {@link #avgPool2d}. */
    public static Tensor avgPool2dBackward(Tensor gradOut, int[] inputShape, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        String where = "Pool2d.avgPool2dBackward";
        PoolGeometry g = PoolGeometry.of(where, inputShape, kH, kW, strideH, strideW, padH, padW, 1, 1);
        g.requireShape(where, "gradOut", g.outputShape(), gradOut);
        Tensor gx = Tensor.zeros(gradOut.dtype(), inputShape);
        if (floatType(where, gradOut, gx) == DType.F64) Pool64.avgBackward(g, gradOut.doubles(), gx.doubles());
        else Pool32.avgBackward(g, gradOut.data(), gx.data());
        return gx;
    }

    // ---------------------------------------------------------------- adaptive average

    /** Adaptive average pooling to {@code outH x outW}: window i spans {@code [floor(i*H/outH), ceil((i+1)*H/outH))}. */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        PoolGeometry g = PoolGeometry.adaptive("Pool2d.adaptiveAvgPool2d", x.shape(), outH, outW);
        Tensor out = Tensor.zeros(x.dtype(), g.outputShape());
        adaptiveForward("Pool2d.adaptiveAvgPool2d", g, x, out);
        return out;
    }

    /** As {@link #adaptiveAvgPool2d}, writing into {@code out}. */
    public static void adaptiveAvgPool2dInto(Tensor x, int outH, int outW, Tensor out) {
        PoolGeometry g = PoolGeometry.adaptive("Pool2d.adaptiveAvgPool2dInto", x.shape(), outH, outW);
        adaptiveForward("Pool2d.adaptiveAvgPool2dInto", g, x, out);
    }

    private static void adaptiveForward(String where, PoolGeometry g, Tensor x, Tensor out) {
        g.requireShape(where, "out", g.outputShape(), out);
        if (floatType(where, x, out) == DType.F64) Pool64.adaptiveForward(g, x.doubles(), out.doubles());
        else Pool32.adaptiveForward(g, x.data(), out.data());
    }

    /** The input gradient (shape {@code inputShape}) of {@link #adaptiveAvgPool2d}. */
    public static Tensor adaptiveAvgPool2dBackward(Tensor gradOut, int[] inputShape) {
        String where = "Pool2d.adaptiveAvgPool2dBackward";
        int[] os = gradOut.shape();
        if (os.length != inputShape.length || os.length < 2) {
            throw new IllegalArgumentException(where + ": gradOut " + Tensor.shapeString(os) + " and input " + Tensor.shapeString(inputShape)
                    + " must have the same rank, 3 or 4");
        }
        PoolGeometry g = PoolGeometry.adaptive(where, inputShape, os[os.length - 2], os[os.length - 1]);
        g.requireShape(where, "gradOut", g.outputShape(), gradOut);
        Tensor gx = Tensor.zeros(gradOut.dtype(), inputShape);
        if (floatType(where, gradOut, gx) == DType.F64) Pool64.adaptiveBackward(g, gradOut.doubles(), gx.doubles());
        else Pool32.adaptiveBackward(g, gradOut.data(), gx.data());
        return gx;
    }

    private static DType floatType(String where, Tensor a, Tensor b) {
        DType dt = a.dtype();
        if (dt != DType.F32 && dt != DType.F64) throw new IllegalArgumentException(where + ": only F32 and F64 tensors are supported, got " + dt.safetensorsName());
        if (b.dtype() != dt) throw new IllegalArgumentException(where + ": mixed dtypes " + dt.safetensorsName() + " and " + b.dtype().safetensorsName());
        return dt;
    }
}
