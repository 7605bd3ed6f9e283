package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Linear;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.processor.Program;
import dev.mithril.processor.ops.FusedLinear;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Marks the weights of linear layers for pre-packing: the matrix-product kernel reads weights in its
 * own panel layout, so packing them once when parameters change saves a full copy of every weight per call.
 */
public final class PackWeights implements Pass {
    public String name() { return "pack-weights"; }

    public Program apply(Program p) {
        Set<String> packed = new LinkedHashSet<>();
        for (Node n : p.graph().nodes()) {
            if ((n.op() instanceof Linear || n.op() instanceof FusedLinear) && n.input(1).op() instanceof Parameter)
                packed.add(n.input(1).name());
        }
        return p.withPackedWeights(packed);
    }
}
