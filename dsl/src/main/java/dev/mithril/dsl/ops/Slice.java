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
 * ends are clamped, {@code step} is positive. The slice must not be empty.
 * <p>
 * An axis of symbolic size (a sequence length {@code T}) can be sliced when the slice's length does not depend on
 * the size: both bounds counted from the start ({@code x[:, 2:5]}), or both from the end, {@link #END} being the end
 * itself ({@code x[:, -1:]}, the last position, is {@code Slice(1, -1, END, 1)}). The axis must then be long enough
 * for the slice when the model runs (an error there otherwise, not a shorter slice).
 */
public record Slice(int axis, long start, long end, long step) implements Op {
    /** An {@code end} that means the end of the axis, whatever its size ({@code x[a:]}); any larger end means the same. */
    public static final long END = Integer.MAX_VALUE;

    public String kind() { return "slice"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 1);
        Node x = inputs.get(0);
        int r = x.type().rank();
        if (axis < -r || axis >= r) throw ShapeError.attribute("axis " + axis + " is out of range for '" + x.name() + "' " + x.type());
        if (step < 1) throw ShapeError.attribute("step " + step + " must be positive");
        Dim d = x.type().dim(axis);
        long len = d.isFixed() ? length(d.value()) : symbolicLength();
        if (len < 0) throw ShapeError.mismatch("[" + start + ":" + end + ":" + step + "] of axis " + axis + " of '" + x.name() + "' "
                + x.type().shapeString() + " has a length that depends on the axis' size " + d + "; on an axis without a fixed size "
                + "both bounds must count from the start or both from the end (end " + END + " for the end itself)");
        if (len < 1) throw ShapeError.attribute("[" + start + ":" + end + ":" + step + "] of axis " + axis + " (size " + d + ") of '"
                + x.name() + "' " + x.type().shapeString() + " is empty");
        List<Dim> dims = new ArrayList<>(x.type().dims());
        dims.set(x.type().normalizeAxis(axis), Dim.of(len));
        return x.type().withDims(dims);
    }

    /**
     * The length on an axis of symbolic size, if it is long enough: both bounds from the start, or both from the end;
     * -1 when the length depends on the size.
     */
    public long symbolicLength() {
        boolean startFromEnd = start < 0, endFromEnd = end < 0 || end >= END;
        if (startFromEnd != endFromEnd) return -1;
        return count(start, end >= END ? 0 : end);
    }

    /** Whether the first index counts from the end of the axis ({@code start < 0}). */
    public boolean fromEnd() { return start < 0; }

    /** The first index taken, for an axis of {@code size}. */
    public long first(long size) { return clamp(start, size); }

    /** How many elements the slice takes from an axis of {@code size}. */
    public long length(long size) { return count(clamp(start, size), clamp(end, size)); }

    /** Elements taken from index {@code s} before index {@code e} in steps of {@code step} (both on the same scale). */
    private long count(long s, long e) { return e <= s ? 0 : (e - s + step - 1) / step; }

    private static long clamp(long i, long size) {
        long v = i < 0 ? i + size : i;
        return Math.max(0, Math.min(size, v));
    }

    public String attributes() { return "axis=" + axis + ", start=" + start + ", end=" + end + ", step=" + step; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.add("dx", new SliceGrad(this), grad, node.input(0)));
    }
}
