package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rewrite mechanism passes share: copies a graph node by node into a new one, letting a pass drop,
 * replace or re-type nodes. Types are inferred again as nodes are added, so a rewrite that breaks a
 * shape fails here, naming the node.
 */
final class GraphCopy {
    private final Graph source;
    private final Graph.Builder target;
    private final Map<Node, Node> mapped = new IdentityHashMap<>();

    GraphCopy(Graph source) {
        this.source = source;
        this.target = Graph.builder(source.name());
    }

    /** The new node standing for {@code old} (which must have been copied or replaced already). */
    Node get(Node old) {
        Node n = mapped.get(old);
        if (n == null) throw new IllegalStateException("node '" + old.name() + "' is used before it was copied");
        return n;
    }

    boolean has(Node old) { return mapped.containsKey(old); }

    /** Copies {@code old} unchanged (with its inputs mapped). */
    Node copy(Node old) { return add(old, old.name(), old.op(), old.inputs()); }

    /** Adds a node standing for {@code old} with another op and inputs (old nodes, mapped here). */
    Node add(Node old, String name, Op op, List<Node> oldInputs) {
        Node n = target.add(name, op, oldInputs.stream().map(this::get).toList(), old.origin());
        mapped.put(old, n);
        return n;
    }

    /** Makes {@code old} stand for an already added node (used by CSE and fusion). */
    void alias(Node old, Node replacement) { mapped.put(old, replacement); }

    /** Finishes the graph; outputs follow their nodes' replacements. */
    Graph build() {
        for (var e : source.outputs().entrySet()) target.output(e.getKey(), get(e.getValue()));
        return target.build();
    }
}
