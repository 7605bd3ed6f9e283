package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Softmax over one axis (negative counts from the end). */
public record Softmax(int axis) implements Op {
    public String kind() { return "softmax"; }

    public TensorType infer(List<Node> inputs) {
        Node x = Rules.floatingInput(inputs);
        int r = x.type().rank();
        if (axis < -r || axis >= r || r == 0) throw ShapeError.attribute("axis " + axis + " is out of range for '" + x.name() + "' " + x.type());
        return x.type();
    }

    public String attributes() { return "axis=" + axis; }

    public List<Node> vjp(GradientBuilder g, Node node, Node grad) {
        // dx = y · (g - sum(g · y, axis)): the Jacobian of softmax is diag(y) - y·yᵀ along the axis.
        Node gy = g.add("gy", new Multiply(), grad, node);
        Node dot = g.add("dot", new Sum(List.of(axis), true), gy);
        Node centered = g.add("centered", new Subtract(), grad, dot);
        return List.of(g.add("dx", new Multiply(), node, centered));
    }
}
