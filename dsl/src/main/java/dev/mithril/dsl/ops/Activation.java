package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** An elementwise activation ({@link Relu}, {@link Sigmoid}, {@link Tanh}, {@link Gelu}): one floating-point input, its type out. */
interface Activation extends Op {
    @Override default TensorType infer(List<Node> inputs) {
        return Rules.floatingInput(inputs).type();
    }

    @Override default boolean isElementwise() { return true; }
}
