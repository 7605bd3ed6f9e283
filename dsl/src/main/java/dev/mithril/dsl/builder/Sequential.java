package dev.mithril.dsl.builder;

import dev.mithril.dsl.ir.Graph;

/**
 * A model as a chain of layers, named like PyTorch's {@code nn.Sequential}: the i-th layer is
 * {@code <prefix>.<i>}, so its parameters are {@code layers.0.weight}, {@code layers.0.bias}, ...
 * and a state dict saved from PyTorch loads as it is.
 *
 * <pre>{@code
 * Graph mlp = Sequential.input("x", "batch", 784)
 *     .then(linear(1024)).then(relu())
 *     .then(linear(10))
 *     .output("logits");
 * }</pre>
 */
public final class Sequential {
    private final ModelBuilder builder;
    private final String prefix;
    private Value last;
    private int index;

    private Sequential(ModelBuilder builder, Value input, String prefix) {
        this.builder = builder;
        this.last = input;
        this.prefix = prefix;
    }

    /** Starts a model named {@code Sequential} whose layers are named {@code layers.<i>}. */
    public static Sequential input(String name, Object... dims) {
        return model("Sequential", "layers", name, dims);
    }

    /** Starts a model with the given model name and layer-name prefix. */
    public static Sequential model(String modelName, String prefix, String inputName, Object... dims) {
        ModelBuilder b = new ModelBuilder(modelName);
        return new Sequential(b, b.input(inputName, dims), prefix);
    }

    /** Appends a layer. */
    public Sequential then(Layer layer) {
        last = layer.apply(last, prefix + "." + index++);
        return this;
    }

    /** Ends the chain: the last layer's value is the output {@code name}. */
    public Graph output(String name) {
        builder.output(name, last);
        return builder.build();
    }
}
