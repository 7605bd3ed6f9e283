package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Linear;
import dev.mithril.processor.Program;
import dev.mithril.processor.ops.FusedLinear;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Folds an activation that is the only reader of a linear layer into the layer: one {@link FusedLinear}
 * node, named after the activation, whose kernel adds the bias and applies the activation while the
 * product's tile is still in registers, instead of two more passes over the output.
 */
public final class FuseLinearEpilogue implements Pass {
    public String name() { return "fuse-linear-epilogue"; }

    public Program apply(Program p) {
        Graph g = p.graph();
        Map<Node, List<Node>> users = g.users();
        Map<Node, Node> absorbedBy = new IdentityHashMap<>(); // linear -> its activation
        for (Node n : g.nodes()) {
            if (!(n.op() instanceof Linear)) continue;
            List<Node> u = users.get(n);
            if (u.size() != 1 || g.outputs().containsValue(n)) continue;
            Node act = u.get(0);
            // The float64 GEMM has no GELU epilogue: a float64 GELU stays a node of its own.
            boolean f64Gelu = n.type().dtype() == dev.mithril.runtime.DType.F64 && act.op().kind().equals("gelu");
            if (FusedLinear.ACTIVATIONS.contains(act.op().kind()) && act.inputs().size() == 1 && !f64Gelu) absorbedBy.put(n, act);
        }
        Map<Node, Node> linearOf = new IdentityHashMap<>();
        absorbedBy.forEach((lin, act) -> linearOf.put(act, lin));
        GraphCopy copy = new GraphCopy(g);
        for (Node n : g.nodes()) {
            if (absorbedBy.containsKey(n)) continue;
            Node lin = linearOf.get(n);
            if (lin == null) copy.copy(n);
            else copy.add(n, n.name(), new FusedLinear(n.op().kind(), lin.name()), lin.inputs());
        }
        return p.withGraph(copy.build());
    }
}
