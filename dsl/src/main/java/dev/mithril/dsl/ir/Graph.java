package dev.mithril.dsl.ir;

import dev.mithril.dsl.ops.Input;
import dev.mithril.dsl.ops.Parameter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model as a graph of typed nodes, in topological order. Both front ends (the annotation
 * processor and the run-time builder) produce one through {@link Builder}, which checks names and
 * infers every node's type, reporting all problems together. Passes read a graph and build a new one.
 */
public final class Graph {
    private final String name;
    private final List<Node> nodes;
    private final Map<String, Node> byName;
    private final LinkedHashMap<String, Node> outputs;

    private Graph(String name, List<Node> nodes, LinkedHashMap<String, Node> outputs) {
        this.name = name;
        this.nodes = List.copyOf(nodes);
        this.outputs = outputs;
        Map<String, Node> m = new HashMap<>();
        for (Node n : nodes) m.put(n.name(), n);
        this.byName = m;
    }

    public static Builder builder(String name) { return new Builder(name); }

    /** The model's name, e.g. {@code Mlp}. */
    public String name() { return name; }

    /** Every node, inputs and parameters included, in topological order. */
    public List<Node> nodes() { return nodes; }

    public List<Node> inputs() { return nodes.stream().filter(n -> n.op() instanceof Input).toList(); }

    public List<Node> parameters() { return nodes.stream().filter(n -> n.op() instanceof Parameter).toList(); }

    /** Output names (in declaration order) to the nodes that compute them. */
    public Map<String, Node> outputs() { return Collections.unmodifiableMap(outputs); }

    public Node node(String nodeName) { return byName.get(nodeName); }

    /** For each node, the nodes that read it, in topological order. */
    public Map<Node, List<Node>> users() {
        Map<Node, List<Node>> users = new LinkedHashMap<>();
        for (Node n : nodes) users.put(n, new ArrayList<>());
        for (Node n : nodes) for (Node in : n.inputs()) if (!users.get(in).contains(n)) users.get(in).add(n);
        return users;
    }

    /** Dimension names used by the inputs, in first-use order (e.g. {@code batch}). */
    public List<String> dimensionNames() {
        List<String> names = new ArrayList<>();
        for (Node n : inputs()) for (Dim d : n.type().dims()) for (String s : d.symbols()) if (!names.contains(s)) names.add(s);
        return names;
    }

    /**
     * The graph as text, one node a line, then the outputs. Deterministic: equal graphs give equal
     * text, which is how tests check that two front ends built the same IR.
     */
    public String toText() {
        StringBuilder sb = new StringBuilder("graph ").append(name).append(" {\n");
        for (Node n : nodes) sb.append("  ").append(n.toText()).append('\n');
        for (var e : outputs.entrySet()) sb.append("  output ").append(e.getKey()).append(" = %").append(e.getValue().name()).append('\n');
        return sb.append("}\n").toString();
    }

    @Override public String toString() { return toText(); }

    /** Builds a graph node by node; {@link #build()} validates and infers types. */
    public static final class Builder {
        private final String name;
        private final List<Node> nodes = new ArrayList<>();
        private final Map<String, Node> byName = new HashMap<>();
        private final LinkedHashMap<String, Node> outputs = new LinkedHashMap<>();
        private final List<IrError> errors = new ArrayList<>();
        private boolean failFast;

        private Builder(String name) { this.name = name; }

        /**
         * Throw at the first error instead of collecting them for {@link #build()}: right for the
         * run-time builder, where the stack trace then points at the user's call.
         */
        public Builder failFast(boolean value) {
            this.failFast = value;
            return this;
        }

        /** Adds a node; a second node of the same name is reported as a duplicate at build time. */
        public Node add(String nodeName, Op op, List<Node> inputs, Object origin) {
            for (Node in : inputs) {
                if (in == null) throw new IllegalArgumentException("node '" + nodeName + "' has a null input");
                if (byName.get(in.name()) != in) throw new IllegalArgumentException(
                        "node '" + nodeName + "' reads '" + in.name() + "', which belongs to another graph");
            }
            Node n = new Node(nodeName, op, inputs, origin);
            if (byName.containsKey(nodeName)) {
                error(new IrError(IrError.DUPLICATE_NODE,
                        "node '" + nodeName + "' is defined twice", nodeName, origin));
                return n;
            }
            byName.put(nodeName, n);
            nodes.add(n);
            infer(n);
            return n;
        }

        /** Types a node as soon as it is added, so front ends can read input shapes (e.g. a linear layer's in-features). */
        private void infer(Node n) {
            if (!n.inputs().stream().allMatch(i -> i.type() != null)) return; // an earlier error explains this node
            try {
                n.setType(n.op().infer(n.inputs()));
            } catch (ShapeError e) {
                if (failFast) { // the caller gets the exception, not the node: keep no untyped node behind
                    nodes.remove(nodes.size() - 1);
                    byName.remove(n.name());
                }
                error(new IrError(e.tag(), n.op().kind() + " '" + n.name() + "' " + e.getMessage(), n.name(), n.origin()));
            }
        }

        public Node add(String nodeName, Op op, Node... inputs) {
            return add(nodeName, op, java.util.Arrays.asList(inputs), null); // not List.of: a null input gets add's clear error, not an NPE
        }

        public Node input(String nodeName, TensorType type, Object origin) {
            return add(nodeName, new Input(type), List.of(), origin);
        }

        /** A trainable parameter; {@code paramName} is its PyTorch-style name ({@code layers.0.weight}). */
        public Node parameter(String paramName, TensorType type, long fanIn, Object origin) {
            return add(paramName, new Parameter(paramName, type, fanIn), List.of(), origin);
        }

        /** A parameter or buffer initialized by {@code init} rather than from a fan-in (norm weights, running statistics, embeddings). */
        public Node parameter(String paramName, TensorType type, Parameter.Init init, Object origin) {
            return add(paramName, new Parameter(paramName, type, 0, init), List.of(), origin);
        }

        /** The node named {@code nodeName} so far, or null. */
        public Node get(String nodeName) { return byName.get(nodeName); }

        /** Whether a node of that name has been added. */
        public boolean has(String nodeName) { return byName.containsKey(nodeName); }

        public Builder output(String outputName, Node node) {
            if (outputs.containsKey(outputName)) error(new IrError(IrError.DUPLICATE_NODE,
                    "output '" + outputName + "' is declared twice", node.name(), node.origin()));
            outputs.put(outputName, node);
            return this;
        }

        /** Records a front-end error to be reported with the graph's own. */
        public void error(IrError e) {
            if (failFast) throw new MithrilException(e);
            errors.add(e);
        }

        /** Validates, infers every node's type and returns the graph; throws with all errors found. */
        public Graph build() {
            List<IrError> all = new ArrayList<>(errors);
            if (outputs.isEmpty()) all.add(new IrError(IrError.MISSING_OUTPUT,
                    "model '" + name + "' has no output; mark at least one node as an output", null, null));
            if (!all.isEmpty()) throw new MithrilException(all);
            return new Graph(name, nodes, new LinkedHashMap<>(outputs));
        }
    }
}
