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

    /**
     * Validates an input shape {@code [N, C, H, W]} and a weight shape {@code [O, C/groups, kh, kw]} with
     * the given hyper-parameters; {@code where} names the kernel in the error.
     */
    static ConvGeometry of(String where, int[] x, int[] wt, int strideH, int strideW, int padH, int padW,
                           int dilationH, int dilationW, int groups) {
        String shapes = " (input " + Tensor.shapeString(x) + ", weight " + Tensor.shapeString(wt) + ", stride "
                + strideH + "x" + strideW + ", padding " + padH + "x" + padW + ", dilation " + dilationH + "x"
                + dilationW + ", groups " + groups + ")";
        if (x.length != 4) throw new IllegalArgumentException(where + ": input must be rank 4 [N, C, H, W]" + shapes);
        if (wt.length != 4) throw new IllegalArgumentException(where + ": weight must be rank 4 [O, C/groups, kh, kw]" + shapes);
        for (int d : x) if (d < 0) throw new IllegalArgumentException(where + ": negative input dimension" + shapes);
        for (int d : wt) if (d <= 0) throw new IllegalArgumentException(where + ": weight dimensions must be positive" + shapes);
        if (strideH < 1 || strideW < 1) throw new IllegalArgumentException(where + ": stride must be >= 1" + shapes);
        if (padH < 0 || padW < 0) throw new IllegalArgumentException(where + ": padding must be >= 0" + shapes);
        if (dilationH < 1 || dilationW < 1) throw new IllegalArgumentException(where + ": dilation must be >= 1" + shapes);
        if (groups < 1) throw new IllegalArgumentException(where + ": groups must be >= 1" + shapes);
        if (x[1] % groups != 0) throw new IllegalArgumentException(where + ": input channels " + x[1] + " not divisible by groups" + shapes);
        if (wt[0] % groups != 0) throw new IllegalArgumentException(where + ": output channels " + wt[0] + " not divisible by groups" + shapes);
        if (wt[1] != x[1] / groups) {
            throw new IllegalArgumentException(where + ": weight has " + wt[1] + " input channels per group but input has "
                    + x[1] + " / " + groups + " = " + x[1] / groups + shapes);
        }
        int oh = outSize(x[2], wt[2], strideH, padH, dilationH), ow = outSize(x[3], wt[3], strideW, padW, dilationW);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException(where + ": output would be " + oh + "x" + ow + ", the padded input is smaller than the dilated kernel" + shapes);
        }
        ConvGeometry g = new ConvGeometry(x[0], x[1], x[2], x[3], wt[0], wt[2], wt[3], oh, ow,
                strideH, strideW, padH, padW, dilationH, dilationW, groups);
        Tensor.checkedSize(where + " output", g.outputShape());
        return g;
    }

    void requireShape(String where, String what, int[] expected, Tensor t) {
        if (!java.util.Arrays.equals(expected, t.shape())) {
            throw new IllegalArgumentException(where + ": " + what + " has shape " + Tensor.shapeString(t.shape()) + " but must be "
                    + Tensor.shapeString(expected) + " (input " + Tensor.shapeString(inputShape()) + ", weight "
                    + Tensor.shapeString(weightShape()) + ")");
        }
    }
}
