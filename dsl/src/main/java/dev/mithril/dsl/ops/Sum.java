package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Sum over axes (every axis when {@code axes} is empty), keeping them as size 1 when {@code keepDims}. */
public record Sum(List<Integer> axes, boolean keepDims) implements Op {
    public Sum {
        axes = List.copyOf(axes);
    }

    public String kind() { return "sum"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 1);
        return Rules.reduce(inputs.get(0), axes, keepDims);
    }

    /** The axes made non-negative and sorted, for {@code input}'s rank. */
    public List<Integer> normalizedAxes(TensorType input) { return Rules.axes(input, axes); }

    public String attributes() { return "axes=" + Rules.ints(axes) + ", keepDims=" + keepDims; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        TensorType in = node.input(0).type();
        return List.of(g.add("dx", new Expand(in.dims(), Dim.of(1)), Rules.keepDims(g, grad, in, normalizedAxes(in), keepDims)));
    }
}
