package dev.mithril.processor.backend.java;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.processor.backend.Identifiers;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Java identifiers for one generated class: nodes keep their own names ({@code h1}, {@code layers_0_weight}),
 * made unique against each other, keywords and the names the generated code itself uses.
 */
final class JavaNames extends Identifiers {
    private static final Set<String> RESERVED = Set.of("inputs", "result", "outputs", "seed", "model", "SPECIES", "i",
            "forward", "evaluate", "plan", "create", "repack", "shapeError", "tensors", "prefix", "Outputs");
    private final Map<String, String> nodes = new HashMap<>();

    JavaNames(List<Node> graphNodes, List<String> dimNames) {
        super(RESERVED, dimNames);
        for (Node n : graphNodes) nodes.put(n.name(), unique(n.javaName()));
    }

    /**
     * Names for a second graph rendered into the same class (the training graph): nodes {@code shared}
     * says are the same as {@code parent}'s (parameters, constants) keep its names; every other node gets
     * a fresh name, {@code <name>Train} where the plain one is taken.
     */
    JavaNames(JavaNames parent, List<Node> graphNodes, java.util.function.Predicate<Node> shared) {
        super(parent);
        for (Node n : graphNodes) {
            if (shared.test(n) && parent.nodes.containsKey(n.name())) nodes.put(n.name(), parent.nodes.get(n.name()));
            else nodes.put(n.name(), unique(isTaken(n.javaName()) ? n.javaName() + "Train" : n.javaName()));
        }
    }

    String of(Node n) { return nodes.get(n.name()); }

    String of(String nodeName) { return nodes.get(nodeName); }

    /** Comma-separated sizes of {@code dims}, for {@code Tensor.of(data, ...)} and {@code reshape(...)}. */
    String codes(List<Dim> dims) {
        return String.join(", ", dims.stream().map(this::code).toList());
    }
}
