package dev.mithril.runtime;

/**
 * Every size of one 2-d convolution (NCHW input, OIHW weight), validated once so that the kernels can
 * index without checks. {@code cg}/{@code og} are input/output channels per group, {@code kk} the length
 * of one im2col column ({@code cg * kh * kw}), {@code ohw} the output plane size.
 */
record ConvGeometry(int n, int c, int h, int w, int o, int kh, int kw, int oh, int ow,
                    int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) {

    int cg() { return c / groups; }
    int og() { return o / groups; }
    int kk() { return cg() * kh * kw; }
    int hw() { return h * w; }
    int ohw() { return oh * ow; }

    int[] inputShape() { return new int[] {n, c, h, w}; }
    int[] weightShape() { return new int[] {o, c / groups, kh, kw}; }
    int[] outputShape() { return new int[] {n, o, oh, ow}; }

    /** Whether im2col would be a plain copy of the input (1x1 kernel, stride 1, no padding). */
    boolean pointwise() { return kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0; }

    /** First output column whose input column {@code out * stride + off} is {@code >= 0}. */
    static int firstValid(int off, int stride) { return off >= 0 ? 0 : (-off + stride - 1) / stride; }

    /** One past the last output column (below {@code outSize}) whose input column {@code out * stride + off} is {@code < size}. */
    static int endValid(int off, int stride, int size, int outSize) {
        if (off >= size) return 0;
        return Math.min(outSize, (size - off + stride - 1) / stride);
    }

    /** PyTorch's output size: floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1. */
    static int outSize(int in, int k, int stride, int pad, int dilation) {
        return Math.floorDiv(in + 2 * pad - dilation * (k - 1) - 1, stride) + 1;
    }

    /** Geometries each thread validated last, reused by calls with the same arguments (every training step makes them). */
    private static final ThreadLocal<ConvGeometry[]> RECENT = ThreadLocal.withInitial(() -> new ConvGeometry[16]);

    /**
     * Validates an input shape {@code [N, C, H, W]} and a weight shape {@code [O, C/groups, kh, kw]} with
     * the given hyper-parameters; {@code where} names the kernel in the error. A call with the arguments of one of
     * this thread's recent calls returns that call's geometry: a training step allocates nothing here.
     */
    static ConvGeometry of(String where, int[] x, int[] wt, int strideH, int strideW, int padH, int padW,
                           int dilationH, int dilationW, int groups) {
        ConvGeometry[] recent = RECENT.get();
        for (ConvGeometry g : recent) {
            if (g != null && g.same(x, wt, strideH, strideW, padH, padW, dilationH, dilationW, groups)) return g;
        }
        String problem = problem(x, wt, strideH, strideW, padH, padW, dilationH, dilationW, groups);
        if (problem != null) {
            throw new IllegalArgumentException(where + ": " + problem + " (input " + Tensor.shapeString(x) + ", weight " + Tensor.shapeString(wt)
                    + ", stride " + strideH + "x" + strideW + ", padding " + padH + "x" + padW + ", dilation " + dilationH + "x" + dilationW
                    + ", groups " + groups + ")");
        }
        int oh = outSize(x[2], wt[2], strideH, padH, dilationH), ow = outSize(x[3], wt[3], strideW, padW, dilationW);
        ConvGeometry g = new ConvGeometry(x[0], x[1], x[2], x[3], wt[0], wt[2], wt[3], oh, ow,
                strideH, strideW, padH, padW, dilationH, dilationW, groups);
        Tensor.checkedSize(where + " output", g.outputShape());
        System.arraycopy(recent, 0, recent, 1, recent.length - 1);
        return recent[0] = g;
    }

    /** What is wrong with these arguments, or null when they make a convolution. */
    private static String problem(int[] x, int[] wt, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) {
        if (x.length != 4) return "input must be rank 4 [N, C, H, W]";
        if (wt.length != 4) return "weight must be rank 4 [O, C/groups, kh, kw]";
        for (int d : x) if (d < 0) return "negative input dimension";
        for (int d : wt) if (d <= 0) return "weight dimensions must be positive";
        if (strideH < 1 || strideW < 1) return "stride must be >= 1";
        if (padH < 0 || padW < 0) return "padding must be >= 0";
        if (dilationH < 1 || dilationW < 1) return "dilation must be >= 1";
        if (groups < 1) return "groups must be >= 1";
        if (x[1] % groups != 0) return "input channels " + x[1] + " not divisible by groups";
        if (wt[0] % groups != 0) return "output channels " + wt[0] + " not divisible by groups";
        if (wt[1] != x[1] / groups) {
            return "weight has " + wt[1] + " input channels per group but input has " + x[1] + " / " + groups + " = " + x[1] / groups;
        }
        int oh = outSize(x[2], wt[2], strideH, padH, dilationH), ow = outSize(x[3], wt[3], strideW, padW, dilationW);
        if (oh < 1 || ow < 1) return "output would be " + oh + "x" + ow + ", the padded input is smaller than the dilated kernel";
        return null;
    }

    private boolean same(int[] x, int[] wt, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) {
        return x.length == 4 && wt.length == 4 && x[0] == n && x[1] == c && x[2] == h && x[3] == w && wt[0] == o && wt[1] == c / this.groups
                && wt[2] == kh && wt[3] == kw && strideH == this.strideH && strideW == this.strideW && padH == this.padH && padW == this.padW
                && dilationH == this.dilationH && dilationW == this.dilationW && groups == this.groups;
    }

    void requireShape(String where, String what, int[] expected, Tensor t) {
        if (!java.util.Arrays.equals(expected, t.shapeArray())) mismatch(where, what, expected, t);
    }

    /** {@code t} is {@code [N, O, OH, OW]}, the output's shape (checked without making that shape). */
    void requireOutput(String where, String what, Tensor t) {
        if (t.rank() != 4 || t.dim(0) != n || t.dim(1) != o || t.dim(2) != oh || t.dim(3) != ow) mismatch(where, what, outputShape(), t);
    }

    /** {@code t} is {@code [N, C, H, W]}, the input's shape. */
    void requireInput(String where, String what, Tensor t) {
        if (t.rank() != 4 || t.dim(0) != n || t.dim(1) != c || t.dim(2) != h || t.dim(3) != w) mismatch(where, what, inputShape(), t);
    }

    /** {@code t} is {@code [O, C/groups, kh, kw]}, the weight's shape. */
    void requireWeight(String where, String what, Tensor t) {
        if (t.rank() != 4 || t.dim(0) != o || t.dim(1) != c / groups || t.dim(2) != kh || t.dim(3) != kw) mismatch(where, what, weightShape(), t);
    }

    /** {@code t} is {@code [O]}, one value per output channel. */
    void requireChannels(String where, String what, Tensor t) {
        if (t.rank() != 1 || t.dim(0) != o) mismatch(where, what, new int[] {o}, t);
    }

    private void mismatch(String where, String what, int[] expected, Tensor t) {
        throw new IllegalArgumentException(where + ": " + what + " has shape " + Tensor.shapeString(t.shape()) + " but must be "
                + Tensor.shapeString(expected) + " (input " + Tensor.shapeString(inputShape()) + ", weight "
                + Tensor.shapeString(weightShape()) + ")");
    }
}
