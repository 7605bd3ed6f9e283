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
 * Elements {@code start, start + step, ...} before {@code end} along {@code axis}, as Python's
 * {@code x[..., start:end:step]}: negative {@code start}/{@code end} count from the end, bounds past the
 * ends are clamped, {@code step} is positive. The axis must have a fixed size and the slice must not be empty.
 */
public record Slice(int axis, long start, long end, long step) implements Op {
    public String kind() { return "slice"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 1);
        Node x = inputs.get(0);
        int r = x.type().rank();
        if (axis < -r || axis >= r) throw ShapeError.attribute("axis " + axis + " is out of range for '" + x.name() + "' " + x.type());
        if (step < 1) throw ShapeError.attribute("step " + step + " must be positive");
        Dim d = x.type().dim(axis);
        if (!d.isFixed()) throw ShapeError.mismatch("needs a fixed size along axis " + axis + "; '" + x.name() + "' is " + x.type().shapeString());
        long len = length(d.value());
        if (len < 1) throw ShapeError.attribute("[" + start + ":" + end + ":" + step + "] of axis " + axis + " (size " + d.value() + ") of '"
                + x.name() + "' " + x.type().shapeString() + " is empty");
        List<Dim> dims = new ArrayList<>(x.type().dims());
        dims.set(x.type().normalizeAxis(axis), Dim.of(len));
        return x.type().withDims(dims);
    }

    /** The first index taken, for an axis of {@code size}. */
    public long first(long size) { return clamp(start, size); }

    /** How many elements the slice takes from an axis of {@code size}. */
    public long length(long size) {
        long s = clamp(start, size), e = clamp(end, size);
        return e <= s ? 0 : (e - s + step - 1) / step;
    }

    private static long clamp(long i, long size) {
        long v = i < 0 ? i + size : i;
        return Math.max(0, Math.min(size, v));
    }

    public String attributes() { return "axis=" + axis + ", start=" + start + ", end=" + end + ", step=" + step; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.add("dx", new SliceGrad(this), grad, node.input(0)));
    }
}
