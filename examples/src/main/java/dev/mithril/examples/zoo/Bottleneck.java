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
 * torchvision's {@code Bottleneck} where input and output agree: 1x1 down to {@code planes} channels, 3x3, 1x1 up to
 * {@code 4 * planes}, then the input added back: {@code relu(bn3(conv3(...)) + x)}. Embedded with {@code @With} (see {@link ResNet50}).
 */
@Model(generate = false)
public interface Bottleneck {
    /** Channels inside the block; input and output have four times as many. */
    @Hyper int planes();

    /** Height and width of the (square) input. */
    @Hyper int size();

    @Input(shape = {"batch", "4*planes", "size", "size"}) Tensor x();

    @Conv2d(outExpr = "planes", kernel = 1, bias = false) Tensor conv1(Tensor x);

    @BatchNorm @Relu Tensor bn1(Tensor conv1);

    @Conv2d(outExpr = "planes", kernel = 3, padding = 1, bias = false) Tensor conv2(Tensor bn1);

    @BatchNorm @Relu Tensor bn2(Tensor conv2);

    @Conv2d(outExpr = "4*planes", kernel = 1, bias = false) Tensor conv3(Tensor bn2);

    @BatchNorm Tensor bn3(Tensor conv3);

    @Add Tensor sum(Tensor bn3, Tensor x);

    @Output @Relu Tensor out(Tensor sum);
}
