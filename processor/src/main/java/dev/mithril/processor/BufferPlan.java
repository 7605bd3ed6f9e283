package dev.mithril.processor;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where each computed node's value lives: in one of a fixed set of buffers, allocated once (again only
 * when bound dimensions change) and shared by nodes whose lifetimes do not overlap. A buffer is as large
 * as its largest user; each user views its first elements.
 *
 * @param sizes     element count of each buffer (the largest of its users), symbolic where the shape is
 * @param dtypes    element type of each buffer (F32 or F64)
 * @param bufferOf  node name to the buffer holding its value (views included)
 * @param inPlace   nodes written over one of their own inputs, to the input they overwrite
 * @param views     nodes that are views (reshapes) of another node's storage, to that node
 */
public record BufferPlan(List<Dim> sizes, List<DType> dtypes, Map<String, Integer> bufferOf, Map<String, String> inPlace,
                         Map<String, String> views) {
    public BufferPlan {
        sizes = List.copyOf(sizes);
        dtypes = List.copyOf(dtypes);
        if (dtypes.size() != sizes.size()) throw new IllegalArgumentException("BufferPlan: " + sizes.size() + " sizes but " + dtypes.size() + " dtypes");
        bufferOf = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(bufferOf));
        inPlace = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inPlace));
        views = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(views));
    }

    /** How many buffers the plan allocates. */
    public int bufferCount() { return sizes.size(); }

    /** Whether {@code node} lives in a planned buffer (rather than being an input, a parameter or a per-call view). */
    public boolean isPlanned(String node) { return bufferOf.containsKey(node); }

    /** Nodes that own (write) buffer {@code b}, in program order. */
    public List<String> writers(int b) {
        List<String> out = new ArrayList<>();
        for (var e : bufferOf.entrySet()) if (e.getValue() == b && !views.containsKey(e.getKey())) out.add(e.getKey());
        return out;
    }

    /** Node names in {@code names} that are planned. */
    public boolean allPlanned(Set<String> names) { return bufferOf.keySet().containsAll(names); }

    /** One line per buffer: its size and the nodes that use it in turn. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        for (int b = 0; b < sizes.size(); b++) {
            sb.append("  buffer ").append(b).append(" [").append(sizes.get(b)).append(dtypes.get(b) == DType.F32 ? "" : " " + dtypes.get(b))
                    .append("]: ");
            List<String> users = new ArrayList<>();
            for (var e : bufferOf.entrySet()) {
                if (e.getValue() != b) continue;
                String n = e.getKey();
                if (inPlace.containsKey(n)) n += " (in place of " + inPlace.get(n) + ")";
                else if (views.containsKey(n)) n += " (view of " + views.get(n) + ")";
                users.add(n);
            }
            sb.append(String.join(", ", users)).append('\n');
        }
        return sb.toString();
    }
}
