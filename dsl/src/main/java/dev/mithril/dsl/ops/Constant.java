package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.Arrays;
import java.util.List;

/** A constant tensor of fixed shape, row-major (scalars have rank 0). */
public record Constant(TensorType type, float[] values) implements Op {
    public Constant {
        values = values.clone();
    }

    public static Constant scalar(float v) { return new Constant(TensorType.f32(), new float[] {v}); }

    public String kind() { return "constant"; }

    public TensorType infer(List<Node> inputs) {
        Rules.arity(inputs, 0);
        if (!type.isFixed() || type.elements().value() != values.length)
            throw ShapeError.attribute("holds " + values.length + " values but its type is " + type);
        return type;
    }

    @Override public float[] values() { return values.clone(); }

    public String attributes() {
        String v = values.length <= 8 ? Arrays.toString(values) : Arrays.toString(Arrays.copyOf(values, 8)).replace("]", ", ...]");
        return "type=" + type + ", values=" + v.replace(" ", "");
    }

    @Override public boolean equals(Object o) {
        return o instanceof Constant c && c.type.equals(type) && Arrays.equals(c.values, values);
    }

    @Override public int hashCode() { return type.hashCode() * 31 + Arrays.hashCode(values); }

    @Override public String toString() { return "Constant[" + attributes() + "]"; }

    /** A leaf: no inputs, so no input gradients. */
    public List<Node> vjp(dev.mithril.dsl.ir.GradientBuilder g, Node node, Node grad) { return List.of(); }
}
