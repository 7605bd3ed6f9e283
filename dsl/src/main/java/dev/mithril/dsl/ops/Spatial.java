package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;

/** Shape-rule helpers of the spatial (NCHW) operations: convolution and pooling windows. */
final class Spatial {
    private Spatial() {}

    /** Checks that {@code x} is a floating-point {@code [N, C, H, W]} tensor with fixed C, H and W. */
    static void nchw(Node x, String what) {
        Rules.floating(x);
        TensorType t = x.type();
        if (t.rank() != 4) throw ShapeError.mismatch("needs a rank-4 " + what + " [N, C, H, W]; '" + x.name() + "' is " + t);
        for (int a = 1; a < 4; a++) {
            if (!t.dim(a).isFixed()) throw ShapeError.mismatch("needs fixed channels, height and width; '" + x.name() + "' is " + t
                    + " (dimension " + a + " is " + t.dim(a) + ")");
        }
    }

    /** The size of fixed dimension {@code axis} of {@code x}. */
    static int size(Node x, int axis) { return Math.toIntExact(x.type().dim(axis).value()); }

    /** {@code floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1}; throws naming the node when it is not positive. */
    static long outSize(Node x, String axisName, long in, int k, int stride, int pad, int dilation) {
        long span = (long) dilation * (k - 1) + 1;
        long out = Math.floorDiv(in + 2L * pad - span, stride) + 1;
        if (out < 1) throw ShapeError.mismatch("window of " + k + " (dilation " + dilation + ", padding " + pad + ") does not fit the "
                + axisName + " " + in + " of '" + x.name() + "' " + x.type().shapeString());
        return out;
    }

    /** Checks window attributes: kernel and stride and dilation positive, padding non-negative and at most half the kernel when asked. */
    static void window(String op, int kH, int kW, int sH, int sW, int pH, int pW, int dH, int dW, boolean halfKernelPadding) {
        if (kH < 1 || kW < 1) throw ShapeError.attribute("kernel " + kH + "x" + kW + " must be positive");
        if (sH < 1 || sW < 1) throw ShapeError.attribute("stride " + sH + "x" + sW + " must be positive");
        if (dH < 1 || dW < 1) throw ShapeError.attribute("dilation " + dH + "x" + dW + " must be positive");
        if (pH < 0 || pW < 0) throw ShapeError.attribute("padding " + pH + "x" + pW + " must not be negative");
        if (halfKernelPadding && (2 * pH > kH || 2 * pW > kW))
            throw ShapeError.attribute("padding " + pH + "x" + pW + " must be at most half the kernel " + kH + "x" + kW + " (as " + op + " requires)");
    }

    /** {@code [N, C, oh, ow]} from {@code x [N, C, H, W]}. */
    static TensorType pooled(Node x, long oh, long ow) {
        TensorType t = x.type();
        return t.withDims(java.util.List.of(t.dim(0), t.dim(1), Dim.of(oh), Dim.of(ow)));
    }

    /** Checks that {@code grad} has the type of {@code like} (the node whose gradient it is). */
    static void gradientOf(Node grad, TensorType expected, String of) {
        Rules.floating(grad);
        if (!grad.type().dims().equals(expected.dims())) throw ShapeError.mismatch("needs the gradient '" + grad.name() + "' "
                + grad.type().shapeString() + " shaped like " + of + " " + expected.shapeString());
    }
}
