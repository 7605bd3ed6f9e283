package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Merges dimensions {@code start..end} (inclusive, negative counts from the end), like {@code torch.flatten}. */
public record Flatten(int start, int end) implements Op {
    public String kind() { return "flatten"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 1);
        Node x = inputs.get(0);
        int r = x.type().rank();
        if (r == 0) return x.type().withDims(List.of(Dim.of(1)));
        int s = start < 0 ? start + r : start, e = end < 0 ? end + r : end;
        if (s < 0 || s >= r || e < 0 || e >= r || s > e)
            throw ShapeError.attribute("start " + start + " and end " + end + " do not fit '" + x.name() + "' " + x.type());
        List<Dim> out = new ArrayList<>(x.type().dims().subList(0, s));
        Dim merged = Dim.of(1);
        for (int i = s; i <= e; i++) merged = merged.times(x.type().dims().get(i));
        out.add(merged);
        out.addAll(x.type().dims().subList(e + 1, r));
        return x.type().withDims(out);
    }

    public String attributes() { return "start=" + start + ", end=" + end; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        return List.of(g.reshape(grad, node.input(0).type().dims()));
    }
}
