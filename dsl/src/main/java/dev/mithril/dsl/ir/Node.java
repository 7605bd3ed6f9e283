package dev.mithril.dsl.ir;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A node of the IR: an operation applied to earlier nodes. Nodes are immutable once their graph is
 * built; passes build new graphs.
 */
public final class Node {
    private final String name;
    private final Op op;
    private final List<Node> inputs;
    private final Object origin;
    private TensorType type;

    Node(String name, Op op, List<Node> inputs, Object origin) {
        this.name = name;
        this.op = op;
        this.inputs = List.copyOf(inputs);
        this.origin = origin;
    }

    /** Unique within its graph; generated code names its local after it. */
    public String name() { return name; }

    public Op op() { return op; }

    public List<Node> inputs() { return inputs; }

    public Node input(int i) { return inputs.get(i); }

    /** The inferred type; set by {@link Graph.Builder#build()}. */
    public TensorType type() { return type; }

    void setType(TensorType type) { this.type = type; }

    /** Front-end specific location (an annotation processor element, a builder call site), or null. */
    public Object origin() { return origin; }

    /** {@code name} as a Java identifier: dots and other symbols become underscores. */
    public String javaName() {
        String s = name.replaceAll("[^A-Za-z0-9_]", "_");
        return Character.isJavaIdentifierStart(s.charAt(0)) ? s : "_" + s;
    }

    /** One IR line, e.g. {@code %h1 = relu(%h1_linear) : float32[batch, 1024]}. */
    public String toText() {
        String args = inputs.stream().map(n -> "%" + n.name).collect(Collectors.joining(", "));
        String attrs = op.attributes();
        String call = op.kind() + "(" + args + (attrs.isEmpty() ? "" : (args.isEmpty() ? "" : ", ") + attrs) + ")";
        return "%" + name + " = " + call + " : " + type;
    }

    @Override public String toString() { return "'" + name + "' " + (type == null ? "(untyped)" : type.toString()); }
}
