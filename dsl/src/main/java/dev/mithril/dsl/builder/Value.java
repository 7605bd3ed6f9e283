package dev.mithril.dsl.builder;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Add;
import dev.mithril.dsl.ops.Divide;
import dev.mithril.dsl.ops.Flatten;
import dev.mithril.dsl.ops.Gelu;
import dev.mithril.dsl.ops.Linear;
import dev.mithril.dsl.ops.MatMul;
import dev.mithril.dsl.ops.Mean;
import dev.mithril.dsl.ops.Multiply;
import dev.mithril.dsl.ops.Relu;
import dev.mithril.dsl.ops.Reshape;
import dev.mithril.dsl.ops.Sigmoid;
import dev.mithril.dsl.ops.Softmax;
import dev.mithril.dsl.ops.Subtract;
import dev.mithril.dsl.ops.Sum;
import dev.mithril.dsl.ops.Tanh;
import dev.mithril.dsl.ops.Transpose;
import java.util.Arrays;
import java.util.List;

/**
 * A value in a model being built: each method adds one node and returns its result. Names of the
 * arithmetic methods ({@code plus}, {@code minus}, {@code times}, {@code div}) make them Kotlin operators.
 */
public final class Value {
    private final ModelBuilder builder;
    private final Node node;

    Value(ModelBuilder builder, Node node) {
        this.builder = builder;
        this.node = node;
    }

    public Node node() { return node; }

    public String name() { return node.name(); }

    ModelBuilder builder() { return builder; }

    /** A linear layer with parameters {@code <name>.weight [out, in]} and {@code <name>.bias [out]}. */
    public Value linear(String name, int out) { return linear(name, out, true); }

    public Value linear(String name, int out, boolean bias) {
        var in = node.type().dim(-1);
        if (!in.isFixed()) throw new IllegalArgumentException("linear '" + name + "': the input's last dimension " + in + " must be a fixed size");
        int k = Math.toIntExact(in.value());
        Value w = builder.parameter(name + ".weight", k, out, k);
        if (!bias) return builder.apply(name, new Linear(), this, w);
        Value b = builder.parameter(name + ".bias", k, out);
        return builder.apply(name, new Linear(), this, w, b);
    }

    /** A linear layer with a generated name ({@code linear_1}, ...). */
    public Value linear(int out) { return linear(builder.fresh("linear"), out); }

    public Value matmul(Value other) { return builder.apply(null, new MatMul(), this, other); }

    public Value plus(Value other) { return builder.apply(null, new Add(), this, other); }

    public Value minus(Value other) { return builder.apply(null, new Subtract(), this, other); }

    public Value times(Value other) { return builder.apply(null, new Multiply(), this, other); }

    public Value div(Value other) { return builder.apply(null, new Divide(), this, other); }

    public Value plus(float c) { return plus(builder.constant(c)); }

    public Value minus(float c) { return minus(builder.constant(c)); }

    public Value times(float c) { return times(builder.constant(c)); }

    public Value div(float c) { return div(builder.constant(c)); }

    public Value relu() { return builder.apply(null, new Relu(), this); }

    public Value gelu() { return builder.apply(null, new Gelu(), this); }

    public Value sigmoid() { return builder.apply(null, new Sigmoid(), this); }

    public Value tanh() { return builder.apply(null, new Tanh(), this); }

    public Value softmax(int axis) { return builder.apply(null, new Softmax(axis), this); }

    /** Reshape; dimensions are sizes, names, or one -1. */
    public Value reshape(Object... dims) {
        return builder.apply(null, new Reshape(Arrays.stream(dims).map(String::valueOf).toList()), this);
    }

    public Value flatten(int start, int end) { return builder.apply(null, new Flatten(start, end), this); }

    public Value flatten() { return flatten(1, -1); }

    /** Swaps two axes. */
    public Value transpose(int axis0, int axis1) {
        return builder.apply(null, Transpose.swap(node.type().rank(), axis0, axis1), this);
    }

    /** A full permutation of the axes. */
    public Value permute(int... perm) {
        return builder.apply(null, new Transpose(Arrays.stream(perm).boxed().toList()), this);
    }

    public Value sum(boolean keepDims, int... axes) { return builder.apply(null, new Sum(ints(axes), keepDims), this); }

    public Value sum(int... axes) { return sum(false, axes); }

    public Value mean(boolean keepDims, int... axes) { return builder.apply(null, new Mean(ints(axes), keepDims), this); }

    public Value mean(int... axes) { return mean(false, axes); }

    private static List<Integer> ints(int[] xs) { return Arrays.stream(xs).boxed().toList(); }

    @Override public String toString() { return node.toString(); }
}
