package dev.mithril.nd4j;

import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Moves values between Mithril's {@link Tensor} and ND4J's {@link INDArray}, copying only where the
 * layouts force it. ND4J's CPU arrays always live off-heap (a javacpp pointer), so:
 *
 * <ul>
 *   <li>heap tensor to INDArray: one copy ({@code Nd4j.create(float[], shape)} copies too: it allocates
 *       off-heap memory and writes the array into it; there is no heap-backed DataBuffer in 1.0.0-M2.1);
 *   <li>off-heap F32 tensor to INDArray: no copy, the INDArray's DataBuffer points at the tensor's memory
 *       (which must then outlive the INDArray);
 *   <li>INDArray to tensor: no copy for a float, row-major, contiguous array: the tensor views the
 *       INDArray's memory and keeps the INDArray reachable; other arrays (a {@code permute} view, say) are
 *       first copied into row-major order with {@code dup('c')}.
 * </ul>
 *
 * Generated classes for backend ND4J use it for their inputs and outputs. The annotation processor looks
 * for this class by name to tell whether {@code mithril-nd4j} is on the class path.
 */
public final class Nd4jBridge {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    private Nd4jBridge() {}

    /** {@code t} as an INDArray of the same shape: a copy for heap tensors, a view of off-heap F32 ones; int64 stays int64, other types become float. */
    public static INDArray toNd4j(Tensor t) {
        long[] shape = longs(t.shape());
        if (t.dtype() == DType.I64) return shape.length == 0 ? Nd4j.scalar(t.longs()[0]) : Nd4j.createFromArray(t.longs()).reshape('c', shape);
        if (t.dtype() == DType.F32 && !t.isHeap() && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            FloatBuffer fb = t.segment().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            FloatPointer p = new FloatPointer(fb);
            DataBuffer buffer = Nd4j.createBuffer(p, DataType.FLOAT, t.size(), FloatIndexer.create(p));
            return Nd4j.create(buffer, shape, cStrides(shape), 0, 'c', DataType.FLOAT);
        }
        float[] data = t.toF32().data();
        if (shape.length == 0) return Nd4j.scalar(data[0]);
        return Nd4j.create(data, shape, DataType.FLOAT);
    }

    /** Copies {@code t}'s values into {@code dst} (float, row-major, contiguous, same element count) without allocating. */
    public static void copyInto(Tensor t, INDArray dst) {
        if (dst.length() != t.size()) throw new IllegalArgumentException("Nd4jBridge.copyInto: tensor " + Tensor.shapeString(t.shape())
                + " has " + t.size() + " elements, INDArray " + java.util.Arrays.toString(dst.shape()) + " has " + dst.length());
        MemorySegment target = segmentOf(requireContiguous("copyInto", dst));
        if (t.dtype() == DType.F32 && t.isHeap()) MemorySegment.copy(t.data(), 0, target, F32, 0, t.size());
        else MemorySegment.copy(t.toF32().data(), 0, target, F32, 0, t.size());
    }

    /** Copies {@code src}'s values into {@code dst} (an F32 heap tensor of the same element count): an input the model wrote (a cache) back to its tensor. */
    public static void copyBack(INDArray src, Tensor dst) {
        if (src.length() != dst.size()) throw new IllegalArgumentException("Nd4jBridge.copyBack: INDArray " + java.util.Arrays.toString(src.shape())
                + " has " + src.length() + " elements, tensor " + Tensor.shapeString(dst.shape()) + " has " + dst.size());
        INDArray c = src.dataType() == DataType.FLOAT && isContiguousC(src) ? src : src.castTo(DataType.FLOAT).dup('c');
        MemorySegment.copy(segmentOf(c), F32, 0, dst.data(), 0, dst.size());
    }

