package dev.mithril.dsl.ir;

import dev.mithril.dsl.ops.Constant;
import dev.mithril.dsl.ops.Multiply;
import dev.mithril.dsl.ops.Reshape;
import dev.mithril.dsl.ops.SumTo;
import dev.mithril.runtime.DType;
import java.util.Arrays;
import java.util.List;

/**
 * Where gradient rules ({@link Op#vjp}) add backward nodes: a graph builder that names each new node
 * after the forward node being differentiated ({@code d_h1_relu_grad}), so generated backward code
 * reads like the forward code it mirrors.
 */
public final class GradientBuilder {
    private final Graph.Builder graph;
    private String prefix = "d";

    /** Adds backward nodes to {@code graph}, which must already hold the forward nodes. */
    public GradientBuilder(Graph.Builder graph) { this.graph = graph; }

    /** Names the nodes added next after {@code forward}, the node whose rule is being applied. */
    public void at(Node forward) { prefix = "d_" + forward.name(); }

    /** Adds {@code op} over {@code inputs}, named {@code d_<node>_<what>} (made unique). */
    public Node add(String what, Op op, Node... inputs) {
        return graph.add(unique(prefix + "_" + what), op, Arrays.asList(inputs), null);
    }

    /** Adds a node with an exact name (fails if taken); used for the summed gradient of a node. */
    public Node addNamed(String name, Op op, Node... inputs) {
        return graph.add(unique(name), op, Arrays.asList(inputs), null);
    }

    /** A scalar constant of {@code like}'s dtype. */
    public Node scalar(float value, Node like) {
        TensorType t = new TensorType(like.type().dtype(), List.of());
        return add("c", new Constant(t, new float[] {value}));
    }

    /** {@code -x}. */
    public Node negate(Node x) { return add("neg", new Multiply(), x, scalar(-1f, x)); }

    /**
     * Undoes broadcasting: {@code grad} summed over the axes along which {@code target} was broadcast,
     * shaped like {@code target}; {@code grad} itself when the shapes already agree.
     */
    public Node sumTo(Node grad, Node target) {
        if (grad.type().dims().equals(target.type().dims())) return grad;
        return add("sum_to", new SumTo(target.type().dims()), grad);
    }

    /** {@code x} viewed as {@code dims} (itself when it already has them). */
    public Node reshape(Node x, List<Dim> dims) {
        if (x.type().dims().equals(dims)) return x;
        return add("view", new Reshape(dims.stream().map(Dim::toString).toList()), x);
    }

    /** {@code x} viewed as a matrix of rows: {@code [-1, last dimension]}. */
    public Node rows(Node x) {
        if (x.type().rank() == 2) return x;
        return add("rows", new Reshape(List.of("-1", x.type().dim(-1).toString())), x);
    }

    /** Whether {@code n}'s dtype can carry a gradient. */
    public static boolean differentiable(Node n) {
        DType d = n.type().dtype();
        return d.isFloatingPoint();
    }

    private String unique(String base) {
        String s = base;
        for (int k = 2; graph.has(s); k++) s = base + "_" + k;
        return s;
    }
}
