package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Reshape (a view: same elements, same order). One dimension may be {@code "-1"}, inferred from the rest. */
public record Reshape(List<String> dims) implements Op {
    public Reshape {
        dims = List.copyOf(dims);
    }

    public String kind() { return "reshape"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 1);
        Node x = inputs.get(0);
        Dim total = x.type().elements();
        Dim known = Dim.of(1);
        int inferred = -1;
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < dims.size(); i++) {
            String s = dims.get(i).strip();
            if (s.equals("-1")) {
                if (inferred >= 0) throw ShapeError.attribute("shape " + dims + " has more than one -1");
                inferred = i;
                out.add(null);
                continue;
            }
            Dim d;
            try {
                d = Dim.parse(s);
            } catch (IllegalArgumentException e) {
                throw ShapeError.attribute("shape " + dims + ": " + e.getMessage());
            }
            out.add(d);
            known = known.times(d);
        }
        if (inferred >= 0) {
            Dim rest = total.dividedBy(known);
            if (rest == null) throw ShapeError.mismatch("cannot view '" + x.name() + "' " + x.type().shapeString()
                    + " (" + total + " elements) as " + dims + ": " + total + " is not a multiple of " + known);
            out.set(inferred, rest);
        } else if (!known.equals(total)) {
            throw ShapeError.mismatch("cannot view '" + x.name() + "' " + x.type().shapeString() + " (" + total
                    + " elements) as " + dims + " (" + known + " elements)");
        }
        return x.type().withDims(out);
    }

    public String attributes() { return "shape=" + dims.toString().replace(" ", ""); }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.reshape(grad, node.input(0).type().dims()));
    }
}
