package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Shape-rule building blocks shared by the operations. */
final class Rules {
    private Rules() {}

    static void arity(List<Node> inputs, int n) {
        if (inputs.size() != n) throw ShapeError.attribute("takes " + n + " input" + (n == 1 ? "" : "s") + ", got " + inputs.size());
    }

    /** The one input of a unary op, which must be floating point. */
    static Node floatingInput(List<Node> inputs) {
        arity(inputs, 1);
        floating(inputs.get(0));
        return inputs.get(0);
    }

    static void floating(Node n) {
        if (!n.type().dtype().isFloatingPoint())
            throw ShapeError.dtype("needs a floating-point input; '" + n.name() + "' is " + n.type());
    }

    static void sameDtype(Node a, Node b) {
        if (a.type().dtype() != b.type().dtype())
            throw ShapeError.dtype("cannot combine '" + a.name() + "' " + a.type() + " with '" + b.name() + "' " + b.type());
    }

    /** NumPy broadcasting over symbolic dims: equal dims, or one side a fixed 1. */
    static List<Dim> broadcast(Node a, Node b) {
        List<Dim> x = a.type().dims(), y = b.type().dims();
        int rank = Math.max(x.size(), y.size());
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            Dim dx = i < rank - x.size() ? Dim.of(1) : x.get(i - (rank - x.size()));
            Dim dy = i < rank - y.size() ? Dim.of(1) : y.get(i - (rank - y.size()));
            if (dx.equals(dy) || isOne(dy)) out.add(dx);
            else if (isOne(dx)) out.add(dy);
            else throw ShapeError.mismatch("cannot broadcast '" + a.name() + "' " + a.type().shapeString()
                    + " with '" + b.name() + "' " + b.type().shapeString() + " (dimension " + dx + " vs " + dy + ")");
        }
        return out;
    }

    static boolean isOne(Dim d) { return d.isFixed() && d.value() == 1; }

    /** Whether {@code from} broadcasts to {@code to} (NumPy rules): each trailing dim equal, or a fixed 1. */
    static boolean broadcastsTo(List<Dim> from, List<Dim> to) {
        int pad = to.size() - from.size();
        if (pad < 0) return false;
        for (int i = 0; i < from.size(); i++) if (!from.get(i).equals(to.get(pad + i)) && !isOne(from.get(i))) return false;
        return true;
    }

    /** Normalized, sorted, distinct axes; all axes when {@code axes} is empty. */
    static List<Integer> axes(TensorType t, List<Integer> axes) { return axes(t, axes, t.toString()); }

    /** As {@link #axes(TensorType, List)}; {@code what} describes the input in errors, e.g. {@code 'x' float32[batch, 10]}. */
    private static List<Integer> axes(TensorType t, List<Integer> axes, String what) {
        List<Integer> out = new ArrayList<>();
        if (axes.isEmpty()) for (int i = 0; i < t.rank(); i++) out.add(i);
        for (int a : axes) {
            int n = a < 0 ? a + t.rank() : a;
            if (n < 0 || n >= t.rank()) throw ShapeError.attribute("axis " + a + " is out of range for " + what);
            if (out.contains(n)) throw ShapeError.attribute("axis " + a + " is given twice");
            out.add(n);
        }
        out.sort(null);
        return out;
    }

    static TensorType reduce(Node x, List<Integer> axes, boolean keepDims) {
        floating(x);
        TensorType t = x.type();
        List<Integer> ax = axes(t, axes, "'" + x.name() + "' " + t);
        List<Dim> dims = new ArrayList<>();
        for (int i = 0; i < t.rank(); i++) {
            if (!ax.contains(i)) dims.add(t.dims().get(i));
            else if (keepDims) dims.add(Dim.of(1));
        }
        return t.withDims(dims);
    }

    static String ints(List<Integer> xs) {
        return xs.toString().replace(" ", "");
    }

    /** {@code grad} of a reduction reshaped to keep the reduced axes as 1 (itself when they were kept). */
    static Node keepDims(GradientBuilder g, Node grad, TensorType in, List<Integer> axes, boolean kept) {
        if (kept) return grad;
        List<Dim> dims = new ArrayList<>(in.dims());
        for (int a : axes) dims.set(a, Dim.of(1));
        return g.reshape(grad, dims);
    }
}
