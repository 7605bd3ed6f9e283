package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * 2-d convolution over NCHW tensors as PyTorch's {@code nn.Conv2d}: inputs x {@code [N, C, H, W]}, weight
 * {@code [O, C/groups, kh, kw]}, optional bias {@code [O]}; output {@code [N, O, OH, OW]} with
 * {@code OH = floor((H + 2 padH - dilationH (kh - 1) - 1) / strideH) + 1} (likewise OW).
 */
public record Conv2d(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) implements Op {
    /** A convolution with square stride, padding and dilation. */
    public Conv2d(int stride, int padding, int dilation, int groups) { this(stride, stride, padding, padding, dilation, dilation, groups); }

    public String kind() { return "conv2d"; }

    public TensorType infer(List<Node> inputs) {
        if (inputs.size() != 2 && inputs.size() != 3) throw ShapeError.attribute("takes x, weight and an optional bias, got " + inputs.size() + " inputs");
        Node x = inputs.get(0), w = inputs.get(1);
        Spatial.nchw(x, "input");
        Rules.sameDtype(x, w);
        if (w.type().rank() != 4) throw ShapeError.mismatch("needs a rank-4 weight [out, in/groups, kh, kw]; '" + w.name() + "' is " + w.type());
        checkAttributes();
        long c = x.type().dim(1).value(), o = w.type().dim(0).value(), wc = w.type().dim(1).value();
        if (c % groups != 0 || o % groups != 0) throw ShapeError.mismatch("with groups=" + groups + " needs input channels and output channels divisible by "
                + groups + "; '" + x.name() + "' has " + c + " channels, '" + w.name() + "' " + o + " outputs");
        if (wc * groups != c) throw ShapeError.mismatch("expects " + wc * groups + " input channels ('" + w.name() + "' is " + w.type().shapeString()
                + (groups == 1 ? "" : ", groups=" + groups) + "); '" + x.name() + "' has " + c + " (" + x.type().shapeString() + ")");
        int kh = Spatial.size(w, 2), kw = Spatial.size(w, 3);
        long oh = Spatial.outSize(x, "height", x.type().dim(2).value(), kh, strideH, padH, dilationH);
        long ow = Spatial.outSize(x, "width", x.type().dim(3).value(), kw, strideW, padW, dilationW);
        if (inputs.size() == 3) {
            Node b = inputs.get(2);
            Rules.sameDtype(x, b);
            if (b.type().rank() != 1 || b.type().dim(0).value() != o) throw ShapeError.mismatch("needs a bias of shape [" + o + "] to match '"
                    + w.name() + "' " + w.type().shapeString() + "; '" + b.name() + "' is " + b.type().shapeString());
        }
        return x.type().withDims(List.of(x.type().dim(0), Dim.of(o), Dim.of(oh), Dim.of(ow)));
    }

    void checkAttributes() {
        Spatial.window("conv2d", 1, 1, strideH, strideW, padH, padW, dilationH, dilationW, false);
        if (groups < 1) throw ShapeError.attribute("groups " + groups + " must be positive");
    }

    public String attributes() {
        return "stride=[" + strideH + "," + strideW + "], padding=[" + padH + "," + padW + "], dilation=[" + dilationH + "," + dilationW
                + "], groups=" + groups;
    }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        Node x = node.input(0), w = node.input(1);
        Node dx = g.add("dx", new Conv2dGrad(this, Conv2dGrad.Wrt.INPUT), grad, w, x);
        Node dw = g.add("dw", new Conv2dGrad(this, Conv2dGrad.Wrt.WEIGHT), grad, x, w);
        if (node.inputs().size() == 2) return List.of(dx, dw);
        return List.of(dx, dw, g.add("db", new Sum(List.of(0, 2, 3), false), grad));
    }
}
