package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Concatenation along {@code axis} (negative counts from the end), as {@code torch.cat}: every input has
 * one dtype and one shape except along the axis, whose sizes must be fixed and add up.
 */
public record Concat(int axis) implements Op {
    public String kind() { return "concat"; }

    public TensorType infer(List<Node> inputs) {
        if (inputs.isEmpty()) throw ShapeError.attribute("needs at least one input");
        Node first = inputs.get(0);
        int r = first.type().rank();
        if (axis < -r || axis >= r) throw ShapeError.attribute("axis " + axis + " is out of range for '" + first.name() + "' " + first.type());
        int a = axis < 0 ? axis + r : axis;
        long total = 0;
        for (Node n : inputs) {
            Rules.sameDtype(first, n);
            TensorType t = n.type();
            boolean same = t.rank() == r;
            for (int i = 0; same && i < r; i++) same = i == a || t.dims().get(i).equals(first.type().dims().get(i));
            if (!same) throw ShapeError.mismatch("along axis " + axis + " needs inputs that agree on every other dimension; '" + first.name()
                    + "' is " + first.type().shapeString() + ", '" + n.name() + "' is " + t.shapeString());
            if (!t.dims().get(a).isFixed()) throw ShapeError.mismatch("needs a fixed size along axis " + axis + "; '" + n.name() + "' is " + t.shapeString());
            total += t.dims().get(a).value();
        }
        List<Dim> dims = new ArrayList<>(first.type().dims());
        dims.set(a, Dim.of(total));
        return first.type().withDims(dims);
    }

    public String attributes() { return "axis=" + axis; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        int a = node.type().normalizeAxis(axis);
        List<Node> out = new ArrayList<>();
        long at = 0;
        for (Node in : node.inputs()) {
            long len = in.type().dims().get(a).value();
            out.add(g.add("dx", new Slice(a, at, at + len, 1), grad));
            at += len;
        }
        return out;
    }
}
