package dev.mithril.processor;

import static dev.mithril.dsl.builder.Layers.linear;
import static dev.mithril.dsl.builder.Layers.relu;

import dev.mithril.dsl.builder.Sequential;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Models and comparisons shared by the tests, this module's and (through its test jar) the ND4J module's. */
public final class Models {
    private Models() {}

    /** Linear layers of the given widths with ReLU between them, named like nn.Sequential ({@code layers.0}, ...). */
    public static Graph mlp(int... widths) {
        Sequential s = Sequential.input("x", "batch", widths[0]);
        for (int i = 1; i < widths.length; i++) {
            s.then(linear(widths[i]));
            if (i < widths.length - 1) s.then(relu());
        }
        return s.output("logits");
    }

    /** Largest |a - b| over the largest |b|: the error relative to the output's magnitude. */
    public static double relativeError(Tensor actual, Tensor expected) {
        return relativeError(actual, expected, 0);
    }

    /** As {@link #relativeError(Tensor, Tensor)}, over the larger of the largest |b| and {@code floor}. */
    public static double relativeError(Tensor actual, Tensor expected, double floor) {
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
        return diff / Math.max(Math.max(max, floor), 1e-30);
    }

    /** Random inputs for {@code g} with its {@code batch} dimension set, each in its input's float type. */
    public static Map<String, Tensor> randomInputs(Graph g, int batch, SplittableRandom r) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (Node n : g.inputs()) {
            int[] shape = n.type().dims().stream().mapToInt(d -> (int) d.evaluate(Map.of("batch", batch))).toArray();
            Tensor t = Tensor.random(r.nextLong(), shape);
            in.put(n.name(), n.type().dtype() == DType.F64 ? t.toF64() : t);
        }
        return in;
    }

    /** Copies of the tensors: a model's outputs are its buffers, which its next call overwrites. */
    public static Map<String, Tensor> copies(Map<String, Tensor> m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }

    /** {@code create(7)} of generated class {@code name} from {@code loader}: every backend's classes get the same parameters. */
    public static CompiledModel create(ClassLoader loader, String name) {
        try {
            return (CompiledModel) loader.loadClass(name).getMethod("create", long.class).invoke(null, 7L);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot create " + name, e);
        }
    }
}
