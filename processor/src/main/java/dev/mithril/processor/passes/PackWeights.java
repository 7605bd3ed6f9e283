package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Conv2d;
import dev.mithril.dsl.ops.Linear;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.processor.Program;
import dev.mithril.processor.ops.FusedConv2d;
import dev.mithril.processor.ops.FusedLinear;
import dev.mithril.runtime.DType;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Marks the weights of linear layers for pre-packing: the matrix-product kernel reads weights in its
 * own panel layout, so packing them once when parameters change saves a full copy of every weight per call.
 * Float32 convolutions are marked too, by the convolution's node name (their weight may be one folded from a batch
 * norm): inference prepares their weights once ({@code Conv2d.prepack}), which the small output planes of a batch
 * of one (ResNet's last layers) multiply without packing the weight on every call.
 */
public final class PackWeights implements Pass {
    public String name() { return "pack-weights"; }

    public Program apply(Program p) {
        Set<String> packed = new LinkedHashSet<>();
        for (Node n : p.graph().nodes()) {
            if ((n.op() instanceof Linear || n.op() instanceof FusedLinear) && n.input(1).op() instanceof Parameter)
                packed.add(n.input(1).name());
            else if ((n.op() instanceof Conv2d || n.op() instanceof FusedConv2d) && n.input(1).op() instanceof Parameter
                    && n.type().dtype() == DType.F32)
                packed.add(n.name());
        }
        return p.withPackedWeights(packed);
    }
}
