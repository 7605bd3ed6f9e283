package dev.mithril.examples.zoo;


import dev.mithril.dsl.builder.Layers;
import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Sequential;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.runtime.DType;
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
     * torchvision's {@code resnet<depth>} for 224x224 RGB images: {@code depth} 18 or 34 (BasicBlock), 50, 101 or 152
     * (Bottleneck); {@code width} the stem width (64 in torchvision; stages use width, 2, 4 and 8 times it). Parameter
     * names are torchvision's state-dict keys ({@code conv1.weight}, {@code bn1.running_mean},
     * {@code layer2.0.downsample.0.weight}, {@code fc.bias}, ...), so its weights load directly. Input {@code x
     * [batch, 3, 224, 224]}, output {@code logits [batch, numClasses]}.
     */
    public static Graph resnet(int depth, int numClasses, int width) {
        return ResNetBuilder.build(depth, numClasses, width, 3, 224, 224, DType.F32);
    }

    /** As {@link #resnet(int, int, int)} for {@code inChannels x height x imageWidth} images (any size the stem and stages reduce to at least 1x1). */
    public static Graph resnet(int depth, int numClasses, int width, int inChannels, int height, int imageWidth) {
        return ResNetBuilder.build(depth, numClasses, width, inChannels, height, imageWidth, DType.F32);
    }

    /**
     * As {@link #resnet(int, int, int, int, int, int)} with every tensor in {@code dtype}: {@code F32}, or {@code F64}
     * for gradient checks and float64 reference cases.
     */
    public static Graph resnet(int depth, int numClasses, int width, int inChannels, int height, int imageWidth, DType dtype) {
        return ResNetBuilder.build(depth, numClasses, width, inChannels, height, imageWidth, dtype);
    }

    /**
     * nanoGPT's decoder ({@code reference_models.GPT}): learned positions, pre-LayerNorm blocks with fused
     * {@code c_attn} (q, k, v), exact GELU, LayerNorm eps 1e-5, and {@code lm_head} tied to {@code transformer.wte}
     * (no parameter of its own; both uses add to wte's gradient). Parameter names are nanoGPT's state-dict keys
     * ({@code transformer.wte.weight}, {@code transformer.h.0.attn.c_attn.weight}, {@code transformer.ln_f.bias}, ...).
     * Input {@code idx}: int64 token ids {@code [batch, T]} with T at most {@code blockSize}; output
     * {@code logits [batch, T, vocabSize]}.
     */
    public static Graph gpt(int vocabSize, int blockSize, int nLayer, int nHead, int dModel) {
        return GptBuilder.build(new GptConfig(vocabSize, blockSize, nLayer, nHead, dModel));
    }

    /**
     * {@link #gpt(GptConfig)} over new positions with key-value caches for sequences of up to {@code maxLength}
     * positions, over the same parameters: what {@link CompiledDecoder} compiles (a prompt in one call, then one
     * position per call).
     */
    public static Graph gptCached(GptConfig c, int maxLength) { return GptBuilder.cached(c, maxLength); }

    /**
     * {@link #gptCached(GptConfig, int)}; with {@code lastOnly}, its output is the last new position's logits only,
     * {@code [batch, 1, vocabSize]}, so that a prompt's pass runs the output head once per sequence (what
     * {@link CompiledDecoder} compiles: it needs no other position's logits).
     */
    public static Graph gptCached(GptConfig c, int maxLength, boolean lastOnly) { return GptBuilder.cached(c, maxLength, lastOnly); }

    /** {@link #gpt(int, int, int, int, int)} of a config. */
    public static Graph gpt(GptConfig c) { return GptBuilder.build(c); }

    /**
     * {@link #gpt(GptConfig)} with only the last position's logits as output, {@code [batch, 1, vocabSize]}, over the
     * same parameters: what generation without a cache needs ({@link Generation#withoutCache}), where the output head
     * over every position would be most of the work. nanoGPT's {@code generate} does the same
     * ({@code lm_head(x[:, [-1], :])}).
     */
    public static Graph gptLast(GptConfig c) { return GptBuilder.build(c, true); }

    /**
     * The graph a reference fixture's metadata names: {@code model} is {@code linear}, {@code mlp}, ... and
     * {@code config} the keyword arguments of {@code reference_models.build(model, config)}.
     *
     * @throws IllegalArgumentException for a model the zoo does not have, or a config that lacks a key
     */
    public static Graph fromConfig(String model, Map<String, Object> config) {
        return fromConfig(model, config, DType.F32);
    }

    /**
     * As {@link #fromConfig(String, Map)} with the model's floating-point tensors in {@code dtype} ({@code F32} or
     * {@code F64}; only the ResNets take F64 so far).
     */
    public static Graph fromConfig(String model, Map<String, Object> config, DType dtype) {
        if (dtype != DType.F32 && !model.equals("resnet")) {
            throw new IllegalArgumentException("the zoo builds '" + model + "' in F32 only, not " + dtype);
        }
        return switch (model) {
            case "linear" -> linear(intOf(config, "in_features"), intOf(config, "out_features"));
            case "mlp" -> mlp(intsOf(config, "dims"));
            case "resnet" -> {
                // "image" [h, w] is not a constructor argument in PyTorch (any size works there); 224x224 unless given.
                List<Integer> image = config.containsKey("image") ? intsOf(config, "image") : List.of(224, 224);
                if (image.size() != 2) throw new IllegalArgumentException("config 'image' needs [height, width], got " + image);
                int inChannels = config.containsKey("in_channels") ? intOf(config, "in_channels") : 3;
                yield resnet(intOf(config, "depth"), intOf(config, "num_classes"), intOf(config, "width"), inChannels, image.get(0), image.get(1), dtype);
            }
            case "gpt" -> gpt(gptConfig(config));
            default -> throw new IllegalArgumentException("the zoo has no model '" + model + "' yet (it has linear, mlp, resnet and gpt)");
        };
    }

    /** The {@link GptConfig} of a fixture's config (keys vocab_size, block_size, n_layer, n_head, d_model). */
    public static GptConfig gptConfig(Map<String, Object> config) {
        return new GptConfig(intOf(config, "vocab_size"), intOf(config, "block_size"), intOf(config, "n_layer"), intOf(config, "n_head"),
                intOf(config, "d_model"));
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
