package dev.mithril.processor.backend.java;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.lang.model.SourceVersion;

/**
 * Java identifiers for one generated class: nodes keep their own names ({@code h1}, {@code layers_0_weight}),
 * made unique against each other, keywords and the names the generated code itself uses.
 */
final class JavaNames {
    private static final Set<String> RESERVED = Set.of("inputs", "result", "outputs", "seed", "model", "SPECIES", "i",
            "forward", "evaluate", "plan", "create", "repack", "shapeError", "tensors", "prefix", "Outputs");
    private final Set<String> used = new HashSet<>(RESERVED);
    private final Map<String, String> nodes = new HashMap<>();
    private final Map<String, String> dims = new HashMap<>();

    JavaNames(List<Node> graphNodes, List<String> dimNames) {
        for (String d : dimNames) dims.put(d, unique(d));
        for (Node n : graphNodes) nodes.put(n.name(), unique(n.javaName()));
    }

    /**
     * Names for a second graph rendered into the same class (the training graph): nodes {@code shared}
     * says are the same as {@code parent}'s (parameters, constants) keep its names; every other node gets
     * a fresh name, {@code <name>Train} where the plain one is taken.
     */
    JavaNames(JavaNames parent, List<Node> graphNodes, java.util.function.Predicate<Node> shared) {
        used.addAll(parent.used);
        dims.putAll(parent.dims);
        for (Node n : graphNodes) {
            if (shared.test(n) && parent.nodes.containsKey(n.name())) nodes.put(n.name(), parent.nodes.get(n.name()));
            else nodes.put(n.name(), unique(used.contains(n.javaName()) ? n.javaName() + "Train" : n.javaName()));
        }
    }

    /** A fresh identifier based on {@code base}. */
    String unique(String base) {
        String b = base.replaceAll("[^A-Za-z0-9_]", "_");
        if (b.isEmpty() || !Character.isJavaIdentifierStart(b.charAt(0))) b = "_" + b;
        String s = b;
        for (int k = 2; used.contains(s) || !SourceVersion.isName(s); k++) s = b + "_" + k;
        used.add(s);
        return s;
    }

    String of(Node n) { return nodes.get(n.name()); }

    String of(String nodeName) { return nodes.get(nodeName); }

    /** The local holding a named dimension's size. */
    String dim(String symbol) {
        String s = dims.get(symbol);
        if (s == null) throw new IllegalStateException("dimension '" + symbol + "' is not known from the model's inputs");
        return s;
    }

    /** Java code for a dimension's size: a literal when fixed, else a product of locals ({@code 128 * batch}). */
    String code(Dim d) {
        if (d.isFixed()) return Long.toString(d.value());
        StringBuilder sb = new StringBuilder();
        if (d.coefficient() != 1) sb.append(d.coefficient());
        for (String s : d.symbols()) sb.append(sb.isEmpty() ? "" : " * ").append(dim(s));
        return sb.toString();
    }

    /** Comma-separated sizes of {@code dims}, for {@code Tensor.of(data, ...)} and {@code reshape(...)}. */
    String codes(List<Dim> dims) {
        return String.join(", ", dims.stream().map(this::code).toList());
    }

    /** A Java float literal that reads back to exactly {@code v}. */
    static String literal(float v) {
        if (Float.isNaN(v)) return "Float.NaN";
        if (Float.isInfinite(v)) return v > 0 ? "Float.POSITIVE_INFINITY" : "Float.NEGATIVE_INFINITY";
        return Float.toString(v) + "f";
    }
}
