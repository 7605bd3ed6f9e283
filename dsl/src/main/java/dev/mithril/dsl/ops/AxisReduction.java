package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/**
 * A reduction over axes ({@link Sum}, {@link Mean}): every axis when {@code axes} is empty, kept as size 1 when
 * {@code keepDims}. Its backward broadcasts the gradient back over the reduced axes, divided by {@link #divisor}.
 */
interface AxisReduction extends Op {
    List<Integer> axes();

    boolean keepDims();

    /** What the backward divides the broadcast gradient by, given the input's type and the reduced axes (normalized). */
    Dim divisor(TensorType input, List<Integer> axes);

    @Override default TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 1);
        return Rules.reduce(inputs.get(0), axes(), keepDims());
    }

    /** The axes made non-negative and sorted, for {@code input}'s rank. */
    default List<Integer> normalizedAxes(TensorType input) { return Rules.axes(input, axes()); }

    @Override default String attributes() { return "axes=" + Rules.ints(axes()) + ", keepDims=" + keepDims(); }

    @Override default List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        TensorType in = node.input(0).type();
        List<Integer> ax = normalizedAxes(in);
        return List.of(g.add("dx", new Expand(in.dims(), divisor(in, ax)), Rules.keepDims(g, grad, in, ax, keepDims())));
    }
}
