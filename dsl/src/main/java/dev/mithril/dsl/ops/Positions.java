package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.runtime.DType;
import java.util.Arrays;
import java.util.List;

/**
 * The positions {@code 0, 1, ..., n-1} along {@code axis} of its input, as int64 {@code [n]}: nanoGPT's
 * {@code torch.arange(T)} for ids {@code [B, T]}. Only the input's shape is read, so {@code n} may be a
 * symbolic size; looking the result up in a position table ({@link Embedding}) gives learned positions.
 */
public record Positions(int axis) implements Op {
    public String kind() { return "positions"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 1);
        Node x = inputs.get(0);
        int r = x.type().rank();
        if (r == 0 || axis < -r || axis >= r) throw ShapeError.attribute("axis " + axis + " is out of range for '" + x.name() + "' " + x.type());
        return new TensorType(DType.I64, List.of(x.type().dim(axis)));
    }

    public String attributes() { return "axis=" + axis; }

    /** Reads only the input's shape: no gradient flows back. */
    public List<Node> vjp(GradientBuilder g, Node node, Node grad) { return Arrays.asList((Node) null); }
}
