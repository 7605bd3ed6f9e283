package dev.mithril.runtime;

/**
 * The sizes of one 2-d pooling over {@code planes} independent {@code h x w} planes (N*C of an NCHW
 * tensor), validated once. {@code shape} is the input's shape, whose last two dimensions are pooled.
 */
record PoolGeometry(int[] shape, int[] out, int planes, int h, int w, int oh, int ow, int kh, int kw,
                    int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) {
    /** Geometries each thread validated last, reused by calls with the same arguments (every training step makes them). */
    private static final ThreadLocal<PoolGeometry[]> RECENT = ThreadLocal.withInitial(() -> new PoolGeometry[8]);

    int hw() { return h * w; }
    int ohw() { return oh * ow; }

    /** The output shape (a copy). */
    int[] outputShape() { return out.clone(); }

    /** Whether this geometry is the one {@link #of} or {@link #adaptive} (kh = 0) would make from these arguments. */
    private boolean same(int[] x, int kh, int kw, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int oh, int ow) {
        return java.util.Arrays.equals(shape, x) && this.kh == kh && this.kw == kw && this.strideH == strideH && this.strideW == strideW
                && this.padH == padH && this.padW == padW && this.dilationH == dilationH && this.dilationW == dilationW
                && (kh != 0 || this.oh == oh && this.ow == ow);
    }

    private static PoolGeometry recent(int[] x, int kh, int kw, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
                                       int oh, int ow) {
        for (PoolGeometry g : RECENT.get()) if (g != null && g.same(x, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, oh, ow)) return g;
        return null;
    }

    private static PoolGeometry remember(PoolGeometry g) {
        PoolGeometry[] r = RECENT.get();
        System.arraycopy(r, 0, r, 1, r.length - 1);
        r[0] = g;
        return g;
    }

    static int[] outShape(int[] shape, int oh, int ow) {
        int[] s = shape.clone();
        s[s.length - 2] = oh;
        s[s.length - 1] = ow;
        return s;
    }

    /** Validates a windowed pooling like PyTorch does (ceil_mode false): padding at most half the kernel, output at least 1x1. */
    static PoolGeometry of(String where, int[] x, int kh, int kw, int strideH, int strideW, int padH, int padW,
                           int dilationH, int dilationW) {
        PoolGeometry known = recent(x, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, 0, 0);
        if (known != null) return known;
        String problem = null;
        int planes = 0, h = 0, w = 0, oh = 0, ow = 0;
        if ((problem = shapeProblem(x)) == null) {
            planes = planes(x);
            h = x[x.length - 2];
            w = x[x.length - 1];
            oh = ConvGeometry.outSize(h, kh, strideH, padH, dilationH);
            ow = ConvGeometry.outSize(w, kw, strideW, padW, dilationW);
            if (kh < 1 || kw < 1) problem = "kernel must be >= 1";
            else if (strideH < 1 || strideW < 1) problem = "stride must be >= 1";
            else if (dilationH < 1 || dilationW < 1) problem = "dilation must be >= 1";
            else if (padH < 0 || padW < 0 || padH > kh / 2 || padW > kw / 2) problem = "padding must be between 0 and half the kernel";
            else if (oh < 1 || ow < 1) problem = "output would be " + oh + "x" + ow;
        }
        if (problem != null) {
            // The description is built only here: a valid call, made every training step, allocates no strings.
            throw new IllegalArgumentException(where + ": " + problem + " (input " + Tensor.shapeString(x) + ", kernel " + kh + "x" + kw
                    + ", stride " + strideH + "x" + strideW + ", padding " + padH + "x" + padW + ", dilation " + dilationH + "x" + dilationW + ")");
        }
        int[] copy = x.clone();
        return remember(new PoolGeometry(copy, outShape(copy, oh, ow), planes, h, w, oh, ow, kh, kw, strideH, strideW, padH, padW,
                dilationH, dilationW));
    }

    /** Validates an adaptive pooling to {@code oh x ow}. */
    static PoolGeometry adaptive(String where, int[] x, int oh, int ow) {
        PoolGeometry known = recent(x, 0, 0, 0, 0, 0, 0, 0, 0, oh, ow);
        if (known != null) return known;
        String problem = shapeProblem(x);
        if (problem == null && (oh < 1 || ow < 1)) problem = "output size must be >= 1";
        if (problem == null && (x[x.length - 2] < 1 || x[x.length - 1] < 1)) problem = "input planes must be non-empty";
        if (problem != null) {
            throw new IllegalArgumentException(where + ": " + problem + " (input " + Tensor.shapeString(x) + ", output size " + oh + "x" + ow + ")");
        }
        int[] copy = x.clone();
        return remember(new PoolGeometry(copy, outShape(copy, oh, ow), planes(copy), copy[copy.length - 2], copy[copy.length - 1], oh, ow,
                0, 0, 0, 0, 0, 0, 0, 0));
    }

    /** PyTorch's adaptive window start: floor(i * in / out). */
    static int start(int i, int in, int out) { return (int) ((long) i * in / out); }

    /** PyTorch's adaptive window end: ceil((i + 1) * in / out). */
    static int end(int i, int in, int out) { return (int) (((long) (i + 1) * in + out - 1) / out); }

    /** What is wrong with input shape {@code x}, or null when it is a 3-d or 4-d shape without negative dimensions. */
    private static String shapeProblem(int[] x) {
        if (x.length != 3 && x.length != 4) return "input must be [N, C, H, W] or [C, H, W]";
        for (int d : x) if (d < 0) return "negative dimension";
        return null;
    }

    private static int planes(int[] x) {
        int p = 1;
        for (int i = 0; i < x.length - 2; i++) p *= x[i];
        return p;
    }

    void requireShape(String where, String what, int[] expected, Tensor t) {
        if (!java.util.Arrays.equals(expected, t.shapeArray())) {
            throw new IllegalArgumentException(where + ": " + what + " has shape " + Tensor.shapeString(t.shape()) + " but must be "
                    + Tensor.shapeString(expected) + " (input " + Tensor.shapeString(shape) + ")");
        }
    }
}
