package dev.mithril.bench;

import dev.mithril.dsl.builder.Layers;
import dev.mithril.dsl.builder.Sequential;
import dev.mithril.dsl.ir.Graph;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark models of Mithril's seed tables. Dense ones ({@link #LINEAR}, {@link #MLP}) run today; the
 * others name the work they wait for, so that {@code --model all} says what is missing instead of failing.
 */
public enum Workload {
    /** One {@code nn.Linear(1024, 1024)}. */
    LINEAR("linear", new int[] {1024, 1024}, null),
    /** {@code Linear(784,1024) ReLU Linear(1024,512) ReLU Linear(512,256) ReLU Linear(256,10)}. */
    MLP("mlp", new int[] {784, 1024, 512, 256, 10}, null),
    RESNET18("resnet18", null, "needs the model-zoo issue (conv2d, batch norm, pooling)"),
    RESNET50("resnet50", null, "needs the model-zoo issue (conv2d, batch norm, pooling, bottleneck blocks)"),
    TRANSFORMER("transformer", null, "needs the model-zoo issue (embedding, layer norm, attention)");

    private final String id;
    private final int[] widths;
    private final String missing;

    Workload(String id, int[] widths, String missing) {
        this.id = id;
        this.widths = widths;
        this.missing = missing;
    }

    /** The name used on the command line. */
    public String id() { return id; }

    /** Every id, in declaration order. */
    public static List<String> ids() { return Arrays.stream(values()).map(Workload::id).toList(); }

    public static Workload of(String id) {
        for (Workload w : values()) if (w.id.equals(id.toLowerCase(Locale.ROOT))) return w;
        throw new IllegalArgumentException("unknown model '" + id + "' (one of " + String.join(", ", ids()) + ")");
    }

    /** Whether this build can run it. */
    public boolean available() { return missing == null; }

    /** What it waits for, or null when {@link #available()}. */
    public String missing() { return missing; }

    /** Layer widths, input first, of the dense models. */
    public int[] widths() {
        if (widths == null) throw new IllegalStateException(id + " is not available yet: " + missing);
        return widths.clone();
    }

    public int inputSize() { return widths()[0]; }

    public int outputSize() { int[] w = widths(); return w[w.length - 1]; }

    /** e.g. {@code 784 / 10}, the seed tables' "Input/Output Size". */
    public String ioSize() { return inputSize() + " / " + outputSize(); }

    /** Parameters (weights and biases) of the dense model. */
    public long parameterCount() {
        int[] w = widths();
        long n = 0;
        for (int i = 0; i + 1 < w.length; i++) n += (long) w[i] * w[i + 1] + w[i + 1];
        return n;
    }

    /** The class-name stem of the annotated example, e.g. {@code Mlp} for {@code MlpJavaFull}. */
    public String exampleName() {
        return switch (this) {
            case LINEAR -> "LinearModel";
            case MLP -> "Mlp";
            default -> throw new IllegalStateException(id + " is not available yet: " + missing);
        };
    }

    /**
     * The same model built with the run-time builder ({@code Sequential}), for the compile benchmark: hidden
     * layers are followed by ReLU, the last is not.
     */
    public Graph graph() {
        int[] w = widths();
        Sequential s = Sequential.input("x", "batch", w[0]);
        for (int i = 1; i < w.length; i++) {
            s.then(Layers.linear(w[i]));
            if (i + 1 < w.length) s.then(Layers.relu());
        }
        return s.output(this == LINEAR ? "y" : "logits");
    }
}
