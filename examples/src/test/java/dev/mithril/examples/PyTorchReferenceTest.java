package dev.mithril.examples;

import static dev.mithril.dsl.Level.FULL;
import static dev.mithril.dsl.Level.NONE;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.Input;
import dev.mithril.dsl.Linear;
import dev.mithril.dsl.Model;
import dev.mithril.dsl.Name;
import dev.mithril.dsl.Output;
import dev.mithril.dsl.Relu;
import dev.mithril.runtime.AbstractCompiledModel;
import dev.mithril.runtime.Safetensors;
import dev.mithril.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Annotated models load the PyTorch fixtures of {@code shared/reference} by their state-dict names
 * and reproduce PyTorch's outputs (to 1e-4 of the largest magnitude, the fixtures' tolerance).
 * The fixture MLP is narrower than {@link Mlp}, so the models here are its exact twins.
 */
class PyTorchReferenceTest {
    /** {@code reference_models.build("mlp", {"dims": [784, 128, 64, 32, 10]})}. */
    @Model(levels = {NONE, FULL})
    interface ReferenceMlp {
        @Input(shape = {"batch", "784"}) Tensor x();

        @Name("layers.0") @Linear(out = 128) @Relu Tensor h1(Tensor x);
        @Name("layers.2") @Linear(out = 64) @Relu Tensor h2(Tensor h1);
        @Name("layers.4") @Linear(out = 32) @Relu Tensor h3(Tensor h2);
        @Name("layers.6") @Output @Linear(out = 10) Tensor logits(Tensor h3);
    }

    /** {@code reference_models.build("linear", {"in_features": 64, "out_features": 32})}. */
    @Model(levels = {NONE, FULL})
    interface ReferenceLinear {
        @Input(shape = {"batch", "64"}) Tensor x();

        @Name("linear") @Output @Linear(out = 32) Tensor y(Tensor x);
    }

    static Path fixture(String name) {
        Path dir = Path.of(System.getProperty("mithril.reference.dir", "../../shared/reference"));
        Path file = dir.resolve(name + ".safetensors");
        assertTrue(Files.isRegularFile(file), "missing PyTorch fixture " + file.toAbsolutePath() + " (set -Dmithril.reference.dir)");
        return file;
    }

    static <M extends AbstractCompiledModel> void check(String name, M model, Function<Tensor, Tensor> forward) {
        Map<String, Tensor> f = Safetensors.read(fixture(name));
        model.load(f, "param.");
        Tensor expected = f.get("output.eval");
        double err = MlpTest.relativeError(forward.apply(f.get("input")), expected);
        assertTrue(err <= 1e-4, name + " " + model.level() + ": relative error " + err);
    }

    @Test
    void mlpMatchesPyTorch() {
        try (var none = ReferenceMlpJavaNone.create(); var full = ReferenceMlpJavaFull.create()) {
            check("mlp", none, none::forward);
            check("mlp", full, full::forward);
        }
    }

    @Test
    void linearMatchesPyTorch() {
        try (var none = ReferenceLinearJavaNone.create(); var full = ReferenceLinearJavaFull.create()) {
            check("linear", none, none::forward);
            check("linear", full, full::forward);
        }
    }
}
