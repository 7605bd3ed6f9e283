package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * Backward of {@link Conv2d}: with {@code wrt = INPUT}, inputs {@code (gradOut, weight, x)} give d/dx
 * (x is read for its shape only); with {@code wrt = WEIGHT}, inputs {@code (gradOut, x, weight)} give
 * d/dweight (the weight is read for its shape only).
 */
public record Conv2dGrad(Conv2d conv, Wrt wrt) implements Op {
    /** Which operand the gradient is taken with respect to. */
    public enum Wrt { INPUT, WEIGHT }

    public String kind() { return wrt == Wrt.INPUT ? "conv2d_grad_input" : "conv2d_grad_weight"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 3);
        Node grad = inputs.get(0), target = inputs.get(2);
        Node x = wrt == Wrt.INPUT ? inputs.get(2) : inputs.get(1), w = wrt == Wrt.INPUT ? inputs.get(1) : inputs.get(2);
        TensorType out = conv.infer(List.of(x, w));
        Spatial.gradientOf(grad, out, "the convolution of '" + x.name() + "'");
        return target.type();
    }

    public String attributes() { return conv.attributes(); }
}
