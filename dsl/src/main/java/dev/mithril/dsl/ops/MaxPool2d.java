package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * Max pooling over the last two dimensions of {@code [N, C, H, W]}, as PyTorch's {@code nn.MaxPool2d}
 * (ceil_mode false; padded positions never win). Padding is at most half the kernel.
 */
public record MaxPool2d(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) implements Op {
    /** Square kernel, stride and padding, no dilation: {@code nn.MaxPool2d(kernel, stride, padding)}. */
    public MaxPool2d(int kernel, int stride, int padding) { this(kernel, kernel, stride, stride, padding, padding, 1, 1); }

    public String kind() { return "max_pool2d"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 1);
        Node x = inputs.get(0);
        Spatial.nchw(x, "input");
        Spatial.window("max_pool2d", kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, true);
        return Spatial.pooled(x, Spatial.outSize(x, "height", x.type().dim(2).value(), kernelH, strideH, padH, dilationH),
                Spatial.outSize(x, "width", x.type().dim(3).value(), kernelW, strideW, padW, dilationW));
    }

    public String attributes() {
        return "kernel=[" + kernelH + "," + kernelW + "], stride=[" + strideH + "," + strideW + "], padding=[" + padH + "," + padW
                + "], dilation=[" + dilationH + "," + dilationW + "]";
    }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.add("dx", new Pool2dGrad(this), grad, node.input(0)));
    }
}