    /**
     * Adds {@code g}'s values into {@code acc} (an F32 heap tensor of the same element count, a gradient
     * accumulator) without allocating when {@code g} is a float, row-major, contiguous array.
     */
    public static void addInto(Tensor acc, INDArray g) {
        if (g.length() != acc.size()) throw new IllegalArgumentException("Nd4jBridge.addInto: tensor " + Tensor.shapeString(acc.shape())
                + " has " + acc.size() + " elements, INDArray " + java.util.Arrays.toString(g.shape()) + " has " + g.length());
        INDArray c = g.dataType() == DataType.FLOAT && isContiguousC(g) ? g : g.castTo(DataType.FLOAT).dup('c');
        MemorySegment source = segmentOf(c);
        float[] data = acc.data();
        for (int i = 0; i < data.length; i++) data[i] += source.getAtIndex(F32, i);
    }

    /**
     * {@code a} as a tensor: a view of its memory when it is a float, row-major, contiguous array (the
     * tensor keeps {@code a} reachable, so ND4J does not free the memory under it), else of a row-major copy.
     * The view sees later writes to {@code a}; note that {@link Tensor#data()} on an off-heap tensor takes
     * a heap copy once and keeps reading that copy.
     */
    public static Tensor view(INDArray a) {
        if (a.dataType() == DataType.LONG) return Tensor.ofLongs(a.dup('c').data().asLong(), ints(a.shape())); // int64 results (argmax) are small: copied
        INDArray c = a.dataType() == DataType.FLOAT && isContiguousC(a) ? a : a.castTo(DataType.FLOAT).dup('c');
        int[] shape = ints(c.shape());
        long bytes = c.length() * Float.BYTES;
        INDArray keep = c;
        // An automatic arena: its cleanup action holds the INDArray, so the memory stays allocated while the segment is reachable.
        MemorySegment s = MemorySegment.ofAddress(address(c)).reinterpret(bytes, Arena.ofAuto(), seg -> keep.length());
        return Tensor.ofSegment(DType.F32, s, null, shape);
    }

    /** A constant float array of {@code shape} holding {@code values} (row-major); rank 0 for an empty shape. */
    public static INDArray constant(float[] values, long... shape) {
        if (shape.length == 0) return Nd4j.scalar(values[0]);
        return Nd4j.create(values, shape, DataType.FLOAT);
    }

    /** Whether {@code a} is row-major with no gaps between its elements. */
    public static boolean isContiguousC(INDArray a) {
        long[] shape = a.shape(), stride = a.stride(), expected = cStrides(shape);
        for (int i = 0; i < shape.length; i++) if (shape[i] != 1 && stride[i] != expected[i]) return false;
        return true;
    }

    /** The row-major strides of {@code shape}. */
    static long[] cStrides(long[] shape) {
        long[] s = new long[shape.length];
        long step = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = step;
            step *= Math.max(shape[i], 1);
        }
        return s;
    }

    /**
     * The native address of {@code a}'s first element. A view's DataBuffer carries the view's offset, and
     * {@code addressPointer()} already applies it ({@code a.offset()} is that same offset: adding it again is wrong).
     */
    static long address(INDArray a) {
        return a.data().addressPointer().address();
    }

    /** {@code a}'s memory as a segment (valid while {@code a} is reachable). */
    static MemorySegment segmentOf(INDArray a) {
        return MemorySegment.ofAddress(address(a)).reinterpret(a.length() * (long) Float.BYTES);
    }

    private static INDArray requireContiguous(String where, INDArray a) {
        if (a.dataType() != DataType.FLOAT || !isContiguousC(a))
            throw new IllegalArgumentException("Nd4jBridge." + where + ": needs a float, row-major, contiguous INDArray; got "
                    + a.dataType() + " " + java.util.Arrays.toString(a.shape()) + " strides " + java.util.Arrays.toString(a.stride()));
        return a;
    }

    static long[] longs(int[] xs) {
        long[] out = new long[xs.length];
        for (int i = 0; i < xs.length; i++) out[i] = xs[i];
        return out;
    }

    static int[] ints(long[] xs) {
        int[] out = new int[xs.length];
        for (int i = 0; i < xs.length; i++) out[i] = Math.toIntExact(xs[i]);
        return out;
    }
}
