package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Mean over axes (every axis when {@code axes} is empty), keeping them as size 1 when {@code keepDims}. */
public record Mean(List<Integer> axes, boolean keepDims) implements AxisReduction {
    public Mean {
        axes = List.copyOf(axes);
    }

    public String kind() { return "mean"; }

    /** How many elements each output averaged (symbolic when a reduced axis is). */
    public Dim divisor(TensorType input, List<Integer> axes) {
        Dim count = Dim.of(1);
        for (int a : axes) count = count.times(input.dims().get(a));
        return count;
    }
}
