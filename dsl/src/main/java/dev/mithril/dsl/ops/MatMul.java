package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Matrix product with {@code torch.matmul} semantics: batched over broadcast leading dimensions; rank-1 operands are vectors. */
public record MatMul() implements Op {
    public String kind() { return "matmul"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 2);
        Node a = inputs.get(0), b = inputs.get(1);
        Rules.floating(a);
        Rules.sameDtype(a, b);
        List<Dim> x = a.type().dims(), y = b.type().dims();
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
}
