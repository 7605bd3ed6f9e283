package dev.mithril.examples.zoo;

import dev.mithril.dsl.AdaptiveAvgPool2d;
import dev.mithril.dsl.BatchNorm;
import dev.mithril.dsl.Conv2d;
import dev.mithril.dsl.Flatten;
import dev.mithril.dsl.Input;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.Linear;
import dev.mithril.dsl.MaxPool2d;
import dev.mithril.dsl.Model;
import dev.mithril.dsl.Name;
import dev.mithril.dsl.Output;
import dev.mithril.dsl.Relu;
import dev.mithril.dsl.With;
import dev.mithril.runtime.Tensor;


/**
 * torchvision's {@code resnet18} for 224x224 RGB images and 1000 classes, its parameters named as torchvision's state dict
 * ({@code conv1.weight}, {@code layer2.0.downsample.1.running_var}, {@code fc.bias}, ...), so that its weights load
 * directly. Generated at level Full only ({@code ResNet18JavaFull}): a network this size takes javac a while per level.
 * {@link Zoo#resnet(int, int, int)} builds the same graph at run time for any depth, width and class count.
 */
@Model(levels = Level.FULL)
public interface ResNet18 {
    @Input(shape = {"batch", "3", "224", "224"}) Tensor x();

    @Conv2d(out = 64, kernel = 7, stride = 2, padding = 3, bias = false) Tensor conv1(Tensor x);

    @BatchNorm @Relu Tensor bn1(Tensor conv1);

    @MaxPool2d(kernel = 3, stride = 2, padding = 1) Tensor maxpool(Tensor bn1);

    @Name("layer1.0") @With({"planes=64", "size=56"}) BasicBlock layer1_0(Tensor maxpool);

    @Name("layer1.1") @With({"planes=64", "size=56"}) BasicBlock layer1_1(Tensor layer1_0);

    @Name("layer2.0") @With({"inplanes=64", "planes=128", "stride=2", "size=56"}) BasicBlockDownsample layer2_0(Tensor layer1_1);

    @Name("layer2.1") @With({"planes=128", "size=28"}) BasicBlock layer2_1(Tensor layer2_0);

    @Name("layer3.0") @With({"inplanes=128", "planes=256", "stride=2", "size=28"}) BasicBlockDownsample layer3_0(Tensor layer2_1);

    @Name("layer3.1") @With({"planes=256", "size=14"}) BasicBlock layer3_1(Tensor layer3_0);

    @Name("layer4.0") @With({"inplanes=256", "planes=512", "stride=2", "size=14"}) BasicBlockDownsample layer4_0(Tensor layer3_1);

    @Name("layer4.1") @With({"planes=512", "size=7"}) BasicBlock layer4_1(Tensor layer4_0);

    @AdaptiveAvgPool2d(1) Tensor avgpool(Tensor layer4_1);

    @Flatten Tensor flat(Tensor avgpool);

    @Output @Name("fc") @Linear(out = 1000) Tensor logits(Tensor flat);
}
