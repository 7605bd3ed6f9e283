package dev.mithril.processor.backend.nd4j;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Input;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.processor.backend.Identifiers;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Java identifiers for one generated ND4J class. Every node has an INDArray name; inputs and parameters
 * also have a Tensor name (the {@code forward} parameter, the registered parameter) and their INDArray is
 * that name plus {@code Nd} ({@code x} and {@code xNd}).
 */
final class Nd4jNames extends Identifiers {
    private static final Set<String> RESERVED = Set.of("inputs", "result", "outputs", "seed", "model", "forward", "evaluate", "plan",
            "create", "syncParameters", "shapeError", "tensors", "prefix", "Outputs", "Nd4j", "Transforms", "INDArray", "DataType", "Tensor",
            "forwardTrain", "backward", "gradients", "inputGradients", "outputGradients", "trained", "parametersStale", "trainOutputs");
    private final Map<String, String> tensors = new HashMap<>();
    private final Map<String, String> arrays = new HashMap<>();

    Nd4jNames(List<Node> nodes, List<String> dimNames) {
        super(RESERVED, dimNames);
        name(nodes, n -> false, null);
    }

    /**
     * Names for the training half of a class whose inference half is named by {@code inference}: nodes
     * {@code shared} accepts (parameters, equal constants) keep the inference half's names, the others get
     * names the inference half does not use.
     */
    Nd4jNames(Nd4jNames inference, List<Node> nodes, java.util.function.Predicate<Node> shared) {
        super(inference);
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

    /** The INDArray holding node {@code n}'s value. */
    String array(Node n) { return arrays.get(n.name()); }

    String array(String node) { return arrays.get(node); }

    /** The Tensor of an input or parameter node. */
    String tensor(Node n) { return tensors.get(n.name()); }

    /** A {@code long[]} shape for ND4J, e.g. {@code new long[] {batch, 784}} (an array, so rank 0 needs no special case). */
    String shape(List<Dim> dims) {
        return "new long[] {" + String.join(", ", dims.stream().map(this::code).toList()) + "}";
    }
}
