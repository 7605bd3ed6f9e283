package dev.mithril.runtime;

/**
 * The sizes of one 2-d pooling over {@code planes} independent {@code h x w} planes (N*C of an NCHW
 * tensor), validated once. {@code shape} is the input's shape, whose last two dimensions are pooled.
 */
record PoolGeometry(int[] shape, int planes, int h, int w, int oh, int ow, int kh, int kw,
                    int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) {

    int hw() { return h * w; }
    int ohw() { return oh * ow; }

    int[] outputShape() { return outShape(shape, oh, ow); }

    static int[] outShape(int[] shape, int oh, int ow) {
        int[] s = shape.clone();
        s[s.length - 2] = oh;
        s[s.length - 1] = ow;
        return s;
    }

    /** Validates a windowed pooling like PyTorch does (ceil_mode false): padding at most half the kernel, output at least 1x1. */
    static PoolGeometry of(String where, int[] x, int kh, int kw, int strideH, int strideW, int padH, int padW,
                           int dilationH, int dilationW) {
        String desc = " (input " + Tensor.shapeString(x) + ", kernel " + kh + "x" + kw + ", stride " + strideH + "x" + strideW
                + ", padding " + padH + "x" + padW + ", dilation " + dilationH + "x" + dilationW + ")";
        int planes = planes(where, x, desc);
        if (kh < 1 || kw < 1) throw new IllegalArgumentException(where + ": kernel must be >= 1" + desc);
        if (strideH < 1 || strideW < 1) throw new IllegalArgumentException(where + ": stride must be >= 1" + desc);
        if (dilationH < 1 || dilationW < 1) throw new IllegalArgumentException(where + ": dilation must be >= 1" + desc);
        if (padH < 0 || padW < 0 || padH > kh / 2 || padW > kw / 2) {
            throw new IllegalArgumentException(where + ": padding must be between 0 and half the kernel" + desc);
        }
        int h = x[x.length - 2], w = x[x.length - 1];
        int oh = ConvGeometry.outSize(h, kh, strideH, padH, dilationH), ow = ConvGeometry.outSize(w, kw, strideW, padW, dilationW);
        if (oh < 1 || ow < 1) throw new IllegalArgumentException(where + ": output would be " + oh + "x" + ow + desc);
        return new PoolGeometry(x.clone(), planes, h, w, oh, ow, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW);
    }

    /** Validates an adaptive pooling to {@code oh x ow}. */
    static PoolGeometry adaptive(String where, int[] x, int oh, int ow) {
        String desc = " (input " + Tensor.shapeString(x) + ", output size " + oh + "x" + ow + ")";
        int planes = planes(where, x, desc);
        if (oh < 1 || ow < 1) throw new IllegalArgumentException(where + ": output size must be >= 1" + desc);
        int h = x[x.length - 2], w = x[x.length - 1];
        if (h < 1 || w < 1) throw new IllegalArgumentException(where + ": input planes must be non-empty" + desc);
        return new PoolGeometry(x.clone(), planes, h, w, oh, ow, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** PyTorch's adaptive window start: floor(i * in / out). */
    static int start(int i, int in, int out) { return (int) ((long) i * in / out); }

    /** PyTorch's adaptive window end: ceil((i + 1) * in / out). */
    static int end(int i, int in, int out) { return (int) (((long) (i + 1) * in + out - 1) / out); }

    private static int planes(String where, int[] x, String desc) {
        if (x.length != 3 && x.length != 4) throw new IllegalArgumentException(where + ": input must be [N, C, H, W] or [C, H, W]" + desc);
        for (int d : x) if (d < 0) throw new IllegalArgumentException(where + ": negative dimension" + desc);
        int p = 1;
        for (int i = 0; i < x.length - 2; i++) p *= x[i];
        return p;
    }

    void requireShape(String where, String what, int[] expected, Tensor t) {
        if (!java.util.Arrays.equals(expected, t.shape())) {
            throw new IllegalArgumentException(where + ": " + what + " has shape " + Tensor.shapeString(t.shape()) + " but must be "
                    + Tensor.shapeString(expected) + " (input " + Tensor.shapeString(shape) + ")");
        }
    }
}
