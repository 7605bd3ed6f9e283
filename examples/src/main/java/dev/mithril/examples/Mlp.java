package dev.mithril.examples;

import static dev.mithril.dsl.Backend.JAVA;
import static dev.mithril.dsl.Level.BASIC;
import static dev.mithril.dsl.Level.FULL;
import static dev.mithril.dsl.Level.NONE;

import dev.mithril.dsl.Input;
import dev.mithril.dsl.Linear;
import dev.mithril.dsl.Model;
import dev.mithril.dsl.Name;
import dev.mithril.dsl.Output;
import dev.mithril.dsl.Relu;
import dev.mithril.runtime.Tensor;

/**
 * A multi-layer perceptron for MNIST-sized inputs: 784 → 1024 → 512 → 256 → 10, ReLU between the
 * layers. The {@code @Name}s are the indices PyTorch gives the layers of
 * {@code nn.Sequential(Linear, ReLU, Linear, ReLU, Linear, ReLU, Linear)}, so a state dict saved
 * from such a model ({@code layers.0.weight}, {@code layers.0.bias}, ..., {@code layers.6.bias})
 * loads as it is.
 *
 * <p>The annotation processor generates {@code MlpModel} and one class per level:
 *
 * <pre>{@code
 * try (MlpModel mlp = MlpJavaFull.create()) {          // or MlpJavaNone / MlpJavaBasic
 *     mlp.load(Path.of("mlp.safetensors"));            // PyTorch names, shapes checked
 *     Tensor logits = mlp.forward(Tensor.random(1, 32, 784));   // [32, 10]
 * }
 * }</pre>
 */
@Model(backends = JAVA, levels = {NONE, BASIC, FULL})
public interface Mlp {
    @Input(shape = {"batch", "784"}) Tensor x();

    @Name("layers.0") @Linear(out = 1024) @Relu Tensor h1(Tensor x);
    @Name("layers.2") @Linear(out = 512)  @Relu Tensor h2(Tensor h1);
    @Name("layers.4") @Linear(out = 256)  @Relu Tensor h3(Tensor h2);
    @Name("layers.6") @Output @Linear(out = 10) Tensor logits(Tensor h3);
}
