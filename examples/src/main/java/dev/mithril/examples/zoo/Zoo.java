package dev.mithril.examples.zoo;


import dev.mithril.dsl.builder.Layers;
import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Sequential;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ir.Graph;
import java.util.List;
import java.util.Map;

/**
 * The model zoo as builder functions: each takes the hyperparameters PyTorch's reference modules take
 * ({@code shared/reference/reference_models.py}) and returns the graph, with parameter names exactly as
 * the PyTorch module's state dict names them, ready for {@code Mithril.compile}.
 *
 * <pre>{@code
 * Graph g = Zoo.mlp(List.of(784, 128, 64, 32, 10));       // layers.0.weight, layers.0.bias, ...
 * CompiledModel m = Mithril.compile(g, Backend.JAVA, Level.FULL);
 * }</pre>
 */
public final class Zoo {
    private Zoo() {}

    /** {@code LinearModel}: one {@code nn.Linear} named {@code linear}; input {@code x [batch, in]}, output {@code logits}. */
    public static Graph linear(int inFeatures, int outFeatures) {
        ModelBuilder m = new ModelBuilder("LinearModel");
        Value x = m.input("x", "batch", inFeatures);
        m.output("logits", x.linear("linear", outFeatures));
        return m.build();
    }

    /** {@code MLP}: {@code nn.Sequential} of Linear layers with ReLU between them (none after the last). */
    public static Graph mlp(List<Integer> dims) {
        if (dims.size() < 2) throw new IllegalArgumentException("mlp: dims needs at least an input and an output width, got " + dims);
        Sequential s = Sequential.model("Mlp", "layers", "x", "batch", dims.getFirst());
        for (int i = 1; i < dims.size(); i++) {
            s.then(Layers.linear(dims.get(i)));
            if (i < dims.size() - 1) s.then(Layers.relu());
        }
        return s.output("logits");
    }

    /**
     * The graph a reference fixture's metadata names: {@code model} is {@code linear}, {@code mlp}, ... and
     * {@code config} the keyword arguments of {@code reference_models.build(model, config)}.
     *
     * @throws IllegalArgumentException for a model the zoo does not have, or a config that lacks a key
     */
    public static Graph fromConfig(String model, Map<String, Object> config) {
        return switch (model) {
            case "linear" -> linear(intOf(config, "in_features"), intOf(config, "out_features"));
            case "mlp" -> mlp(intsOf(config, "dims"));
            default -> throw new IllegalArgumentException("the zoo has no model '" + model + "' yet (it has linear and mlp)");
        };
    }

    static int intOf(Map<String, Object> config, String key) {
        Object v = config.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException("config needs an integer '" + key + "', got " + v + " in " + config);
        return Math.toIntExact(n.longValue());
    }

    static List<Integer> intsOf(Map<String, Object> config, String key) {
        Object v = config.get(key);
        if (!(v instanceof List<?> l) || !l.stream().allMatch(e -> e instanceof Number)) {
            throw new IllegalArgumentException("config needs a list of integers '" + key + "', got " + v + " in " + config);
        }
        return l.stream().map(e -> Math.toIntExact(((Number) e).longValue())).toList();
    }
}
