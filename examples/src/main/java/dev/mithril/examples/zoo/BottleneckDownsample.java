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
 * torchvision's {@code Bottleneck} opening a stage: its 3x3 convolution strides (torchvision v1.5) and its shortcut is a
 * strided 1x1 convolution ({@code downsample.0}) and batch norm ({@code downsample.1}) from {@code inplanes} to
 * {@code 4 * planes} channels.
 */
@Model(generate = false)
public interface BottleneckDownsample {
    /** Input channels. */
    @Hyper int inplanes();

    /** Channels inside the block; the output has four times as many. */
    @Hyper int planes();

    /** Stride of the 3x3 convolution and of the shortcut. */
    @Hyper int stride();

    /** Height and width of the (square) input. */
    @Hyper int size();

    @Input(shape = {"batch", "inplanes", "size", "size"}) Tensor x();

    @Conv2d(outExpr = "planes", kernel = 1, bias = false) Tensor conv1(Tensor x);

    @BatchNorm @Relu Tensor bn1(Tensor conv1);

    @Conv2d(outExpr = "planes", kernel = 3, strideExpr = "stride", padding = 1, bias = false) Tensor conv2(Tensor bn1);

    @BatchNorm @Relu Tensor bn2(Tensor conv2);

    @Conv2d(outExpr = "4*planes", kernel = 1, bias = false) Tensor conv3(Tensor bn2);

    @BatchNorm Tensor bn3(Tensor conv3);

    @Name("downsample.0") @Conv2d(outExpr = "4*planes", kernel = 1, strideExpr = "stride", bias = false) Tensor shortcutConv(Tensor x);

    @Name("downsample.1") @BatchNorm Tensor shortcut(Tensor shortcutConv);

    @Add Tensor sum(Tensor bn3, Tensor shortcut);

    @Output @Relu Tensor out(Tensor sum);
}
