package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * Average pooling over the last two dimensions of {@code [N, C, H, W]}, as PyTorch's {@code nn.AvgPool2d}
 * with its defaults: padded zeros count in the divisor (count_include_pad), ceil_mode false.
 */
public record AvgPool2d(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) implements Op {
    /** Square kernel, stride and padding: {@code nn.AvgPool2d(kernel, stride, padding)}. */
    public AvgPool2d(int kernel, int stride, int padding) { this(kernel, kernel, stride, stride, padding, padding); }

    public String kind() { return "avg_pool2d"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 1);
        Node x = inputs.get(0);
        Spatial.nchw(x, "input");
        Spatial.window("avg_pool2d", kernelH, kernelW, strideH, strideW, padH, padW, 1, 1, true);
        return Spatial.pooled(x, Spatial.outSize(x, "height", x.type().dim(2).value(), kernelH, strideH, padH, 1),
                Spatial.outSize(x, "width", x.type().dim(3).value(), kernelW, strideW, padW, 1));
    }

    public String attributes() {
        return "kernel=[" + kernelH + "," + kernelW + "], stride=[" + strideH + "," + strideW + "], padding=[" + padH + "," + padW + "]";
    }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.add("dx", new Pool2dGrad(this), grad, node.input(0)));
    }
}
