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
 * operands are vectors. With {@code transA} / {@code transB} (rank-2 operands only) an operand is read
 * transposed, as BLAS does, so backward passes multiply by Aᵀ or Bᵀ without materializing it.
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
        if (transA || transB) {
            if (x.size() != 2 || y.size() != 2) throw ShapeError.mismatch("with transposed operands needs rank-2 operands; got '"
                    + a.name() + "' " + a.type().shapeString() + " and '" + b.name() + "' " + b.type().shapeString());
            Dim m = x.get(transA ? 1 : 0), k1 = x.get(transA ? 0 : 1), k2 = y.get(transB ? 1 : 0), n = y.get(transB ? 0 : 1);
            if (!k1.equals(k2)) throw ShapeError.mismatch("cannot multiply '" + a.name() + "' " + a.type().shapeString()
                    + (transA ? "ᵀ" : "") + " by '" + b.name() + "' " + b.type().shapeString() + (transB ? "ᵀ" : "")
                    + ": inner dimensions " + k1 + " and " + k2 + " differ");
            return a.type().withDims(List.of(m, n));
        }
        if (x.isEmpty() || y.isEmpty()) throw ShapeError.mismatch("needs operands of rank 1 or more; got '" + a.name() + "' "
                + a.type().shapeString() + " and '" + b.name() + "' " + b.type().shapeString());
        Dim k1 = x.get(x.size() - 1), k2 = y.size() == 1 ? y.get(0) : y.get(y.size() - 2);
        if (!k1.equals(k2)) throw ShapeError.mismatch("cannot multiply '" + a.name() + "' " + a.type().shapeString() + " by '"
                + b.name() + "' " + b.type().shapeString() + ": inner dimensions " + k1 + " and " + k2 + " differ");
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
        if (x.size() >= 2) out.add(x.get(x.size() - 2));
        if (y.size() >= 2) out.add(y.get(y.size() - 1));
        return a.type().withDims(out);
    }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        Node a = node.input(0), b = node.input(1);
        if (transA || transB || (a.type().rank() == 2 && b.type().rank() == 2)) {
            // C = op(A)·op(B); each case picks the transposed product that gives dA and dB in storage layout.
            if (!transA && !transB) return List.of(g.add("da", new MatMul(false, true), grad, b), g.add("db", new MatMul(true, false), a, grad));
            if (!transA) return List.of(g.add("da", new MatMul(), grad, b), g.add("db", new MatMul(true, false), grad, a));
            if (!transB) return List.of(g.add("da", new MatMul(false, true), b, grad), g.add("db", new MatMul(), a, grad));
            return List.of(g.add("da", new MatMul(true, true), b, grad), g.add("db", new MatMul(true, true), grad, a));
        }
        // Batched or vector operands: promote vectors to matrices, use swapped-axes products, then undo
        // broadcasting of the batch dimensions and the promotion.
        Node a2 = a.type().rank() == 1 ? g.reshape(a, List.of(Dim.of(1), a.type().dim(0))) : a;
        Node b2 = b.type().rank() == 1 ? g.reshape(b, List.of(b.type().dim(0), Dim.of(1))) : b;
        List<Dim> gd = new ArrayList<>(node.type().dims());
        if (a.type().rank() == 1) gd.add(gd.size() - (b.type().rank() == 1 ? 0 : 1), Dim.of(1));
        if (b.type().rank() == 1) gd.add(Dim.of(1));
        Node g2 = g.reshape(grad, gd);
        Node da = g.add("da", new MatMul(), g2, swapLast(g, b2));
        Node db = g.add("db", new MatMul(), swapLast(g, a2), g2);
        return List.of(g.reshape(g.sumTo(da, a2), a.type().dims()), g.reshape(g.sumTo(db, b2), b.type().dims()));
    }

    private static Node swapLast(GradientBuilder g, Node x) {
        int r = x.type().rank();
        return g.add("t", Transpose.swap(r, r - 2, r - 1), x);
    }
}
