package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** {@code y = x·Wᵀ + b}: inputs x {@code [..., in]}, weight {@code [out, in]} (PyTorch's layout), optional bias {@code [out]}. */
public record Linear() implements Op {
    public String kind() { return "linear"; }

    public TensorType infer(List<Node> inputs) {
        if (inputs.size() != 2 && inputs.size() != 3) throw ShapeError.attribute("takes x, weight and an optional bias, got " + inputs.size() + " inputs");
        Node x = inputs.get(0), w = inputs.get(1);
        Rules.floating(x);
        Rules.sameDtype(x, w);
        if (x.type().rank() < 1) throw ShapeError.mismatch("needs an input of rank 1 or more; '" + x.name() + "' is " + x.type());
        if (w.type().rank() != 2) throw ShapeError.mismatch("needs a weight of rank 2 [out, in]; '" + w.name() + "' is " + w.type());
        Dim in = x.type().dim(-1), wIn = w.type().dim(1), out = w.type().dim(0);
        if (!in.equals(wIn)) throw ShapeError.mismatch("expects " + wIn + " input features per row ('" + w.name() + "' is "
                + w.type().shapeString() + "); '" + x.name() + "' gives " + in + " (" + x.type().shapeString() + ")");
        if (inputs.size() == 3) {
            Node b = inputs.get(2);
            Rules.sameDtype(x, b);
            if (b.type().rank() != 1 || !b.type().dim(0).equals(out)) throw ShapeError.mismatch("needs a bias of shape ["
                    + out + "] to match '" + w.name() + "' " + w.type().shapeString() + "; '" + b.name() + "' is " + b.type().shapeString());
        }
        List<Dim> dims = new ArrayList<>(x.type().dims());
        dims.set(dims.size() - 1, out);
        return x.type().withDims(dims);
    }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        // x [..., in], w [out, in]: dx = g·w, dw = gᵀ·x over all rows, db = g summed over rows.
        Node x = node.input(0), w = node.input(1);
        Node dx = g.add("dx", new MatMul(), grad, w);
        Node g2 = x.type().rank() == 2 ? grad : g.rows(grad);
        Node x2 = x.type().rank() == 2 ? x : g.rows(x);
        Node dw = g.add("dw", new MatMul(true, false), g2, x2);
        if (node.inputs().size() == 2) return List.of(dx, dw);
        return List.of(dx, dw, g.sumTo(grad, node.input(2)));
    }
}
