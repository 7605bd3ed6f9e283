package dev.mithril.dsl.ir;

import dev.mithril.runtime.DType;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The type of a node's value: element type and symbolic shape, e.g. {@code float32[batch, 784]}. */
public record TensorType(DType dtype, List<Dim> dims) {
    public TensorType {
        dims = List.copyOf(dims);
    }

    public static TensorType of(DType dtype, Dim... dims) { return new TensorType(dtype, List.of(dims)); }

    public static TensorType f32(long... sizes) {
        return new TensorType(DType.F32, java.util.Arrays.stream(sizes).mapToObj(Dim::of).toList());
    }

    /** Parses dimension strings such as {@code {"batch", "784"}}. */
    public static TensorType parse(DType dtype, String... dims) {
        return new TensorType(dtype, java.util.Arrays.stream(dims).map(Dim::parse).toList());
    }

    public int rank() { return dims.size(); }

    /** The dimension at {@code axis}; negative counts from the end. */
    public Dim dim(int axis) { return dims.get(normalizeAxis(axis)); }

    /** {@code axis} made non-negative; throws if out of range. */
    public int normalizeAxis(int axis) {
        int a = axis < 0 ? axis + rank() : axis;
        if (a < 0 || a >= rank()) throw new IndexOutOfBoundsException("axis " + axis + " is out of range for " + this);
        return a;
    }

    public boolean isFixed() { return dims.stream().allMatch(Dim::isFixed); }

    /** The element count as a symbolic product. */
    public Dim elements() {
        Dim n = Dim.of(1);
        for (Dim d : dims) n = n.times(d);
        return n;
    }

    public TensorType withDims(List<Dim> newDims) { return new TensorType(dtype, newDims); }

    public TensorType bind(Map<String, ? extends Number> sizes) {
        return new TensorType(dtype, dims.stream().map(d -> d.bind(sizes)).toList());
    }

    /** Shape part only, e.g. {@code [batch, 784]}. */
    public String shapeString() {
        return dims.stream().map(Dim::toString).collect(Collectors.joining(", ", "[", "]"));
    }

    @Override public String toString() { return dtype.displayName() + shapeString(); }
}
