package dev.mithril.examples.cli;

import dev.mithril.dsl.Level;
import dev.mithril.examples.LinearModelJavaBasic;
import dev.mithril.examples.LinearModelJavaFull;
import dev.mithril.examples.LinearModelJavaNone;
import dev.mithril.examples.LinearModelModel;
import dev.mithril.examples.MlpJavaBasic;
import dev.mithril.examples.MlpJavaFull;
import dev.mithril.examples.MlpJavaNone;
import dev.mithril.examples.MlpModel;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.function.UnaryOperator;

/**
 * The annotated example models ({@code dev.mithril.examples.Mlp}, {@code LinearModel}) as the annotation
 * processor generated them, one class per level ({@code MlpJavaNone}, {@code MlpJavaBasic},
 * {@code MlpJavaFull}), behind one small single-input view for the command line and the benchmarks.
 */
public final class ExampleModels {
    /** The MLP's layer widths, input first, as in the annotated {@code Mlp}. */
    public static final int[] MLP_WIDTHS = {784, 1024, 512, 256, 10};

    private ExampleModels() {}

    /** A model with one input and one output, ready to run. */
    public interface Forward extends AutoCloseable {
        Tensor forward(Tensor x);

        @Override void close();
    }

    /** The generated {@code MlpJava<Level>} with parameters initialized like PyTorch's defaults. */
    public static Forward mlp(Level level) {
        MlpModel m = switch (level) {
            case NONE -> MlpJavaNone.create();
            case BASIC -> MlpJavaBasic.create();
            case FULL -> MlpJavaFull.create();
        };
        return view(m, m::forward);
    }

    /** The generated {@code LinearModelJava<Level>} (1024 to 1024). */
    public static Forward linear(Level level) {
        LinearModelModel m = switch (level) {
            case NONE -> LinearModelJavaNone.create();
            case BASIC -> LinearModelJavaBasic.create();
            case FULL -> LinearModelJavaFull.create();
        };
        return view(m, m::forward);
    }

    /** The example named {@code model} ({@code "Mlp"} or {@code "LinearModel"}) at {@code level}. */
    public static Forward of(String model, Level level) {
        return switch (model) {
            case "Mlp" -> mlp(level);
            case "LinearModel" -> linear(level);
            default -> throw new IllegalArgumentException("no example model named '" + model + "' (there are Mlp and LinearModel)");
        };
    }

    private static Forward view(CompiledModel model, UnaryOperator<Tensor> forward) {
        return new Forward() {
            @Override public Tensor forward(Tensor x) { return forward.apply(x); }

            @Override public void close() { model.close(); }

            @Override public String toString() { return model.getClass().getSimpleName(); }
        };
    }
}
