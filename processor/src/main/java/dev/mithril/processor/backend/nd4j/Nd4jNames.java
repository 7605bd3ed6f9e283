package dev.mithril.processor.backend.nd4j;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Input;
import dev.mithril.dsl.ops.Parameter;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.lang.model.SourceVersion;

/**
 * Java identifiers for one generated ND4J class. Every node has an INDArray name; inputs and parameters
 * also have a Tensor name (the {@code forward} parameter, the registered parameter) and their INDArray is
 * that name plus {@code Nd} ({@code x} and {@code xNd}).
 */
final class Nd4jNames {
    private static final Set<String> RESERVED = Set.of("inputs", "result", "outputs", "seed", "model", "forward", "evaluate", "plan",
            "create", "syncParameters", "shapeError", "tensors", "prefix", "Outputs", "Nd4j", "Transforms", "INDArray", "DataType", "Tensor",
            "forwardTrain", "backward", "gradients", "inputGradients", "outputGradients", "trained", "parametersStale", "trainOutputs");
    private final Set<String> used = new HashSet<>(RESERVED);
    private final Map<String, String> tensors = new HashMap<>();
    private final Map<String, String> arrays = new HashMap<>();
    private final Map<String, String> dims = new HashMap<>();

    Nd4jNames(List<Node> nodes, List<String> dimNames) {
        for (String d : dimNames) dims.put(d, unique(d));
        name(nodes, n -> false, null);
    }

    /**
     * Names for the training half of a class whose inference half is named by {@code inference}: nodes
     * {@code shared} accepts (parameters, equal constants) keep the inference half's names, the others get
     * names the inference half does not use.
     */
    Nd4jNames(Nd4jNames inference, List<Node> nodes, java.util.function.Predicate<Node> shared) {
        used.addAll(inference.used);
        dims.putAll(inference.dims);
        name(nodes, shared, inference);
    }

    private void name(List<Node> nodes, java.util.function.Predicate<Node> shared, Nd4jNames from) {
        for (Node n : nodes) {
            if (shared.test(n)) {
                if (from.tensors.containsKey(n.name())) tensors.put(n.name(), from.tensors.get(n.name()));
                arrays.put(n.name(), from.arrays.get(n.name()));
                continue;
            }
            String base = n.javaName();
            if (n.op() instanceof Input || n.op() instanceof Parameter) {
                tensors.put(n.name(), unique(base));
                arrays.put(n.name(), unique(base + "Nd"));
            } else {
                arrays.put(n.name(), unique(base));
            }
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

    /** The INDArray holding node {@code n}'s value. */
    String array(Node n) { return arrays.get(n.name()); }

    String array(String node) { return arrays.get(node); }

    /** The Tensor of an input or parameter node. */
    String tensor(Node n) { return tensors.get(n.name()); }

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

    /** A {@code long[]} shape for ND4J, e.g. {@code new long[] {batch, 784}} (an array, so rank 0 needs no special case). */
    String shape(List<Dim> dims) {
        return "new long[] {" + String.join(", ", dims.stream().map(this::code).toList()) + "}";
    }

    /** A Java float literal that reads back to exactly {@code v}. */
    static String literal(float v) {
        if (Float.isNaN(v)) return "Float.NaN";
        if (Float.isInfinite(v)) return v > 0 ? "Float.POSITIVE_INFINITY" : "Float.NEGATIVE_INFINITY";
        return Float.toString(v) + "f";
    }
}
