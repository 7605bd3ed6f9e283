package dev.mithril.examples;

import static dev.mithril.dsl.Backend.JAVA;
import static dev.mithril.dsl.Level.FULL;
import static dev.mithril.dsl.Level.NONE;

import dev.mithril.dsl.BatchNorm;
import dev.mithril.dsl.Conv2d;
import dev.mithril.dsl.Flatten;
import dev.mithril.dsl.Input;
import dev.mithril.dsl.Linear;
import dev.mithril.dsl.MaxPool2d;
import dev.mithril.dsl.Model;
import dev.mithril.dsl.Output;
import dev.mithril.dsl.Relu;
import dev.mithril.dsl.Reshape;
import dev.mithril.runtime.Tensor;

/**
 * A small convolutional network for 28x28 grey images such as Fashion-MNIST's: two blocks of 3x3 convolution,
 * batch norm, ReLU and 2x2 max pooling (1 → 32 → 64 channels, 28 → 14 → 7 pixels), then 3136 → 128 → 10.
 * It takes the same flat {@code [batch, 784]} rows as {@link Mlp}, so the two train on the same batches.
 *
 * <p>{@code ./mithril train-mnist --model cnn --epochs 3} (level Full, SGD momentum 0.9, lr 0.05, batch 128, cosine
 * schedule, seed 1) reaches 91.0% test accuracy (88.5%, 90.7%, 91.0% after epochs 1 to 3), at about 1000 training
 * images per second on two cores: about a minute per epoch.
 *
 * <pre>{@code
 * try (FashionCnnModel cnn = FashionCnnJavaFull.create(1)) {   // seeded initialization
 *     Tensor logits = cnn.forward(images);                      // [batch, 784] -> [batch, 10]
 * }
 * }</pre>
 */
@Model(backends = JAVA, levels = {NONE, FULL})
public interface FashionCnn {
    @Input(shape = {"batch", "784"}) Tensor x();

    @Reshape({"batch", "1", "28", "28"}) Tensor image(Tensor x);

    @Conv2d(out = 32, kernel = 3, padding = 1, bias = false) Tensor conv1(Tensor image);
    @BatchNorm @Relu Tensor bn1(Tensor conv1);
    @MaxPool2d(kernel = 2) Tensor pool1(Tensor bn1);

    @Conv2d(out = 64, kernel = 3, padding = 1, bias = false) Tensor conv2(Tensor pool1);
    @BatchNorm @Relu Tensor bn2(Tensor conv2);
    @MaxPool2d(kernel = 2) Tensor pool2(Tensor bn2);

    @Flatten Tensor flat(Tensor pool2);
    @Linear(out = 128) @Relu Tensor fc1(Tensor flat);
    @Output @Linear(out = 10) Tensor logits(Tensor fc1);
}
