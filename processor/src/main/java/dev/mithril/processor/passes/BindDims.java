package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Input;
import dev.mithril.dsl.ops.Reshape;
import dev.mithril.processor.Program;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Replaces dimension names bound at compile time ({@code batch=32}) by their sizes, in the inputs and
 * in reshape targets, and infers every type again: later passes and renderers then see constant shapes
 * (constant loop bounds, buffers sized at compile time). Does nothing when no dimension is bound.
 */
public final class BindDims implements Pass {
    public String name() { return "bind-dims"; }

    public Program apply(Program p) {
        Map<String, Integer> dims = p.dims();
        if (dims.isEmpty()) return p;
        Graph g = p.graph();
        List<String> known = g.dimensionNames();
        List<String> unknown = new ArrayList<>();
        for (var e : dims.entrySet()) {
            if (!known.contains(e.getKey())) unknown.add(e.getKey());
            if (e.getValue() == null || e.getValue() < 0)
                throw new IllegalArgumentException("dimension '" + e.getKey() + "' of model '" + g.name() + "' is bound to " + e.getValue() + "; sizes must be 0 or more");
        }
        if (!unknown.isEmpty()) throw new IllegalArgumentException("model '" + g.name() + "' has no dimension named " + unknown
                + "; its dimensions are " + known);
        GraphCopy copy = new GraphCopy(g);
        for (Node n : g.nodes()) {
            switch (n.op()) {
                case Input in -> copy.add(n, n.name(), new Input(in.type().bind(dims)), List.of());
                case Reshape r -> copy.add(n, n.name(), new Reshape(r.dims().stream().map(d -> bind(d, dims)).toList()), n.inputs());
                default -> copy.copy(n);
            }
        }
        return p.withGraph(copy.build());
    }

    private static String bind(String dim, Map<String, Integer> dims) {
        return dim.strip().equals("-1") ? dim : Dim.parse(dim).bind(dims).toString();
    }
}
