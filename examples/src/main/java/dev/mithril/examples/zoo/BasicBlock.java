package dev.mithril.examples.zoo;

import dev.mithril.dsl.Add;
import dev.mithril.dsl.BatchNorm;
import dev.mithril.dsl.Conv2d;
import dev.mithril.dsl.Hyper;
import dev.mithril.dsl.Input;
import dev.mithril.dsl.Model;
import dev.mithril.dsl.Name;
import dev.mithril.dsl.Output;
import dev.mithril.dsl.Relu;
import dev.mithril.runtime.Tensor;

/**
 * torchvision's {@code BasicBlock} where input and output agree in size and channels:
 * {@code relu(bn2(conv2(relu(bn1(conv1(x))))) + x)} with 3x3 convolutions. Embedded with {@code @With} (see {@link ResNet18}).
 */
@Model(generate = false)
public interface BasicBlock {
    /** Channels in and out. */
    @Hyper int planes();

    /** Height and width of the (square) input. */
    @Hyper int size();

    @Input(shape = {"batch", "planes", "size", "size"}) Tensor x();

    @Conv2d(outExpr = "planes", kernel = 3, padding = 1, bias = false) Tensor conv1(Tensor x);

    @BatchNorm @Relu Tensor bn1(Tensor conv1);

    @Conv2d(outExpr = "planes", kernel = 3, padding = 1, bias = false) Tensor conv2(Tensor bn1);

    @BatchNorm Tensor bn2(Tensor conv2);

    @Add Tensor sum(Tensor bn2, Tensor x);

    @Output @Relu Tensor out(Tensor sum);
}
