package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import dev.mithril.processor.Program;

/**
 * Merges nodes that compute the same thing: the same pure op (ops are records, so equal attributes
 * mean equal ops) on the same inputs. The first node in program order is kept; later uses and
 * outputs read it. Inputs and parameters are never merged.
 */
public final class EliminateCommonSubexpressions implements Pass {
    public String name() { return "cse"; }

    public Program apply(Program p) {
        Graph g = p.graph();
        GraphCopy copy = new GraphCopy(g);
        Map<List<Object>, Node> seen = new HashMap<>();
        for (Node n : g.nodes()) {
            if (!n.op().isPure()) {
                copy.copy(n);
                continue;
            }
            List<Object> key = new ArrayList<>();
            key.add(n.op());
            for (Node in : n.inputs()) key.add(new Identity(copy.get(in)));
            Node earlier = seen.get(key);
            if (earlier != null) copy.alias(n, earlier);
            else seen.put(key, copy.copy(n));
        }
        return p.withGraph(copy.build());
    }

    /** Compares nodes by identity inside a key (nodes of one graph have unique names anyway). */
    private record Identity(Node node) {
        @Override public boolean equals(Object o) { return o instanceof Identity i && i.node == node; }
        @Override public int hashCode() { return System.identityHashCode(node); }
    }
}
