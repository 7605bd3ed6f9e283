package dev.mithril.dsl.builder;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.runtime.DType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Composes a model at run time, in graph form: values are connected by name-free method calls and
 * operators, and the result is the same IR the annotation processor builds.
 *
 * <pre>{@code
 * ModelBuilder m = new ModelBuilder("Mlp");
 * Value x = m.input("x", "batch", 784);
 * Value h = x.linear("h1", 1024).relu();
 * m.output("logits", h.linear("out", 10));
 * Graph g = m.build();
 * }</pre>
 *
 * From Kotlin, {@code a + b}, {@code a * b}, {@code a - 1f} call {@link Value#plus}, {@link Value#times}
 * and {@link Value#minus}.
 */
public final class ModelBuilder {
    private final Graph.Builder graph;
    private final Map<String, Integer> counters = new HashMap<>();

    public ModelBuilder(String modelName) {
        this.graph = Graph.builder(modelName).failFast(true);
    }

    /** A float32 input; dimensions are sizes ({@code 784}) or names ({@code "batch"}). */
    public Value input(String name, Object... dims) {
        return input(name, DType.F32, dims);
    }

    /** An input of the given element type. */
    public Value input(String name, DType dtype, Object... dims) {
        return new Value(this, graph.input(name, new TensorType(dtype, dims(dims)), null));
    }

    /** Marks {@code value} as an output named {@code name}; outputs keep their order. */
    public ModelBuilder output(String name, Value value) {
        graph.output(name, value.node());
        return this;
    }

    /** A trainable parameter with PyTorch-style {@code name}, e.g. {@code "layers.0.weight"}. */
    public Value parameter(String name, long fanIn, int... shape) {
        long[] s = new long[shape.length];
        for (int i = 0; i < shape.length; i++) s[i] = shape[i];
        return new Value(this, graph.parameter(name, TensorType.f32(s), fanIn, null));
    }

    /** A trainable parameter of element type {@code dtype} (F32 or F64). */
    public Value parameter(String name, DType dtype, long fanIn, int... shape) {
        long[] s = new long[shape.length];
        for (int i = 0; i < shape.length; i++) s[i] = shape[i];
        return new Value(this, graph.parameter(name, new TensorType(dtype, java.util.Arrays.stream(s).mapToObj(Dim::of).toList()), fanIn, null));
    }

    /** A constant scalar of element type {@code dtype} (its value is {@code v} widened). */
    public Value constant(float v, DType dtype) {
        return new Value(this, graph.add(fresh("const"), new Constant(new TensorType(dtype, List.of()), new float[] {v})));
    }

    /** A constant scalar. */
    public Value constant(float v) {
        return new Value(this, graph.add(fresh("const"), Constant.scalar(v)));
    }

    /**
     * The value of a node already added, by its name: a parameter to share ({@code "transformer.wte.weight"}),
     * or a layer's result. @throws IllegalArgumentException when there is no such node
     */
    public Value node(String name) {
        Node n = graph.get(name);
        if (n == null) throw new IllegalArgumentException("model builder has no node named '" + name + "' (yet)");
        return new Value(this, n);
    }

    /** Applies any IR operation; the escape hatch for ops without a method on {@link Value}. */
    public Value apply(String name, Op op, Value... inputs) {
        Node[] nodes = new Node[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].builder() != this) throw new IllegalArgumentException("value '" + inputs[i].name() + "' belongs to another model builder");
            nodes[i] = inputs[i].node();
        }
        return new Value(this, graph.add(name == null ? fresh(op.kind()) : name, op, nodes));
    }

    /** Validates and infers the whole model; throws {@link dev.mithril.dsl.ir.MithrilException} with every error. */
    public Graph build() { return graph.build(); }

    /** A node name not used yet: {@code linear_1}, {@code linear_2}, ... */
    String fresh(String kind) {
        String name;
        do {
            name = kind + "_" + counters.merge(kind, 1, Integer::sum);
        } while (graph.has(name));
        return name;
    }

    Graph.Builder graph() { return graph; }

    static List<Dim> dims(Object... dims) {
        return java.util.Arrays.stream(dims).map(d -> switch (d) {
            case Integer i -> Dim.of(i);
            case Long l -> Dim.of(l);
            case String s -> Dim.parse(s);
            case Dim dim -> dim;
            default -> throw new IllegalArgumentException("a dimension is a number or a name, not " + d);
        }).toList();
    }
}
