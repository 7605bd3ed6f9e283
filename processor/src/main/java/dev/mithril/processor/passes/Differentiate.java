package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.MithrilException;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Add;
import dev.mithril.dsl.ops.Input;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.processor.Program;
import dev.mithril.processor.Training;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode differentiation at compile time: appends to the forward graph the backward pass that
 * each operation's vector-Jacobian rule ({@link dev.mithril.dsl.ir.Op#vjp}) spells out, walking the
 * nodes in reverse and summing the gradients of nodes read more than once. The gradient of each output
 * enters as an input {@code grad_out.<output>}; d loss / d parameter leaves as output
 * {@code grad.<parameter>}, d loss / d input as {@code grad_input.<input>}. Nothing is derived that no
 * gradient output needs: rules run only on nodes between a parameter or floating-point input and an
 * output, and backward nodes that reach no gradient output are dropped.
 */
public final class Differentiate implements Pass {
    /** Prefix of the inputs carrying output gradients. */
    public static final String OUTPUT_GRADIENT = "grad_out.";
    /** Prefix of the outputs holding parameter gradients. */
    public static final String PARAMETER_GRADIENT = "grad.";
    /** Prefix of the outputs holding input gradients. */
    public static final String INPUT_GRADIENT = "grad_input.";

    public String name() { return "differentiate"; }

    public Program apply(Program p) {
        Graph f = p.graph();
        Graph.Builder b = Graph.builder(f.name()).failFast(true);
        Map<Node, Node> copied = new IdentityHashMap<>();
        for (Node n : f.nodes()) copied.put(n, b.add(n.name(), n.op(), n.inputs().stream().map(copied::get).toList(), n.origin()));
        int forwardCount = f.nodes().size();

        // Nodes a gradient can flow back into: parameters, floating inputs, and what reads them.
        Set<Node> carries = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : f.nodes()) {
            boolean leaf = (n.op() instanceof Parameter || n.op() instanceof Input) && GradientBuilder.differentiable(n);
            if (leaf || (GradientBuilder.differentiable(n) && n.inputs().stream().anyMatch(carries::contains))) carries.add(n);
        }

        Map<Node, List<Node>> contributions = new IdentityHashMap<>();
        Map<String, String> outputGradients = new LinkedHashMap<>();
        for (var e : f.outputs().entrySet()) {
            Node out = e.getValue();
            if (!carries.contains(out)) continue;
            String name = OUTPUT_GRADIENT + e.getKey();
            Node in = b.input(name, out.type(), out.origin());
            outputGradients.put(e.getKey(), name);
            contributions.computeIfAbsent(out, k -> new ArrayList<>()).add(in);
        }

        GradientBuilder gb = new GradientBuilder(b);
        Map<Node, Node> gradientOf = new IdentityHashMap<>();
        List<Node> nodes = f.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            List<Node> parts = contributions.get(n);
            if (parts == null || !carries.contains(n)) continue;
            Node grad = parts.getFirst();
            for (int k = 1; k < parts.size(); k++) grad = gb.addNamed("d_" + n.name() + "_sum", new Add(), grad, parts.get(k));
            gradientOf.put(n, grad);
            if (n.inputs().isEmpty()) continue;
            gb.at(n);
            List<Node> ins;
            try {
                ins = n.op().vjp(gb, copied.get(n), grad);
            } catch (MithrilException | IllegalArgumentException e) {
                throw new IllegalStateException("model '" + f.name() + "': the gradient rule of " + n.op().kind() + " '" + n.name()
                        + "' built an ill-typed node: " + e.getMessage(), e);
            }
            if (ins.size() != n.inputs().size()) throw new IllegalStateException("the gradient rule of " + n.op().kind()
                    + " returned " + ins.size() + " gradients for " + n.inputs().size() + " inputs");
            for (int k = 0; k < ins.size(); k++) {
                Node in = n.input(k);
                if (ins.get(k) != null && carries.contains(in)) contributions.computeIfAbsent(in, x -> new ArrayList<>()).add(ins.get(k));
            }
        }

        Map<String, String> parameterGradients = new LinkedHashMap<>();
        Map<String, String> inputGradients = new LinkedHashMap<>();
        for (var e : f.outputs().entrySet()) b.output(e.getKey(), copied.get(e.getValue()));
        for (Node n : nodes) {
            Node grad = gradientOf.get(n);
            if (grad == null) continue;
            String out;
            if (n.op() instanceof Parameter param) parameterGradients.put(param.paramName(), out = PARAMETER_GRADIENT + param.paramName());
            else if (n.op() instanceof Input) inputGradients.put(n.name(), out = INPUT_GRADIENT + n.name());
            else continue;
            if (f.outputs().containsKey(out)) throw new IllegalArgumentException("model '" + f.name() + "' has an output named '"
                    + out + "', which its training graph needs for a gradient; rename the output");
            b.output(out, grad);
        }
        Graph training = prune(b.build(), forwardCount);
        return p.withTraining(training, new Training(outputGradients, parameterGradients, inputGradients));
    }

    /** Drops backward nodes (those after the first {@code forwardCount}) that no output reads. */
    private static Graph prune(Graph g, int forwardCount) {
        Set<Node> live = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Node> work = new ArrayDeque<>(g.outputs().values());
        while (!work.isEmpty()) {
            Node n = work.pop();
            if (live.add(n)) work.addAll(n.inputs());
        }
        GraphCopy copy = new GraphCopy(g);
        List<Node> nodes = g.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (i < forwardCount || live.contains(n) || n.name().startsWith(OUTPUT_GRADIENT)) copy.copy(n);
        }
        return copy.build();
    }
}
