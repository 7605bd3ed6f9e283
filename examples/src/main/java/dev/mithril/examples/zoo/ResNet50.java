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
 * torchvision's {@code resnet50} (v1.5: the stride on each stage's first 3x3 convolution) for 224x224 RGB images and
 * 1000 classes, its parameters named as torchvision's state dict, so that its weights load directly. Generated at level
 * Full only ({@code ResNet50JavaFull}). {@link Zoo#resnet(int, int, int)} builds the same graph at run time.
 */
@Model(levels = Level.FULL)
public interface ResNet50 {
    @Input(shape = {"batch", "3", "224", "224"}) Tensor x();

    @Conv2d(out = 64, kernel = 7, stride = 2, padding = 3, bias = false) Tensor conv1(Tensor x);

    @BatchNorm @Relu Tensor bn1(Tensor conv1);

    @MaxPool2d(kernel = 3, stride = 2, padding = 1) Tensor maxpool(Tensor bn1);

    @Name("layer1.0") @With({"inplanes=64", "planes=64", "stride=1", "size=56"}) BottleneckDownsample layer1_0(Tensor maxpool);

    @Name("layer1.1") @With({"planes=64", "size=56"}) Bottleneck layer1_1(Tensor layer1_0);

    @Name("layer1.2") @With({"planes=64", "size=56"}) Bottleneck layer1_2(Tensor layer1_1);

    @Name("layer2.0") @With({"inplanes=256", "planes=128", "stride=2", "size=56"}) BottleneckDownsample layer2_0(Tensor layer1_2);

    @Name("layer2.1") @With({"planes=128", "size=28"}) Bottleneck layer2_1(Tensor layer2_0);

    @Name("layer2.2") @With({"planes=128", "size=28"}) Bottleneck layer2_2(Tensor layer2_1);

    @Name("layer2.3") @With({"planes=128", "size=28"}) Bottleneck layer2_3(Tensor layer2_2);

    @Name("layer3.0") @With({"inplanes=512", "planes=256", "stride=2", "size=28"}) BottleneckDownsample layer3_0(Tensor layer2_3);

    @Name("layer3.1") @With({"planes=256", "size=14"}) Bottleneck layer3_1(Tensor layer3_0);

    @Name("layer3.2") @With({"planes=256", "size=14"}) Bottleneck layer3_2(Tensor layer3_1);

    @Name("layer3.3") @With({"planes=256", "size=14"}) Bottleneck layer3_3(Tensor layer3_2);

    @Name("layer3.4") @With({"planes=256", "size=14"}) Bottleneck layer3_4(Tensor layer3_3);

    @Name("layer3.5") @With({"planes=256", "size=14"}) Bottleneck layer3_5(Tensor layer3_4);

    @Name("layer4.0") @With({"inplanes=1024", "planes=512", "stride=2", "size=14"}) BottleneckDownsample layer4_0(Tensor layer3_5);

    @Name("layer4.1") @With({"planes=512", "size=7"}) Bottleneck layer4_1(Tensor layer4_0);

    @Name("layer4.2") @With({"planes=512", "size=7"}) Bottleneck layer4_2(Tensor layer4_1);

    @AdaptiveAvgPool2d(1) Tensor avgpool(Tensor layer4_2);

    @Flatten Tensor flat(Tensor avgpool);

    @Output @Name("fc") @Linear(out = 1000) Tensor logits(Tensor flat);
}
