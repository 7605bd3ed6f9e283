package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * Adaptive average pooling of {@code [N, C, H, W]} to {@code [N, C, outH, outW]}, as PyTorch's
 * {@code nn.AdaptiveAvgPool2d}: output cell i averages rows {@code [floor(i H / outH), ceil((i + 1) H / outH))}.
 */
public record AdaptiveAvgPool2d(int outH, int outW) implements Op {
    public String kind() { return "adaptive_avg_pool2d"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 1);
        Node x = inputs.get(0);
        Spatial.nchw(x, "input");
        if (outH < 1 || outW < 1) throw ShapeError.attribute("output size " + outH + "x" + outW + " must be positive");
        return Spatial.pooled(x, outH, outW);
    }

    public String attributes() { return "output=[" + outH + "," + outW + "]"; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.add("dx", new Pool2dGrad(this), grad, node.input(0)));
    }
}
