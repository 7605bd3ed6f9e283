package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Permutes dimensions: output dimension i is input dimension {@code perm[i]}. */
public record Transpose(List<Integer> perm) implements Op {
    public Transpose {
        perm = List.copyOf(perm);
    }

    /** Swaps two axes of a tensor of the given rank. */
    public static Transpose swap(int rank, int axis0, int axis1) {
        int a = axis0 < 0 ? axis0 + rank : axis0, b = axis1 < 0 ? axis1 + rank : axis1;
        if (a < 0 || a >= rank || b < 0 || b >= rank)
            throw ShapeError.attribute("axes " + axis0 + " and " + axis1 + " are out of range for rank " + rank);
        List<Integer> p = new ArrayList<>();
        for (int i = 0; i < rank; i++) p.add(i == a ? b : i == b ? a : i);
        return new Transpose(p);
    }

    public String kind() { return "transpose"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 1);
        Node x = inputs.get(0);
        int r = x.type().rank();
        boolean[] seen = new boolean[r];
        if (perm.size() != r) throw ShapeError.attribute("permutation " + Rules.ints(perm) + " has " + perm.size()
                + " axes; '" + x.name() + "' " + x.type() + " has " + r);
        List<Dim> out = new ArrayList<>();
        for (int p : perm) {
            if (p < 0 || p >= r || seen[p]) throw ShapeError.attribute("permutation " + Rules.ints(perm) + " is not a permutation of 0.." + (r - 1));
            seen[p] = true;
            out.add(x.type().dims().get(p));
        }
        return x.type().withDims(out);
    }

    public String attributes() { return "perm=" + Rules.ints(perm); }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        List<Integer> inverse = new ArrayList<>(perm);
        for (int i = 0; i < perm.size(); i++) inverse.set(perm.get(i), i);
        return List.of(g.add("dx", new Transpose(inverse), grad));
    }
}
