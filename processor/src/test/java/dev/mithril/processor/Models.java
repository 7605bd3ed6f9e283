package dev.mithril.processor;

import static dev.mithril.dsl.builder.Layers.linear;
import static dev.mithril.dsl.builder.Layers.relu;

import dev.mithril.dsl.builder.Sequential;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.runtime.Tensor;

/** Models and comparisons shared by the tests. */
final class Models {
    private Models() {}

    /** Linear layers of the given widths with ReLU between them, named like nn.Sequential ({@code layers.0}, ...). */
    static Graph mlp(int... widths) {
        Sequential s = Sequential.input("x", "batch", widths[0]);
        for (int i = 1; i < widths.length; i++) {
            s.then(linear(widths[i]));
            if (i < widths.length - 1) s.then(relu());
        }
        return s.output("logits");
    }

    /** Largest |a - b| over the largest |b|: the error relative to the output's magnitude. */
    static double relativeError(Tensor actual, Tensor expected) {
        if (!java.util.Arrays.equals(actual.shape(), expected.shape()))
            throw new AssertionError("shape " + Tensor.shapeString(actual.shape()) + " != " + Tensor.shapeString(expected.shape()));
        if (actual.dtype() != expected.dtype()) throw new AssertionError("dtype " + actual.dtype() + " != " + expected.dtype());
        double[] a = actual.toF64().doubles(), e = expected.toF64().doubles();
        double max = 0, diff = 0;
        for (int i = 0; i < expected.size(); i++) {
            max = Math.max(max, Math.abs(e[i]));
            double d = Math.abs(a[i] - e[i]);
            if (Double.isNaN(d)) d = Double.isNaN(a[i]) && Double.isNaN(e[i]) ? 0 : Double.POSITIVE_INFINITY;
            diff = Math.max(diff, d);
        }
        return diff / Math.max(max, 1e-30);
    }
}
