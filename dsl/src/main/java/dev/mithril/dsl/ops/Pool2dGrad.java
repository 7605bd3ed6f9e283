package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * Backward of a pooling ({@link MaxPool2d}, {@link AvgPool2d} or {@link AdaptiveAvgPool2d}): inputs
 * {@code (gradOut, x)}, the gradient with respect to x (max pooling reads x to find each window's winner;
 * the averages read only its shape).
 */
public record Pool2dGrad(Op pool) implements Op {
    public Pool2dGrad {
        if (!(pool instanceof MaxPool2d || pool instanceof AvgPool2d || pool instanceof AdaptiveAvgPool2d))
            throw new IllegalArgumentException("not a pooling: " + pool);
    }

    public String kind() { return pool.kind() + "_grad"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 2);
        Node grad = inputs.get(0), x = inputs.get(1);
        if (x.type() == null) throw ShapeError.attribute("has an untyped input");
        Spatial.gradientOf(grad, pool.infer(List.of(x)), "the pooling of '" + x.name() + "'");
        return x.type();
    }

    public String attributes() { return pool.attributes(); }
}
