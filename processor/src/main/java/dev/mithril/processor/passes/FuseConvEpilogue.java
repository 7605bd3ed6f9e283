package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Add;
import dev.mithril.dsl.ops.Conv2d;
import dev.mithril.processor.Program;
import dev.mithril.processor.ops.FusedConv2d;
import dev.mithril.processor.ops.FusedLinear;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuses the tail of a residual block into the convolution before it: a same-shaped residual add that is the
 * convolution's only reader, then an activation that is the only reader of that, become one {@link FusedConv2d}
 * named after the last node absorbed, whose kernel adds bias and residual and applies the activation as it stores
 * each output ({@code relu(conv(x) + identity)} in one pass instead of three). Runs after {@link FoldBatchNorm},
 * so {@code conv, batch_norm, add, relu} becomes a single node. Training programs are left alone: their backward
 * reads the intermediate values.
 */
public final class FuseConvEpilogue implements Pass {
    public String name() { return "fuse-conv-epilogue"; }

    /** The nodes one fusion replaces, in program order: the convolution first, the node it is named after last. */
    private record Chain(List<Node> nodes, Node residual, String activation) {
        Node last() { return nodes.getLast(); }
    }

    /** Inference programs with a {@code Conv2d} (training programs keep every node backward reads). */
    @Override public boolean appliesTo(Program p) {
        return p.training() == null && p.graph().nodes().stream().anyMatch(n -> n.op() instanceof Conv2d || n.op() instanceof FusedConv2d);
    }

    public Program apply(Program p) {
        if (!appliesTo(p)) return p;
        Graph g = p.graph();
        Map<Node, List<Node>> users = g.users();
        Map<Node, Chain> chainEndingAt = new IdentityHashMap<>();
        java.util.Set<Node> absorbed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : g.nodes()) {
            Chain c = chain(g, users, n);
            // Two convolutions summed by one add: the first claims the add, the second is its residual.
            if (c == null || c.nodes().stream().anyMatch(x -> absorbed.contains(x) || chainEndingAt.containsKey(x))) continue;
            chainEndingAt.put(c.last(), c);
            absorbed.addAll(c.nodes().subList(0, c.nodes().size() - 1));
        }
        if (chainEndingAt.isEmpty()) return p;
        GraphCopy copy = new GraphCopy(g);
        for (Node n : g.nodes()) {
            if (absorbed.contains(n)) continue;
            Chain c = chainEndingAt.get(n);
            if (c == null) {
                copy.copy(n);
                continue;
            }
            Node conv = c.nodes().getFirst();
            FusedConv2d base = conv.op() instanceof FusedConv2d f ? f
                    : new FusedConv2d((Conv2d) conv.op(), conv.inputs().size() == 3, null, false, null, List.of());
            List<String> names = new ArrayList<>(base.absorbed());
            for (Node a : c.nodes().subList(0, c.nodes().size() - 1)) names.add(a.name());
            List<Node> inputs = new ArrayList<>(conv.inputs());
            if (c.residual() != null) inputs.add(c.residual());
            copy.add(n, n.name(), new FusedConv2d(base.conv(), base.bias(), base.norm(), c.residual() != null, c.activation(), names), inputs);
        }
        return p.withGraph(copy.build());
    }

    /** The fusion starting at convolution {@code conv}, or null when nothing follows it that can be fused. */
    private static Chain chain(Graph g, Map<Node, List<Node>> users, Node conv) {
        boolean plain = conv.op() instanceof Conv2d;
        boolean folded = conv.op() instanceof FusedConv2d f && !f.residual() && f.activation() == null;
        if (!(plain || folded) || conv.type().dtype() != DType.F32) return null;
        List<Node> nodes = new ArrayList<>(List.of(conv));
        Node residual = null;
        Node next = soleReader(g, users, conv);
        if (next != null && next.op() instanceof Add) {
            Node other = next.input(0) == conv ? next.input(1) : next.input(0);
            if (other != conv && other.type().equals(conv.type()) && next.type().equals(conv.type())) {
                residual = other;
                nodes.add(next);
                next = soleReader(g, users, next);
            }
        }
        String activation = null;
        if (next != null && next.inputs().size() == 1 && FusedLinear.ACTIVATIONS.contains(next.op().kind())) {
            activation = next.op().kind();
            nodes.add(next);
        }
        return nodes.size() == 1 ? null : new Chain(nodes, residual, activation);
    }

    /** The only node reading {@code n}, or null when there are several or {@code n} is an output (then it must be kept). */
    private static Node soleReader(Graph g, Map<Node, List<Node>> users, Node n) {
        List<Node> u = users.get(n);
        return u.size() == 1 && !g.outputs().containsValue(n) ? u.getFirst() : null;
    }
}
