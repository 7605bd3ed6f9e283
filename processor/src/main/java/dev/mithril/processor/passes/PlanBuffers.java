package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.dsl.ops.Flatten;
import dev.mithril.dsl.ops.Input;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.dsl.ops.Reshape;
import dev.mithril.processor.BufferPlan;
import dev.mithril.processor.Program;
import dev.mithril.processor.ops.Access;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Assigns every computed node a buffer, allocated once and reused by liveness: a buffer whose last
 * reader has run holds the next value of the same element count (exact sizes: a tensor is a view of a
 * whole array). An elementwise node whose operand dies at it and has its shape writes in place.
 * Reshapes are views of their operand's buffer and keep it alive. Outputs live to the end of the call.
 */
public final class PlanBuffers implements Pass {
    public String name() { return "plan-buffers"; }

    public Program apply(Program p) {
        Graph g = p.graph();
        List<Node> nodes = g.nodes();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) index.put(nodes.get(i).name(), i);
        Map<String, Integer> lastUse = new HashMap<>();
        for (Node n : nodes) for (Node in : n.inputs()) lastUse.merge(in.name(), index.get(n.name()), Math::max);
        for (Node out : g.outputs().values()) lastUse.put(out.name(), Integer.MAX_VALUE);

        List<Dim> sizes = new ArrayList<>();
        List<Integer> bufferEnd = new ArrayList<>(); // last step that reads each buffer
        Map<String, Integer> bufferOf = new LinkedHashMap<>();
        Map<String, String> inPlace = new LinkedHashMap<>();
        Map<String, String> views = new LinkedHashMap<>();
        for (int t = 0; t < nodes.size(); t++) {
            Node n = nodes.get(t);
            if (!computed(n)) continue;
            int end = lastUse.getOrDefault(n.name(), t);
            if (n.op() instanceof Reshape || n.op() instanceof Flatten) {
                Node src = n.input(0);
                Integer b = bufferOf.get(src.name());
                if (b != null) {
                    bufferOf.put(n.name(), b);
                    views.put(n.name(), src.name());
                    bufferEnd.set(b, Math.max(bufferEnd.get(b), end));
                }
                continue; // a view of an input, parameter or constant is made per call
            }
            Dim size = n.type().elements();
            int chosen = -1;
            if (n.op().isElementwise()) {
                for (Node in : n.inputs()) {
                    Integer b = bufferOf.get(in.name());
                    if (b != null && !views.containsKey(in.name()) && bufferEnd.get(b) == t && sizes.get(b).equals(size)
                            && Access.of(in.type().dims(), n.type().dims()) == Access.FULL) {
                        chosen = b;
                        inPlace.put(n.name(), in.name());
                        break;
                    }
                }
            }
            if (chosen < 0) {
                for (int b = 0; b < sizes.size(); b++) {
                    if (bufferEnd.get(b) < t && sizes.get(b).equals(size)) { chosen = b; break; }
                }
            }
            if (chosen < 0) {
                sizes.add(size);
                bufferEnd.add(end);
                chosen = sizes.size() - 1;
            }
            bufferOf.put(n.name(), chosen);
            bufferEnd.set(chosen, Math.max(bufferEnd.get(chosen), end));
        }
        return p.withBuffers(new BufferPlan(sizes, bufferOf, inPlace, views));
    }

    /** Whether a node computes a value per call (as opposed to an input, a parameter or a constant). */
    static boolean computed(Node n) {
        return !(n.op() instanceof Input || n.op() instanceof Parameter || n.op() instanceof Constant);
    }
}
