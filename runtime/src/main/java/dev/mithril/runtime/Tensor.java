package dev.mithril.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A dense, row-major, contiguous n-dimensional array with a {@link DType}.
 *
 * <p>Storage is a heap array chosen by dtype ({@code float[]} for F32, {@code double[]} for F64,
 * {@code long[]} for I64, {@code int[]} for I32) or a {@link MemorySegment} (off-heap memory from an
 * {@link Arena} or a mapped file, and F16/BF16 data). Tensors that own off-heap memory free it in
 * {@link #close()}; for heap tensors {@code close()} does nothing, so try-with-resources is always safe.
 *
 * <pre>{@code
 * Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
 * Tensor y = Kernels.relu(x.reshape(3, -1));   // [3, 2]
 * float v = y.get(2, 1);                        // 6.0
 * }</pre>
 */
public final class Tensor implements AutoCloseable {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType dtype;
    private final int[] shape;
    private final int size;
    /** float[], double[], long[] or int[]; null while the values live only in {@link #segment}. */
    private Object heap;
    /** Off-heap (or raw F16/BF16) storage; null for heap tensors. */
    private final MemorySegment segment;
    /** The arena this tensor must close, or null when it does not own its memory. */
    private Arena owner;

    private Tensor(DType dtype, int[] shape, Object heap, MemorySegment segment, Arena owner) {
        this.dtype = dtype;
        this.shape = shape;
        this.size = checkedSize("Tensor", shape);
        this.heap = heap;
        this.segment = segment;
        this.owner = owner;
    }

    // ---------------------------------------------------------------- factories

    /** A new F32 tensor of zeros. */
    public static Tensor zeros(int... shape) { return zeros(DType.F32, shape); }

    /** A new tensor of zeros of the given dtype; F16/BF16 are held as raw little-endian bytes on the heap. */
    public static Tensor zeros(DType dtype, int... shape) {
        int[] s = shape.clone();
        int n = checkedSize("Tensor.zeros", s);
        return switch (dtype) {
            case F32 -> new Tensor(dtype, s, new float[n], null, null);
            case F64 -> new Tensor(dtype, s, new double[n], null, null);
            case I64 -> new Tensor(dtype, s, new long[n], null, null);
            case I32 -> new Tensor(dtype, s, new int[n], null, null);
            case F16, BF16 -> new Tensor(dtype, s, null, MemorySegment.ofArray(new byte[n * 2]), null);
        };
    }

    /** Wraps {@code data} (no copy) as an F32 tensor; {@code data.length} must equal the shape's element count. */
    public static Tensor of(float[] data, int... shape) {
        int[] s = shape.clone();
        checkLength("Tensor.of", data.length, s);
        return new Tensor(DType.F32, s, data, null, null);
    }

    /** Wraps {@code data} (no copy) as an F64 tensor. */
    public static Tensor of(double[] data, int... shape) {
        int[] s = shape.clone();
        checkLength("Tensor.of", data.length, s);
        return new Tensor(DType.F64, s, data, null, null);
    }

    /**
     * A view of the first {@code size} elements of {@code storage} (no copy) as an F32 tensor of {@code shape};
     * {@code storage} may be longer than the shape needs. Generated code allocates one array per planned buffer,
     * sized for its largest user, and views it at each user's shape. Kernels read and write only the first
     * {@link #size()} elements; {@link #data()} returns the whole array, so code reading it directly must stop at
     * {@code size()}.
     *
     * <pre>{@code
     * float[] buffer = new float[12];
     * Tensor a = Tensor.view(buffer, 3, 4);   // all 12
     * Tensor b = Tensor.view(buffer, 2, 3);   // the first 6
     * }</pre>
     *
     * @throws IllegalArgumentException if {@code storage} is shorter than the shape needs
     */
    public static Tensor view(float[] storage, int... shape) {
        int[] s = shape.clone();
        checkCapacity("Tensor.view", storage.length, s);
        return new Tensor(DType.F32, s, storage, null, null);
    }

    /** {@link #view(float[], int...)} for F64: the first {@code size} elements of {@code storage}. */
    public static Tensor view(double[] storage, int... shape) {
        int[] s = shape.clone();
        checkCapacity("Tensor.view", storage.length, s);
        return new Tensor(DType.F64, s, storage, null, null);
    }

    /** Wraps {@code data} (no copy) as an I64 tensor. */
    public static Tensor ofLongs(long[] data, int... shape) {
        int[] s = shape.clone();
        checkLength("Tensor.ofLongs", data.length, s);
        return new Tensor(DType.I64, s, data, null, null);
    }

    /** Wraps {@code data} (no copy) as an I32 tensor. */
    public static Tensor ofInts(int[] data, int... shape) {
        int[] s = shape.clone();
        checkLength("Tensor.ofInts", data.length, s);
        return new Tensor(DType.I32, s, data, null, null);
    }

    /**
     * Views {@code segment} (little-endian) as a tensor without copying. If {@code owner} is non-null the
     * tensor closes it in {@link #close()}.
     */
    public static Tensor ofSegment(DType dtype, MemorySegment segment, Arena owner, int... shape) {
        int[] s = shape.clone();
        long n = checkedSize("Tensor.ofSegment", s);
        if (segment.byteSize() != n * dtype.byteSize()) {
            throw new IllegalArgumentException("Tensor.ofSegment: segment has " + segment.byteSize() + " bytes but "
                    + dtype.safetensorsName() + " " + shapeString(s) + " needs " + n * dtype.byteSize());
        }
        return new Tensor(dtype, s, null, segment, owner);
    }

    /** A rank-0 F32 tensor holding {@code v}. */
    public static Tensor scalar(float v) { return new Tensor(DType.F32, new int[0], new float[] {v}, null, null); }

    /** F32 values uniform in [-1, 1), the same for the same seed and shape. */
    public static Tensor random(long seed, int... shape) {
        Tensor t = zeros(shape);
        float[] d = (float[]) t.heap;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
        return t;
    }

    /** F32 values from a standard normal distribution, the same for the same seed and shape. */
    public static Tensor randn(long seed, int... shape) {
        Tensor t = zeros(shape);
        float[] d = (float[]) t.heap;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < d.length; i += 2) {
            // Box-Muller: two independent normals per pair of uniforms.
            double u1 = 1.0 - r.nextDouble(), u2 = r.nextDouble();
            double rad = Math.sqrt(-2 * Math.log(u1));
            d[i] = (float) (rad * Math.cos(2 * Math.PI * u2));
            if (i + 1 < d.length) d[i + 1] = (float) (rad * Math.sin(2 * Math.PI * u2));
        }
        return t;
    }

    // ---------------------------------------------------------------- shape

    public DType dtype() { return dtype; }

    /** The shape (a copy). */
    public int[] shape() { return shape.clone(); }

    /**
     * The shape itself, not a copy, for the runtime's own checks in kernels called every training step (which must
     * not allocate). Callers never write to it.
     */
    int[] shapeArray() { return shape; }

    public int rank() { return shape.length; }

    /** The size of {@code axis}; a negative axis counts from the end ({@code -1} is the last). */
    public int dim(int axis) { return shape[normalizeAxis("Tensor.dim", axis, shape.length)]; }

    /** Number of elements. */
    public int size() { return size; }

    public boolean sameShape(Tensor o) { return Arrays.equals(shape, o.shape); }

    // ---------------------------------------------------------------- storage

    /**
     * The F32 values as a heap array, shared with this tensor (writes are visible through it). For a
     * {@link #view} the array may be longer than {@link #size()}; only its first {@code size()} elements are this
     * tensor's.
     * For an off-heap F32 tensor, or F16/BF16 data, the first call converts the values into a heap array
     * that is cached and from then on is what {@link #get}, {@link #set} and kernels read and write; the
     * off-heap memory is not updated by later writes.
     *
     * @throws IllegalStateException for F64 and integer tensors
     */
    public float[] data() {
        if (heap instanceof float[] f) return f;
        if (heap != null) throw new IllegalStateException("Tensor.data: tensor is " + dtype.safetensorsName() + ", not F32; use toF32()");
        float[] f = switch (dtype) {
            case F32 -> { float[] a = new float[size]; MemorySegment.copy(segment, F32_LE, 0, a, 0, size); yield a; }
            case F16, BF16 -> halfToFloat(dtype, segment, size);
            default -> throw new IllegalStateException("Tensor.data: tensor is " + dtype.safetensorsName() + ", not F32; use toF32()");
        };
        heap = f;
        return f;
    }

    /** The F64 values (heap array, shared; for a {@link #view}, possibly longer than {@link #size()}). */
    public double[] doubles() {
        if (dtype != DType.F64) throw new IllegalStateException("Tensor.doubles: tensor is " + dtype.safetensorsName() + ", not F64");
        if (heap == null) {
            double[] a = new double[size];
            MemorySegment.copy(segment, ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, a, 0, size);
            heap = a;
        }
        return (double[]) heap;
    }

    /** The I64 values (heap array, shared). */
    public long[] longs() {
        if (dtype != DType.I64) throw new IllegalStateException("Tensor.longs: tensor is " + dtype.safetensorsName() + ", not I64");
        if (heap == null) {
            long[] a = new long[size];
            MemorySegment.copy(segment, ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, a, 0, size);
            heap = a;
        }
        return (long[]) heap;
    }

    /** The I32 values (heap array, shared). */
    public int[] ints() {
        if (dtype != DType.I32) throw new IllegalStateException("Tensor.ints: tensor is " + dtype.safetensorsName() + ", not I32");
        if (heap == null) {
            int[] a = new int[size];
            MemorySegment.copy(segment, ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, a, 0, size);
            heap = a;
        }
        return (int[]) heap;
    }

    /**
     * The storage as a segment: {@link MemorySegment#ofArray} for heap tensors (only the {@link #size()} elements of a
     * {@link #view}), else the off-heap segment.
     */
    public MemorySegment segment() {
        return switch (heap) {
            case float[] a -> MemorySegment.ofArray(a).asSlice(0, 4L * size);
            case double[] a -> MemorySegment.ofArray(a).asSlice(0, 8L * size);
            case long[] a -> MemorySegment.ofArray(a).asSlice(0, 8L * size);
            case int[] a -> MemorySegment.ofArray(a).asSlice(0, 4L * size);
            case null, default -> segment;
        };
    }

    /** Whether this tensor's values live on the Java heap. */
    public boolean isHeap() { return heap != null; }

    // ---------------------------------------------------------------- elements

    /** The element at {@code idx} (one index per axis), converted to float. */
    public float get(int... idx) {
        int off = offset("Tensor.get", idx);
        return switch (dtype) {
            case F32, F16, BF16 -> data()[off];
            case F64 -> (float) doubles()[off];
            case I64 -> (float) longs()[off];
            case I32 -> (float) ints()[off];
        };
    }

    /** Sets the element at {@code idx} (one index per axis); integer dtypes truncate toward zero. */
    public void set(float v, int... idx) {
        int off = offset("Tensor.set", idx);
        switch (dtype) {
            case F32, F16, BF16 -> data()[off] = v;
            case F64 -> doubles()[off] = v;
            case I64 -> longs()[off] = (long) v;
            case I32 -> ints()[off] = (int) v;
        }
    }

    private int offset(String where, int[] idx) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException(where + ": " + idx.length + " indices for a rank-" + shape.length
                    + " tensor of shape " + shapeString(shape));
        }
        int off = 0;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) {
                throw new IndexOutOfBoundsException(where + ": index " + Arrays.toString(idx) + " out of bounds for shape "
                        + shapeString(shape) + " (axis " + i + ")");
            }
            off = off * shape[i] + idx[i];
        }
        return off;
    }

    // ---------------------------------------------------------------- views and copies

    /** A view of the same storage with another shape; one dimension may be {@code -1} (inferred). */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("Tensor.reshape: more than one -1 in " + shapeString(s));
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException("Tensor.reshape: negative dimension in " + shapeString(s));
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || size % known != 0) {
                throw new IllegalArgumentException("Tensor.reshape: cannot view " + shapeString(shape) + " (" + size
                        + " elements) as " + shapeString(s));
            }
            s[infer] = (int) (size / known);
            known *= s[infer];
        }
        if (known != size) {
            throw new IllegalArgumentException("Tensor.reshape: cannot view " + shapeString(shape) + " (" + size
                    + " elements) as " + shapeString(s) + " (" + known + " elements)");
        }
        if (heap == null && (dtype == DType.F16 || dtype == DType.BF16)) data(); // views share the converted values
        return new Tensor(dtype, s, heap, segment, null);
    }

    /** A deep copy on the heap (same dtype; F16/BF16 copy their raw bytes). */
    public Tensor copy() {
        return switch (dtype) {
            case F32 -> new Tensor(dtype, shape.clone(), Arrays.copyOf(data(), size), null, null);
            case F64 -> new Tensor(dtype, shape.clone(), Arrays.copyOf(doubles(), size), null, null);
            case I64 -> new Tensor(dtype, shape.clone(), Arrays.copyOf(longs(), size), null, null);
            case I32 -> new Tensor(dtype, shape.clone(), Arrays.copyOf(ints(), size), null, null);
            case F16, BF16 -> heap != null
                    ? new Tensor(DType.F32, shape.clone(), Arrays.copyOf(data(), size), null, null)
                    : new Tensor(dtype, shape.clone(), null, MemorySegment.ofArray(segment.toArray(ValueLayout.JAVA_BYTE)), null);
        };
    }

    /** This tensor as F32: itself when already a heap F32 tensor, else a converted heap copy. */
    public Tensor toF32() {
        if (dtype == DType.F32) return heap != null ? this : new Tensor(DType.F32, shape.clone(), Arrays.copyOf(data(), size), null, null);
        float[] f = new float[size];
        switch (dtype) {
            case F64 -> { double[] d = doubles(); for (int i = 0; i < size; i++) f[i] = (float) d[i]; }
            case I64 -> { long[] d = longs(); for (int i = 0; i < size; i++) f[i] = d[i]; }
            case I32 -> { int[] d = ints(); for (int i = 0; i < size; i++) f[i] = d[i]; }
            case F16, BF16 -> System.arraycopy(data(), 0, f, 0, size);
            default -> throw new AssertionError(dtype);
        }
        return new Tensor(DType.F32, shape.clone(), f, null, null);
    }

    /** This tensor as F64: itself when already a heap F64 tensor, else a converted heap copy. */
    public Tensor toF64() {
        if (dtype == DType.F64) return heap != null ? this : new Tensor(DType.F64, shape.clone(), Arrays.copyOf(doubles(), size), null, null);
        double[] d = new double[size];
        switch (dtype) {
            case I64 -> { long[] a = longs(); for (int i = 0; i < size; i++) d[i] = a[i]; }
            case I32 -> { int[] a = ints(); for (int i = 0; i < size; i++) d[i] = a[i]; }
            default -> { float[] a = data(); for (int i = 0; i < size; i++) d[i] = a[i]; }
        }
        return new Tensor(DType.F64, shape.clone(), d, null, null);
    }

    /** Frees owned off-heap memory; a no-op for heap tensors and views. Idempotent. */
    @Override public void close() {
        Arena a = owner;
        owner = null;
        if (a != null) a.close();
    }

    /** Short description: dtype, shape and the first few values. */
    @Override public String toString() {
        StringBuilder sb = new StringBuilder("Tensor(").append(dtype.safetensorsName()).append(' ').append(shapeString(shape)).append(" [");
        int n = Math.min(size, 6);
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(", ");
            switch (dtype) {
                case F64 -> sb.append(doubles()[i]);
                case I64 -> sb.append(longs()[i]);
                case I32 -> sb.append(ints()[i]);
                default -> sb.append(data()[i]);
            }
        }
        if (size > n) sb.append(", ...");
        return sb.append("])").toString();
    }

    /** Formats a shape as {@code "[2, 3]"}. */
    public static String shapeString(int[] shape) { return Arrays.toString(shape); }

    // ---------------------------------------------------------------- helpers shared in the package

    static int checkedSize(String where, int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException(where + ": negative dimension in shape " + shapeString(shape));
            n *= d;
            if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(where + ": shape " + shapeString(shape) + " has more than 2^31-1 elements");
        }
        return (int) n;
    }

    private static void checkCapacity(String where, int length, int[] shape) {
        int n = checkedSize(where, shape);
        if (length < n) {
            throw new IllegalArgumentException(where + ": storage has " + length + " elements but shape " + shapeString(shape) + " needs " + n);
        }
    }

    private static void checkLength(String where, int length, int[] shape) {
        int n = checkedSize(where, shape);
        if (length != n) {
            throw new IllegalArgumentException(where + ": data has " + length + " elements but shape " + shapeString(shape) + " needs " + n);
        }
    }

    static int normalizeAxis(String where, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new IllegalArgumentException(where + ": axis " + axis + " out of range for rank " + rank);
        return a;
    }

    static float[] halfToFloat(DType dtype, MemorySegment seg, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            short h = seg.get(I16_LE, 2L * i);
            f[i] = dtype == DType.BF16 ? Float.intBitsToFloat((h & 0xffff) << 16) : Float.float16ToFloat(h);
        }
        return f;
    }
}
