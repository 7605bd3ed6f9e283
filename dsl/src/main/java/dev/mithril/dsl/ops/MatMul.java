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
 * Matrix product with {@code torch.matmul} semantics: batched over broadcast leading dimensions; rank-1
 * operands are vectors. With {@code transA} / {@code transB} (operands of rank 2 or more) an operand's last two
 * axes are read transposed, as BLAS does, so backward passes multiply by Aᵀ or Bᵀ without materializing it.
 */
public record MatMul(boolean transA, boolean transB) implements Op {
    /** The plain product {@code a · b}. */
    public MatMul() { this(false, false); }

    public String kind() { return "matmul"; }

    public String attributes() {
        return transA || transB ? "transA=" + transA + ", transB=" + transB : "";
    }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 2);
        Node a = inputs.get(0), b = inputs.get(1);
        Rules.floating(a);
        Rules.sameDtype(a, b);
        List<Dim> x = a.type().dims(), y = b.type().dims();
        if ((transA || transB) && (x.size() < 2 || y.size() < 2)) throw ShapeError.mismatch("with transposed operands needs operands of rank 2 or more; got '"
                + a.name() + "' " + a.type().shapeString() + " and '" + b.name() + "' " + b.type().shapeString());
        if (x.isEmpty() || y.isEmpty()) throw ShapeError.mismatch("needs operands of rank 1 or more; got '" + a.name() + "' "
                + a.type().shapeString() + " and '" + b.name() + "' " + b.type().shapeString());
        Dim k1 = x.get(x.size() - (transA ? 2 : 1)), k2 = y.size() == 1 ? y.get(0) : y.get(y.size() - (transB ? 1 : 2));
        if (!k1.equals(k2)) throw ShapeError.mismatch("cannot multiply '" + a.name() + "' " + a.type().shapeString() + (transA ? "ᵀ" : "")
                + " by '" + b.name() + "' " + b.type().shapeString() + (transB ? "ᵀ" : "") + ": inner dimensions " + k1 + " and " + k2 + " differ");
        List<Dim> batchA = x.size() > 2 ? x.subList(0, x.size() - 2) : List.of();
        List<Dim> batchB = y.size() > 2 ? y.subList(0, y.size() - 2) : List.of();
        int rank = Math.max(batchA.size(), batchB.size());
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            Dim da = i < rank - batchA.size() ? Dim.of(1) : batchA.get(i - (rank - batchA.size()));
            Dim db = i < rank - batchB.size() ? Dim.of(1) : batchB.get(i - (rank - batchB.size()));
            if (da.equals(db) || Rules.isOne(db)) out.add(da);
            else if (Rules.isOne(da)) out.add(db);
            else throw ShapeError.mismatch("cannot broadcast the batch dimensions of '" + a.name() + "' " + a.type().shapeString()
                    + " and '" + b.name() + "' " + b.type().shapeString());
        }
        if (x.size() >= 2) out.add(x.get(x.size() - (transA ? 1 : 2)));
        if (y.size() >= 2) out.add(y.get(y.size() - (transB ? 2 : 1)));
        return a.type().withDims(out);
    }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        Node a = node.input(0), b = node.input(1);
        // Vectors become matrices ([1, k] and [k, 1]) and the gradient gains their unit axes; nothing else is reshaped.
        Node a2 = a.type().rank() == 1 ? g.reshape(a, List.of(Dim.of(1), a.type().dim(0))) : a;
        Node b2 = b.type().rank() == 1 ? g.reshape(b, List.of(b.type().dim(0), Dim.of(1))) : b;
        List<Dim> gd = new ArrayList<>(node.type().dims());
        if (a.type().rank() == 1) gd.add(gd.size() - (b.type().rank() == 1 ? 0 : 1), Dim.of(1));
        if (b.type().rank() == 1) gd.add(Dim.of(1));
        Node g2 = gd.equals(node.type().dims()) ? grad : g.reshape(grad, gd);
        // C = op(A)·op(B); each case picks the transposed product that gives dA and dB in storage layout, batched or not.
        Node da, db;
        if (!transA && !transB) {
            da = g.add("da", new MatMul(false, true), g2, b2);
            db = g.add("db", new MatMul(true, false), a2, g2);
        } else if (!transA) {
            da = g.add("da", new MatMul(), g2, b2);
            db = g.add("db", new MatMul(true, false), g2, a2);
        } else if (!transB) {
            da = g.add("da", new MatMul(false, true), b2, g2);
            db = g.add("db", new MatMul(), a2, g2);
        } else {
            da = g.add("da", new MatMul(true, true), b2, g2);
            db = g.add("db", new MatMul(true, true), g2, a2);
        }
        // Batch dimensions that broadcast sum back to the operand's; vectors drop their unit axis.
        return List.of(back(g, da, a2, a), back(g, db, b2, b));
    }

    private static Node back(GradientBuilder g, Node d, Node promoted, Node original) {
        Node summed = d.type().dims().equals(promoted.type().dims()) ? d : g.sumTo(d, promoted);
        return summed.type().dims().equals(original.type().dims()) ? summed : g.reshape(summed, original.type().dims());
    }
}
