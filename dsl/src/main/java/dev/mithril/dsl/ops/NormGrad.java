package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * Backward of a normalization ({@link BatchNorm} in training form, {@link LayerNorm}): inputs
 * {@code (gradOut, x, weight, forward)}, the gradient with respect to x or to the weight. {@code forward}
 * is the normalization's own node, whose rendering keeps the statistics (mean, 1/std) this one reads.
 */
public record NormGrad(Op norm, Wrt wrt) implements Op {
    /** Which operand the gradient is taken with respect to. */
    public enum Wrt { INPUT, WEIGHT }

    public NormGrad {
        if (!(norm instanceof BatchNorm || norm instanceof LayerNorm)) throw new IllegalArgumentException("not a normalization: " + norm);
    }

    public String kind() { return norm.kind() + (wrt == Wrt.INPUT ? "_grad_input" : "_grad_weight"); }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 4);
        Node grad = inputs.get(0), x = inputs.get(1), w = inputs.get(2), forward = inputs.get(3);
        if (!forward.op().equals(norm) || forward.inputs().get(0) != x || forward.inputs().get(1) != w)
            throw ShapeError.attribute("reads '" + forward.name() + "', which is not the " + norm.kind() + " of '" + x.name() + "' with '" + w.name() + "'");
        Spatial.gradientOf(grad, x.type(), "'" + x.name() + "'");
        return wrt == Wrt.INPUT ? x.type() : w.type();
    }

    public String attributes() { return norm.attributes(); }
}
