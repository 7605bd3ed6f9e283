package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.GradientBuilder;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The index of the largest value along {@code axis}, as {@code torch.argmax} (the first on ties): an
 * int64 tensor without that axis, or with it as size 1 when {@code keepDims}. It has no gradient.
 */
public record Argmax(int axis, boolean keepDims) implements Op {
    public String kind() { return "argmax"; }

    public TensorType infer(List<Node> inputs) {
        Node x = Rules.floatingInput(inputs);
        int r = x.type().rank();
        if (r == 0 || axis < -r || axis >= r) throw ShapeError.attribute("axis " + axis + " is out of range for '" + x.name() + "' " + x.type());
        int a = x.type().normalizeAxis(axis);
        List<Dim> dims = new ArrayList<>(x.type().dims());
        if (keepDims) dims.set(a, Dim.of(1)); else dims.remove(a);
        return new TensorType(DType.I64, dims);
    }

    public String attributes() { return "axis=" + axis + ", keepDims=" + keepDims; }

    /** Piecewise constant: no gradient flows back. */
    public List<Node> vjp(GradientBuilder g, Node node, Node grad) { return Arrays.asList((Node) null); }
}
