package dev.mithril.processor.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.dsl.ops.BatchNorm;
import dev.mithril.dsl.ops.Conv2d;
import java.util.List;

/**
 * An inference convolution with what follows it folded or fused in: {@code activation(conv2d(x, w', b') + residual)}.
 * With {@code norm}, the batch norm after the convolution is folded into its weight and bias ({@code w' = w s},
 * {@code b' = (b - running_mean) s + beta}, {@code s = gamma / sqrt(running_var + eps)}), which generated code computes
 * when parameters change, not per call. Inputs, in order: x, weight, the bias when {@code bias}, the norm's weight,
 * bias, running_mean, running_var and num_batches_tracked when {@code norm} is set, and the residual when
 * {@code residual}. {@code absorbed} names the nodes this one replaced, for comments and dumps.
 *
 * @param activation {@code null}, or one of {@link FusedLinear#ACTIVATIONS}
 */
public record FusedConv2d(Conv2d conv, boolean bias, BatchNorm norm, boolean residual, String activation, List<String> absorbed)
        implements Op {
    public FusedConv2d {
        if (activation != null && !FusedLinear.ACTIVATIONS.contains(activation)) throw new IllegalArgumentException("no epilogue for activation '"
                + activation + "'");
        absorbed = List.copyOf(absorbed);
    }

    /** Where the norm's inputs start (weight, bias, running_mean, running_var, num_batches_tracked). */
    public int normAt() { return bias ? 3 : 2; }

    /** Where the residual input is. */
    public int residualAt() { return normAt() + (norm != null ? 5 : 0); }

    public String kind() { return "fused_conv2d"; }

    public TensorType infer(List<Node> inputs) {
        int expected = residualAt() + (residual ? 1 : 0);
        if (inputs.size() != expected) throw ShapeError.attribute("takes " + expected + " inputs for " + attributes() + ", got " + inputs.size());
        TensorType out = conv.infer(inputs.subList(0, bias ? 3 : 2));
        if (norm != null) {
            long channels = out.dim(1).value();
            for (int i = 0; i < 4; i++) {
                Node p = inputs.get(normAt() + i);
                if (!p.type().equals(TensorType.f32(channels)))
                    throw ShapeError.mismatch("folds batch norm parameter '" + p.name() + "' " + p.type() + " into a convolution with " + channels
                            + " outputs");
            }
            Node count = inputs.get(normAt() + 4);
            if (count.type().dtype() != dev.mithril.runtime.DType.I64 || count.type().rank() != 0)
                throw ShapeError.dtype("needs num_batches_tracked as an int64 scalar; '" + count.name() + "' is " + count.type());
        }
        if (residual) {
            Node r = inputs.get(residualAt());
            if (!r.type().equals(out)) throw ShapeError.mismatch("adds residual '" + r.name() + "' " + r.type() + " to a convolution output " + out);
        }
        return out;
    }

    public String attributes() {
        return conv.attributes() + (bias ? ", bias" : "") + (norm != null ? ", folded " + norm.kind() + "(" + norm.attributes() + ")" : "")
                + (residual ? ", residual" : "") + (activation != null ? ", activation=" + activation : "") + ", absorbed=" + absorbed;
    }
}
