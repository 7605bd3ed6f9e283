package dev.mithril.dsl.builder;

import dev.mithril.dsl.ops.Flatten;
import dev.mithril.dsl.ops.Gelu;
import dev.mithril.dsl.ops.Relu;
import dev.mithril.dsl.ops.Reshape;
import dev.mithril.dsl.ops.Sigmoid;
import dev.mithril.dsl.ops.Softmax;
import dev.mithril.dsl.ops.Tanh;
import java.util.Arrays;

/** Layers for {@link Sequential}, meant to be imported statically: {@code then(linear(1024)).then(relu())}. */
public final class Layers {
    private Layers() {}

    /** {@code nn.Linear(in, out)}, with {@code in} taken from the previous layer. */
    public static Layer linear(int out) { return (x, name) -> x.linear(name, out); }

    public static Layer linear(int out, boolean bias) { return (x, name) -> x.linear(name, out, bias); }

    public static Layer relu() { return (x, name) -> x.builder().apply(name, new Relu(), x); }

    public static Layer gelu() { return (x, name) -> x.builder().apply(name, new Gelu(), x); }

    public static Layer sigmoid() { return (x, name) -> x.builder().apply(name, new Sigmoid(), x); }

    public static Layer tanh() { return (x, name) -> x.builder().apply(name, new Tanh(), x); }

    public static Layer softmax(int axis) { return (x, name) -> x.builder().apply(name, new Softmax(axis), x); }

    public static Layer flatten() { return (x, name) -> x.builder().apply(name, new Flatten(1, -1), x); }

    public static Layer reshape(Object... dims) {
        return (x, name) -> x.builder().apply(name, new Reshape(Arrays.stream(dims).map(String::valueOf).toList()), x);
    }
}
