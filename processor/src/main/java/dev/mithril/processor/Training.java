package dev.mithril.processor;

import java.util.LinkedHashMap;
import java.util.Map;

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

    /** Deterministic text for dumps. */
    public String toText() {
        return "training: output gradients " + outputGradients + ", parameter gradients " + parameterGradients
                + ", input gradients " + inputGradients + "\n";
    }
}
