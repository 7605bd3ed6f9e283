package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * Layer normalization over the last dimension, as PyTorch's {@code nn.LayerNorm(D)}: inputs x {@code [..., D]},
 * weight and bias {@code [D]}; each row becomes {@code (x - mean) / sqrt(var + eps) * weight + bias} (biased variance).
 */
public record LayerNorm(double eps) implements Op {
    /** PyTorch's default eps, 1e-5. */
    public LayerNorm() { this(1e-5); }

    public String kind() { return "layer_norm"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 3);
        Node x = inputs.get(0);
        Rules.floating(x);
        if (!(eps > 0)) throw ShapeError.attribute("needs eps > 0, got " + eps);
        if (x.type().rank() < 1) throw ShapeError.mismatch("needs an input of rank 1 or more; '" + x.name() + "' is " + x.type());
        var d = x.type().dim(-1);
        for (int i = 1; i <= 2; i++) {
            Node p = inputs.get(i);
            Rules.sameDtype(x, p);
            if (p.type().rank() != 1 || !p.type().dim(0).equals(d)) throw ShapeError.mismatch("needs " + (i == 1 ? "weight" : "bias")
                    + " of shape [" + d + "] to normalize the last dimension of '" + x.name() + "' " + x.type().shapeString() + "; '"
                    + p.name() + "' is " + p.type().shapeString());
        }
        return x.type();
    }

    public String attributes() { return "eps=" + eps; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        Node x = node.input(0), w = node.input(1);
        Node dx = g.add("dx", new NormGrad(this, NormGrad.Wrt.INPUT), grad, x, w, node);
        Node dw = g.add("dw", new NormGrad(this, NormGrad.Wrt.WEIGHT), grad, x, w, node);
        return List.of(dx, dw, g.sumTo(grad, node.input(2)));
    }
}
