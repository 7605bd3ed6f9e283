package dev.mithril.runtime;

import java.util.Arrays;

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
        PoolGeometry g = PoolGeometry.of("Pool2d.maxPool2d", x.shapeArray(), kH, kW, strideH, strideW, padH, padW, dilationH, dilationW);
        Tensor out = Tensor.zeros(x.dtype(), g.outputShape());
        maxForward("Pool2d.maxPool2d", g, x, out);
        return out;
    }

    /** As {@link #maxPool2d}, writing into {@code out}. */
    public static void maxPool2dInto(Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
                                     Tensor out) {
        PoolGeometry g = PoolGeometry.of("Pool2d.maxPool2dInto", x.shapeArray(), kH, kW, strideH, strideW, padH, padW, dilationH, dilationW);
        maxForward("Pool2d.maxPool2dInto", g, x, out);
    }

    private static void maxForward(String where, PoolGeometry g, Tensor x, Tensor out) {
        g.requireShape(where, "out", g.out(), out);
        if (floatType(where, x, out) == DType.F64) Pool64.maxForward(g, x.doubles(), out.doubles());
        else Pool32.maxForward(g, x.data(), out.data());
    }

    /**
     * The input gradient of {@link #maxPool2d}: each output's gradient goes to the position of its window's
     * maximum in {@code x} (the first one on ties, like PyTorch), summed where windows overlap.
     */
    public static Tensor maxPool2dBackward(Tensor gradOut, Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW,
                                           int dilationH, int dilationW) {
        Tensor gx = Tensor.zeros(x.dtype(), x.shape());
        maxBackward("Pool2d.maxPool2dBackward", gradOut, x, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW, gx);
        return gx;
    }

    /** As {@link #maxPool2dBackward}, writing (not adding) the gradient into {@code gradInput}, shaped like {@code x}. */
    public static void maxPool2dBackwardInto(Tensor gradOut, Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW,
                                             int dilationH, int dilationW, Tensor gradInput) {
        maxBackward("Pool2d.maxPool2dBackwardInto", gradOut, x, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW, gradInput);
    }

    private static void maxBackward(String where, Tensor gradOut, Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW,
                                    int dilationH, int dilationW, Tensor gx) {
        PoolGeometry g = PoolGeometry.of(where, x.shapeArray(), kH, kW, strideH, strideW, padH, padW, dilationH, dilationW);
        g.requireShape(where, "gradOut", g.out(), gradOut);
        g.requireShape(where, "gradInput", x.shapeArray(), gx);
        floatType(where, gradOut, x);
        if (zero(where, gx, x) == DType.F64) Pool64.maxBackward(g, gradOut.doubles(), x.doubles(), gx.doubles());
        else Pool32.maxBackward(g, gradOut.data(), x.data(), gx.data());
    }

    // ---------------------------------------------------------------- average

    /** The output shape of {@link #avgPool2d} for an input of {@code inputShape}. */
    public static int[] avgPool2dOutputShape(int[] inputShape, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        return PoolGeometry.of("Pool2d.avgPool2d", inputShape, kH, kW, strideH, strideW, padH, padW, 1, 1).outputShape();
    }

    /** Average pooling counting padded zeros in the divisor (PyTorch's default count_include_pad=True). */
    public static Tensor avgPool2d(Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        PoolGeometry g = PoolGeometry.of("Pool2d.avgPool2d", x.shapeArray(), kH, kW, strideH, strideW, padH, padW, 1, 1);
        Tensor out = Tensor.zeros(x.dtype(), g.outputShape());
        avgForward("Pool2d.avgPool2d", g, x, out);
        return out;
    }

    /** As {@link #avgPool2d}, writing into {@code out}. */
    public static void avgPool2dInto(Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW, Tensor out) {
        PoolGeometry g = PoolGeometry.of("Pool2d.avgPool2dInto", x.shapeArray(), kH, kW, strideH, strideW, padH, padW, 1, 1);
        avgForward("Pool2d.avgPool2dInto", g, x, out);
    }

    private static void avgForward(String where, PoolGeometry g, Tensor x, Tensor out) {
        g.requireShape(where, "out", g.out(), out);
        if (floatType(where, x, out) == DType.F64) Pool64.avgForward(g, x.doubles(), out.doubles());
        else Pool32.avgForward(g, x.data(), out.data());
    }

    /** The input gradient (shape {@code inputShape}) of {@link #avgPool2d}. */
    public static Tensor avgPool2dBackward(Tensor gradOut, int[] inputShape, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        Tensor gx = Tensor.zeros(gradOut.dtype(), inputShape);
        avgPool2dBackwardInto(gradOut, kH, kW, strideH, strideW, padH, padW, gx);
        return gx;
    }

    /** As {@link #avgPool2dBackward}, writing (not adding) the gradient into {@code gradInput}, whose shape is the input's. */
    public static void avgPool2dBackwardInto(Tensor gradOut, int kH, int kW, int strideH, int strideW, int padH, int padW, Tensor gradInput) {
        String where = "Pool2d.avgPool2dBackward";
        PoolGeometry g = PoolGeometry.of(where, gradInput.shapeArray(), kH, kW, strideH, strideW, padH, padW, 1, 1);
        g.requireShape(where, "gradOut", g.out(), gradOut);
        if (zero(where, gradInput, gradOut) == DType.F64) Pool64.avgBackward(g, gradOut.doubles(), gradInput.doubles());
        else Pool32.avgBackward(g, gradOut.data(), gradInput.data());
    }

    // ---------------------------------------------------------------- adaptive average

    /** Adaptive average pooling to {@code outH x outW}: window i spans {@code [floor(i*H/outH), ceil((i+1)*H/outH))}. */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        PoolGeometry g = PoolGeometry.adaptive("Pool2d.adaptiveAvgPool2d", x.shapeArray(), outH, outW);
        Tensor out = Tensor.zeros(x.dtype(), g.outputShape());
        adaptiveForward("Pool2d.adaptiveAvgPool2d", g, x, out);
        return out;
    }

    /** As {@link #adaptiveAvgPool2d}, writing into {@code out}. */
    public static void adaptiveAvgPool2dInto(Tensor x, int outH, int outW, Tensor out) {
        PoolGeometry g = PoolGeometry.adaptive("Pool2d.adaptiveAvgPool2dInto", x.shapeArray(), outH, outW);
        adaptiveForward("Pool2d.adaptiveAvgPool2dInto", g, x, out);
    }

    private static void adaptiveForward(String where, PoolGeometry g, Tensor x, Tensor out) {
        g.requireShape(where, "out", g.out(), out);
        if (floatType(where, x, out) == DType.F64) Pool64.adaptiveForward(g, x.doubles(), out.doubles());
        else Pool32.adaptiveForward(g, x.data(), out.data());
    }

    /** The input gradient (shape {@code inputShape}) of {@link #adaptiveAvgPool2d}. */
    public static Tensor adaptiveAvgPool2dBackward(Tensor gradOut, int[] inputShape) {
        Tensor gx = Tensor.zeros(gradOut.dtype(), inputShape);
        adaptiveAvgPool2dBackwardInto(gradOut, gx);
        return gx;
    }

    /** As {@link #adaptiveAvgPool2dBackward}, writing (not adding) the gradient into {@code gradInput}, whose shape is the input's. */
    public static void adaptiveAvgPool2dBackwardInto(Tensor gradOut, Tensor gradInput) {
        String where = "Pool2d.adaptiveAvgPool2dBackward";
        int[] os = gradOut.shapeArray(), inputShape = gradInput.shapeArray();
        if (os.length != inputShape.length || os.length < 2) {
            throw new IllegalArgumentException(where + ": gradOut " + Tensor.shapeString(os) + " and input " + Tensor.shapeString(inputShape)
                    + " must have the same rank, 3 or 4");
        }
        PoolGeometry g = PoolGeometry.adaptive(where, inputShape, os[os.length - 2], os[os.length - 1]);
        g.requireShape(where, "gradOut", g.out(), gradOut);
        if (zero(where, gradInput, gradOut) == DType.F64) Pool64.adaptiveBackward(g, gradOut.doubles(), gradInput.doubles());
        else Pool32.adaptiveBackward(g, gradOut.data(), gradInput.data());
    }

    /** Zeroes a gradient {@code gx} of {@code like}'s float dtype, which the backward kernels add into where windows overlap. */
    private static DType zero(String where, Tensor gx, Tensor like) {
        DType dt = floatType(where, like, gx);
        if (dt == DType.F64) Arrays.fill(gx.doubles(), 0, gx.size(), 0.0);
        else Arrays.fill(gx.data(), 0, gx.size(), 0f);
        return dt;
    }

    private static DType floatType(String where, Tensor a, Tensor b) {
        DType dt = a.dtype();
        if (dt != DType.F32 && dt != DType.F64) throw new IllegalArgumentException(where + ": only F32 and F64 tensors are supported, got " + dt.safetensorsName());
        if (b.dtype() != dt) throw new IllegalArgumentException(where + ": mixed dtypes " + dt.safetensorsName() + " and " + b.dtype().safetensorsName());
        return dt;
    }
}
