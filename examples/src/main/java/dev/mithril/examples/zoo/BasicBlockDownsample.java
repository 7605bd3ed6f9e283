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
 * torchvision's {@code BasicBlock} whose first convolution strides or changes the channel count, so that the shortcut
 * is a strided 1x1 convolution ({@code downsample.0}) and batch norm ({@code downsample.1}).
 */
@Model(generate = false)
public interface BasicBlockDownsample {
    /** Input channels. */
    @Hyper int inplanes();

    /** Output channels. */
    @Hyper int planes();

    /** Stride of the first convolution and of the shortcut. */
    @Hyper int stride();

    /** Height and width of the (square) input. */
    @Hyper int size();

    @Input(shape = {"batch", "inplanes", "size", "size"}) Tensor x();

    @Conv2d(outExpr = "planes", kernel = 3, strideExpr = "stride", padding = 1, bias = false) Tensor conv1(Tensor x);

    @BatchNorm @Relu Tensor bn1(Tensor conv1);

    @Conv2d(outExpr = "planes", kernel = 3, padding = 1, bias = false) Tensor conv2(Tensor bn1);

    @BatchNorm Tensor bn2(Tensor conv2);

    @Name("downsample.0") @Conv2d(outExpr = "planes", kernel = 1, strideExpr = "stride", bias = false) Tensor shortcutConv(Tensor x);

    @Name("downsample.1") @BatchNorm Tensor shortcut(Tensor shortcutConv);

    @Add Tensor sum(Tensor bn2, Tensor shortcut);

    @Output @Relu Tensor out(Tensor sum);
}
