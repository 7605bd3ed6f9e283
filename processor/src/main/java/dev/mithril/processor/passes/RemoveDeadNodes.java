package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Input;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.processor.Program;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Drops nodes no output depends on. Inputs and parameters stay even when unused: they are the model's
 * signature and its state (what {@code load} and {@code save} see).
 */
public final class RemoveDeadNodes implements Pass {
    public String name() { return "remove-dead-nodes"; }

    public Program apply(Program p) {
        Graph g = p.graph();
        Set<Node> live = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Node> work = new ArrayDeque<>(g.outputs().values());
        while (!work.isEmpty()) {
            Node n = work.pop();
            if (live.add(n)) work.addAll(n.inputs());
        }
        GraphCopy copy = new GraphCopy(g);
        for (Node n : g.nodes()) {
            if (live.contains(n) || n.op() instanceof Input || n.op() instanceof Parameter) copy.copy(n);
        }
        return p.withGraph(copy.build());
    }
}
