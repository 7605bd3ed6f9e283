package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.BatchNorm;
import dev.mithril.dsl.ops.Conv2d;
import dev.mithril.processor.Program;
import dev.mithril.processor.ops.FusedConv2d;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Folds an inference batch norm into the convolution it is the only reader of: in inference a batch norm is a
 * per-channel affine map, so scaling the convolution's weight and shifting its bias gives the same result with
 * no pass over the activations. The node becomes a {@link FusedConv2d} named after the batch norm, whose folded
 * weight and bias generated code computes when parameters change. Training programs keep their batch norms
 * (batch statistics are not known ahead), so this pass leaves them alone.
 */
public final class FoldBatchNorm implements Pass {
    public String name() { return "fold-batch-norm"; }

    /** Inference programs with a {@code BatchNorm} (training programs keep every node backward reads). */
    @Override public boolean appliesTo(Program p) {
        return p.training() == null && p.graph().nodes().stream().anyMatch(n -> n.op() instanceof BatchNorm);
    }

    public Program apply(Program p) {
        if (!appliesTo(p)) return p;
        Graph g = p.graph();
        Map<Node, List<Node>> users = g.users();
        Map<Node, Node> convOf = new IdentityHashMap<>(); // batch norm -> the convolution folded into it
        for (Node n : g.nodes()) {
            if (!(n.op() instanceof BatchNorm) || n.type().dtype() != DType.F32) continue;
            Node conv = n.input(0);
            if (conv.op() instanceof Conv2d && users.get(conv).size() == 1 && !g.outputs().containsValue(conv)) convOf.put(n, conv);
        }
        if (convOf.isEmpty()) return p;
        java.util.Set<Node> folded = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        folded.addAll(convOf.values());
        GraphCopy copy = new GraphCopy(g);
        for (Node n : g.nodes()) {
            if (folded.contains(n)) continue;
            Node conv = convOf.get(n);
            if (conv == null) {
                copy.copy(n);
                continue;
            }
            List<Node> inputs = new ArrayList<>(conv.inputs());
            inputs.addAll(n.inputs().subList(1, 6));
            FusedConv2d op = new FusedConv2d((Conv2d) conv.op(), conv.inputs().size() == 3, (BatchNorm) n.op(), false, null, List.of(conv.name()));
            copy.add(n, n.name(), op, inputs);
        }
        return p.withGraph(copy.build());
    }
}
