package dev.mithril.processor;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@link dev.mithril.processor.passes.Differentiate} added to a program's graph to make it a training
 * graph: the forward nodes, then backward nodes reading one extra input per output (the gradient of
 * the loss with respect to that output), with one extra output per parameter and per floating-point
 * input that can receive a gradient. Names map in program order.
 *
 * @param outputGradients    forward output name to the input node carrying its gradient
 * @param parameterGradients parameter name to the graph output holding d loss / d parameter
 * @param inputGradients     model input name to the graph output holding d loss / d input
 */
public record Training(Map<String, String> outputGradients, Map<String, String> parameterGradients,
                       Map<String, String> inputGradients) {
    public Training {
        outputGradients = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outputGradients));
        parameterGradients = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameterGradients));
        inputGradients = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inputGradients));
    }

    /**
     * The nodes of training graph {@code g} in the order generated code runs them: the forward pass (every node
     * that does not depend on an output gradient, in graph order) in {@code forwardTrain}, then the backward
     * pass in {@code backward}. Graph order alone interleaves them: a backward rule may add a node reading
     * only forward values (a transposed weight) after nodes that read gradients.
     */
    public List<Node> executionOrder(Graph g) {
        Set<String> backward = new HashSet<>(outputGradients.values());
        List<Node> forward = new ArrayList<>(), after = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (backward.contains(n.name()) || n.inputs().stream().anyMatch(in -> backward.contains(in.name()))) {
                backward.add(n.name());
                after.add(n);
            } else {
                forward.add(n);
            }
        }
        forward.addAll(after);
        return forward;
    }

    /** Deterministic text for dumps. */
    public String toText() {
        return "training: output gradients " + outputGradients + ", parameter gradients " + parameterGradients
                + ", input gradients " + inputGradients + "\n";
    }
}
