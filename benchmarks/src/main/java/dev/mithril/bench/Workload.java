package dev.mithril.bench;

import dev.mithril.dsl.builder.Layers;
import dev.mithril.dsl.builder.Sequential;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.examples.zoo.GptConfig;
import dev.mithril.examples.zoo.Zoo;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark models of Mithril's seed tables. The dense ones ({@link #LINEAR}, {@link #MLP}) run as the
 * annotated examples; the zoo ones ({@link #RESNET18}, {@link #RESNET50}, {@link #TRANSFORMER}) are compiled at run
 * time from {@link Zoo}'s graphs with the published sizes.
 */
public enum Workload {
    /** One {@code nn.Linear(1024, 1024)}. */
    LINEAR("linear", new int[] {1024, 1024}, List.of(32, 128, 1024)),
    /** {@code Linear(784,1024) ReLU Linear(1024,512) ReLU Linear(512,256) ReLU Linear(256,10)}. */
    MLP("mlp", new int[] {784, 1024, 512, 256, 10}, List.of(32, 128, 1024)),
    /** torchvision's resnet18, 1000 classes, 224x224 RGB. */
    RESNET18("resnet18", null, List.of(1, 32, 128)),
    /** torchvision's resnet50, 1000 classes, 224x224 RGB. */
    RESNET50("resnet50", null, List.of(32)),
    /** nanoGPT decoder: 6 layers, 8 heads, width 512, vocabulary 50257, block 1024, timed on sequences of 128. */
    TRANSFORMER("transformer", null, List.of(1, 16, 64));

    /** The transformer's configuration and the sequence length its inference and training are timed at. */
    public static final GptConfig GPT = new GptConfig(50257, 1024, 6, 8, 512);
    public static final int SEQUENCE = 128;
    static final int IMAGE = 224, CLASSES = 1000;

    private final String id;
    private final int[] widths;
    private final List<Integer> defaultBatches;

    Workload(String id, int[] widths, List<Integer> defaultBatches) {
        this.id = id;
        this.widths = widths;
        this.defaultBatches = defaultBatches;
    }

    /** The name used on the command line. */
    public String id() { return id; }

    /** Every id, in declaration order. */
    public static List<String> ids() { return Arrays.stream(values()).map(Workload::id).toList(); }

    public static Workload of(String id) {
        for (Workload w : values()) if (w.id.equals(id.toLowerCase(Locale.ROOT))) return w;
        throw new IllegalArgumentException("unknown model '" + id + "' (one of " + String.join(", ", ids()) + ")");
    }

    /** Whether this build can run it (every workload can now; kept so reports can say what is missing). */
    public boolean available() { return true; }

    /** What it waits for, or null when {@link #available()}. */
    public String missing() { return null; }

    /** The batch sizes of the published tables, used when {@code --batch-sizes} is not given. */
    public List<Integer> defaultBatches() { return defaultBatches; }

    /** Whether it is one of the dense models with an annotated example (the others are compiled at run time from the zoo). */
    public boolean dense() { return widths != null; }

    /** Whether its input is token ids (int64) rather than floats. */
    public boolean tokens() { return this == TRANSFORMER; }

    /** Layer widths, input first, of the dense models. */
    public int[] widths() {
        if (widths == null) throw new IllegalStateException(id + " is not a dense model");
        return widths.clone();
    }

    public int inputSize() { return widths()[0]; }

    public int outputSize() { int[] w = widths(); return w[w.length - 1]; }

    /** e.g. {@code 784 / 10}, the seed tables' "Input/Output Size". */
    public String ioSize() {
        return switch (this) {
            case LINEAR, MLP -> inputSize() + " / " + outputSize();
            case RESNET18, RESNET50 -> "3x" + IMAGE + "x" + IMAGE + " / " + CLASSES;
            case TRANSFORMER -> SEQUENCE + " tokens / " + SEQUENCE + "x" + GPT.vocabSize();
        };
    }

    /** The input's shape at {@code batch}: {@code [batch, in]}, {@code [batch, 3, 224, 224]} or {@code [batch, 128]}. */
    public int[] inputShape(int batch) {
        return switch (this) {
            case LINEAR, MLP -> new int[] {batch, inputSize()};
            case RESNET18, RESNET50 -> new int[] {batch, 3, IMAGE, IMAGE};
            case TRANSFORMER -> new int[] {batch, SEQUENCE};
        };
    }

    /** The sizes of the graph's symbolic dimensions at {@code batch}, for {@code Mithril.compile}. */
    public Map<String, Integer> dims(int batch) {
        Map<String, Integer> d = new HashMap<>();
        d.put("batch", batch);
        if (this == TRANSFORMER) d.put("T", SEQUENCE);
        return Map.copyOf(d);
    }

    /** Parameters (weights, biases, norm statistics) of the model. */
    public long parameterCount() {
        if (widths != null) {
            long n = 0;
            for (int i = 0; i + 1 < widths.length; i++) n += (long) widths[i] * widths[i + 1] + widths[i + 1];
            return n;
        }
        return graph().parameters().stream().mapToLong(p -> p.type().elements().value()).sum();
    }

    /** The class-name stem of the annotated example, e.g. {@code Mlp} for {@code MlpJavaFull}. */
    public String exampleName() {
        return switch (this) {
            case LINEAR -> "LinearModel";
            case MLP -> "Mlp";
            default -> throw new IllegalStateException(id + " has no annotated example; it is compiled at run time");
        };
    }

    /**
     * The model as a run-time graph: dense ones with {@code Sequential} (hidden layers followed by ReLU, the last not),
     * the others from {@link Zoo} at the published sizes.
     */
    public Graph graph() {
        return switch (this) {
            case LINEAR, MLP -> {
                int[] w = widths();
                Sequential s = Sequential.input("x", "batch", w[0]);
                for (int i = 1; i < w.length; i++) {
                    s.then(Layers.linear(w[i]));
                    if (i + 1 < w.length) s.then(Layers.relu());
                }
                yield s.output(this == LINEAR ? "y" : "logits");
            }
            case RESNET18 -> Zoo.resnet(18, CLASSES, 64);
            case RESNET50 -> Zoo.resnet(50, CLASSES, 64);
            case TRANSFORMER -> Zoo.gpt(GPT);
        };
    }
}
