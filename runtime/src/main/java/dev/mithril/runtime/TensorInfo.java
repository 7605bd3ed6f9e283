package dev.mithril.runtime;

/**
 * One entry of a safetensors header: {@code begin} and {@code end} are byte offsets relative to the start
 * of the data section (after the 8-byte length and the JSON header).
 */
public record TensorInfo(String name, DType dtype, int[] shape, long begin, long end) {
    public TensorInfo {
        shape = shape.clone();
    }

    /** The shape (a copy). */
    @Override public int[] shape() { return shape.clone(); }

    /** Number of elements. */
    public long elements() {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    @Override public String toString() {
        return name + ": " + dtype.safetensorsName() + " " + Tensor.shapeString(shape) + " @ [" + begin + ", " + end + ")";
    }
}
