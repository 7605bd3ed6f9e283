package dev.mithril.processor;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.Level;
import dev.mithril.processor.ops.FusedElementwise;
import dev.mithril.processor.ops.FusedLinear;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the compiler knows about a model at one point of a level's pipeline: the graph (rewritten by the
 * passes: folded, deduplicated, fused), the dimensions bound at compile time, and the decisions passes
 * recorded for renderers: the {@link BufferPlan} and which weights to pre-pack. Immutable; each pass
 * returns a new program. A renderer reads only this, so it never needs to know which level it renders.
 *
 * @param graph         the model as the passes so far left it
 * @param level         the level being compiled
 * @param dims          dimension sizes bound at compile time (e.g. {@code batch=32}); empty for none
 * @param passes        names of the passes applied so far, in order
 * @param buffers       the buffer plan, or null when every node gets a fresh tensor
 * @param packedWeights parameter nodes to keep pre-packed for the matrix-product kernel
 * @param training      for a training graph (forward and backward), what differentiation added; null for inference
 */
public record Program(Graph graph, Level level, Map<String, Integer> dims, List<String> passes, BufferPlan buffers,
                      Set<String> packedWeights, Training training) {
    /** An inference program (no backward pass). */
    public Program(Graph graph, Level level, Map<String, Integer> dims, List<String> passes, BufferPlan buffers, Set<String> packedWeights) {
        this(graph, level, dims, passes, buffers, packedWeights, null);
    }

    public Program {
        dims = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(dims));
        passes = List.copyOf(passes);
        packedWeights = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(packedWeights));
    }

    /** A program before any pass. */
    public static Program of(Graph graph, Level level, Map<String, Integer> dims) {
        return new Program(graph, level, new java.util.TreeMap<>(dims), List.of(), null, Set.of());
    }

    public Program withGraph(Graph g) { return new Program(g, level, dims, passes, buffers, packedWeights, training); }

    public Program withBuffers(BufferPlan b) { return new Program(graph, level, dims, passes, b, packedWeights, training); }

    public Program withPackedWeights(Set<String> w) { return new Program(graph, level, dims, passes, buffers, w, training); }

    /** This program as a training program: {@code g} holds forward and backward, described by {@code t}. */
    public Program withTraining(Graph g, Training t) { return new Program(g, level, dims, passes, buffers, packedWeights, t); }

    /** Records that pass {@code name} ran. */
    public Program after(String name) {
        List<String> p = new ArrayList<>(passes);
        p.add(name);
        return new Program(graph, level, dims, p, buffers, packedWeights, training);
    }

    /** The fused nodes (matrix-product epilogues and elementwise loops), in program order. */
    public List<Node> fusions() {
        return graph.nodes().stream().filter(n -> n.op() instanceof FusedLinear || n.op() instanceof FusedElementwise).toList();
    }

    /** Deterministic text: the passes, bound dims, graph, buffer plan and packed weights. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append("level ").append(level.name().toLowerCase()).append('\n');
        sb.append("passes: ").append(String.join(", ", passes)).append('\n');
        if (!dims.isEmpty()) sb.append("dims: ").append(dims).append('\n');
        sb.append(graph.toText());
        if (buffers != null) sb.append("buffers {\n").append(buffers.toText()).append("}\n");
        if (!packedWeights.isEmpty()) sb.append("packed: ").append(String.join(", ", packedWeights)).append('\n');
        if (training != null) sb.append(training.toText());
        return sb.toString();
    }

    @Override public String toString() { return toText(); }
}
