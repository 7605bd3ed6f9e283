package dev.mithril.dsl.ops;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;

/** Sum over axes (every axis when {@code axes} is empty), keeping them as size 1 when {@code keepDims}. */
public record Sum(List<Integer> axes, boolean keepDims) implements AxisReduction {
    public Sum {
        axes = List.copyOf(axes);
    }

    public String kind() { return "sum"; }

    /** 1: each input element gets the whole gradient of its sum. */
    public Dim divisor(TensorType input, List<Integer> axes) { return Dim.of(1); }
}
