package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Batch normalization over channel axis 1, as PyTorch's {@code nn.BatchNorm1d/2d}: inputs x {@code [N, C, ...]},
 * weight, bias, running_mean, running_var (all {@code [C]}) and num_batches_tracked (int64 scalar). In inference
 * it normalizes with the running statistics; in training with the batch's own (biased) statistics, and then
 * updates the running ones in place: {@code running = (1 - momentum) running + momentum stat}, with the unbiased
 * variance, and counts the batch. So the two renderings differ, and the node is not pure.
 */
public record BatchNorm(double eps, double momentum) implements Op {
    /** PyTorch's defaults: eps 1e-5, momentum 0.1. */
    public BatchNorm() { this(1e-5, 0.1); }

    public String kind() { return "batch_norm"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 6);
        Node x = inputs.get(0);
        Rules.floating(x);
        if (!(eps > 0) || !(momentum >= 0 && momentum <= 1))
            throw ShapeError.attribute("needs eps > 0 and momentum in [0, 1]; got eps=" + eps + ", momentum=" + momentum);
        if (x.type().rank() < 2 || !x.type().dim(1).isFixed()) throw ShapeError.mismatch("needs an input [N, C, ...] with a fixed channel count; '"
                + x.name() + "' is " + x.type());
        long c = x.type().dim(1).value();
        String[] roles = {"weight", "bias", "running_mean", "running_var"};
        for (int i = 1; i <= 4; i++) {
            Node p = inputs.get(i);
            Rules.sameDtype(x, p);
            if (p.type().rank() != 1 || !p.type().dim(0).isFixed() || p.type().dim(0).value() != c)
                throw ShapeError.mismatch("needs " + roles[i - 1] + " of shape [" + c + "] for the " + c + " channels of '" + x.name() + "' "
                        + x.type().shapeString() + "; '" + p.name() + "' is " + p.type().shapeString());
        }
        Node count = inputs.get(5);
        if (count.type().dtype() != DType.I64 || count.type().rank() != 0)
            throw ShapeError.dtype("needs num_batches_tracked as an int64 scalar; '" + count.name() + "' is " + count.type());
        return x.type();
    }

    public String attributes() { return "eps=" + eps + ", momentum=" + momentum; }

    /** Training updates the running statistics: two such nodes are never the same computation. */
    public boolean isPure() { return false; }

    /** The axes other than the channel axis, over which statistics (and the bias gradient) are summed. */
    static List<Integer> nonChannelAxes(int rank) {
        List<Integer> axes = new ArrayList<>();
        for (int a = 0; a < rank; a++) if (a != 1) axes.add(a);
        return axes;
    }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        // Backward of the training form: the batch statistics it saved are read through the forward node.
        Node x = node.input(0), w = node.input(1);
        Node dx = g.add("dx", new NormGrad(this, NormGrad.Wrt.INPUT), grad, x, w, node);
        Node dw = g.add("dw", new NormGrad(this, NormGrad.Wrt.WEIGHT), grad, x, w, node);
        Node db = g.add("db", new Sum(nonChannelAxes(x.type().rank()), false), grad);
        return Arrays.asList(dx, dw, db, null, null, null);
    }
}
