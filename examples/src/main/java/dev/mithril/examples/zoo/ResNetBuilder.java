package dev.mithril.examples.zoo;

import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.runtime.DType;
import java.util.List;
import java.util.Map;

/**
 * torchvision's ResNet as a builder function ({@code reference_models.ResNet}): a 7x7 stride-2 stem, 3x3
 * max pooling, four stages of residual blocks at widths {@code w, 2w, 4w, 8w} (the last three starting with
 * stride 2), global average pooling and {@code fc}. Depths 18 and 34 use {@code BasicBlock} (two 3x3
 * convolutions), 50, 101 and 152 {@code Bottleneck} (1x1, 3x3, 1x1 with 4x expansion). A block whose input
 * differs from its output in size or channels has a {@code downsample} branch: a strided 1x1 convolution
 * ({@code downsample.0}) and batch norm ({@code downsample.1}).
 *
 * <p>Nodes are added in the order torchvision registers the modules (the downsample branch after the
 * block's main path), so the graph's parameters come in state-dict order.
 */
final class ResNetBuilder {
    /** Blocks per stage, and whether they are bottlenecks, by depth. */
    private record Layout(boolean bottleneck, List<Integer> counts) {
        int expansion() { return bottleneck ? 4 : 1; }
    }

    private static final Map<Integer, Layout> LAYOUTS = Map.of(
            18, new Layout(false, List.of(2, 2, 2, 2)),
            34, new Layout(false, List.of(3, 4, 6, 3)),
            50, new Layout(true, List.of(3, 4, 6, 3)),
            101, new Layout(true, List.of(3, 4, 23, 3)),
            152, new Layout(true, List.of(3, 8, 36, 3)));

    private ResNetBuilder() {}

    static Graph build(int depth, int numClasses, int width, int inChannels, int height, int imageWidth, DType dtype) {
        Layout layout = LAYOUTS.get(depth);
        if (layout == null) throw new IllegalArgumentException("resnet: depth " + depth + " is not one of torchvision's (18, 34, 50, 101, 152)");
        if (numClasses < 1 || width < 1 || inChannels < 1) throw new IllegalArgumentException("resnet: num_classes (" + numClasses
                + "), width (" + width + ") and in_channels (" + inChannels + ") must be positive");
        ModelBuilder m = new ModelBuilder("ResNet" + depth);
        if (dtype != DType.F32 && dtype != DType.F64) throw new IllegalArgumentException("resnet: dtype " + dtype + " is not F32 or F64");
        Value x = m.input("x", dtype, "batch", inChannels, height, imageWidth); // parameters take the input's float type
        Value h = x.conv2d("conv1", width, 7, 7, 2, 3, 1, 1, false).batchNorm("bn1").relu().maxPool2d(3, 2, 1);
        int inplanes = width;
        for (int stage = 0; stage < 4; stage++) {
            int planes = width << stage;
            for (int b = 0; b < layout.counts().get(stage); b++) {
                String prefix = "layer" + (stage + 1) + "." + b + ".";
                int stride = b == 0 && stage > 0 ? 2 : 1;
                h = layout.bottleneck() ? bottleneck(h, prefix, inplanes, planes, stride) : basicBlock(h, prefix, inplanes, planes, stride);
                inplanes = planes * layout.expansion();
            }
        }
        Value pooled = h.adaptiveAvgPool2d(1, 1).flatten();
        m.output("logits", pooled.linear("fc", numClasses));
        return m.build();
    }

    /** {@code relu(bn2(conv2(relu(bn1(conv1(x))))) + identity)}. */
    private static Value basicBlock(Value x, String p, int inplanes, int planes, int stride) {
        Value out = x.conv2d(p + "conv1", planes, 3, 3, stride, 1, 1, 1, false).batchNorm(p + "bn1").relu();
        out = out.conv2d(p + "conv2", planes, 3, 3, 1, 1, 1, 1, false).batchNorm(p + "bn2");
        return out.plus(identity(x, p, inplanes, planes, stride)).relu();
    }

    /** {@code relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + identity)}, the stride on the 3x3. */
    private static Value bottleneck(Value x, String p, int inplanes, int planes, int stride) {
        Value out = x.conv2d(p + "conv1", planes, 1, 1, 1, 0, 1, 1, false).batchNorm(p + "bn1").relu();
        out = out.conv2d(p + "conv2", planes, 3, 3, stride, 1, 1, 1, false).batchNorm(p + "bn2").relu();
        out = out.conv2d(p + "conv3", planes * 4, 1, 1, 1, 0, 1, 1, false).batchNorm(p + "bn3");
        return out.plus(identity(x, p, inplanes, planes * 4, stride)).relu();
    }

    /** The block's input, or its downsampling where torchvision has one (stride or channel count changes). */
    private static Value identity(Value x, String p, int inplanes, int outPlanes, int stride) {
        if (stride == 1 && inplanes == outPlanes) return x;
        return x.conv2d(p + "downsample.0", outPlanes, 1, 1, stride, 0, 1, 1, false).batchNorm(p + "downsample.1");
    }
}
