package dev.mithril.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Tensor ↔ INDArray: values, shapes, and which directions share memory. */
class Nd4jBridgeTest {
    @Test
    void heapTensorIsCopiedIntoNd4j() {
        float[] data = {1, 2, 3, 4, 5, 6};
        INDArray a = Nd4jBridge.toNd4j(Tensor.of(data, 2, 3));
        assertArrayEquals(new long[] {2, 3}, a.shape());
        assertEquals(6f, a.getFloat(1, 2));
        data[5] = 60; // ND4J's CPU arrays are off-heap: Nd4j.create(float[], ...) copied, so this write is not seen
        assertEquals(6f, a.getFloat(1, 2));
    }

    @Test
    void offHeapTensorIsSharedWithNd4j() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(6 * 4L, 64);
            for (int i = 0; i < 6; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, i + 1);
            Tensor t = Tensor.ofSegment(DType.F32, s, null, 3, 2);
            INDArray a = Nd4jBridge.toNd4j(t);
            assertEquals(4f, a.getFloat(1, 1));
            s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 3, 40f);
            assertEquals(40f, a.getFloat(1, 1), "the INDArray reads the tensor's memory");
            a.putScalar(new long[] {2, 0}, -5f);
            assertEquals(-5f, s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 4));
        }
    }

    @Test
    void contiguousArrayIsViewedWithoutCopy() {
        INDArray a = Nd4j.create(new float[] {1, 2, 3, 4, 5, 6}, new long[] {3, 2}, DataType.FLOAT);
        Tensor t = Nd4jBridge.view(a);
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertFalse(t.isHeap());
        a.putScalar(new long[] {2, 1}, 66f);
        assertEquals(66f, t.segment().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 5), "the tensor reads the INDArray's memory");
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 66}, t.data());
    }

    @Test
    void offsetViewsAndPermutedArraysComeBackInRowMajorOrder() {
        INDArray a = Nd4j.create(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, new long[] {3, 3}, DataType.FLOAT);
        Tensor rows = Nd4jBridge.view(a.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all())); // offset 3 into the buffer
        assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9}, rows.data());
        Tensor transposed = Nd4jBridge.view(a.permute(1, 0)); // not row-major: copied
        assertArrayEquals(new float[] {1, 4, 7, 2, 5, 8, 3, 6, 9}, transposed.data());
        assertEquals(5f, Nd4jBridge.view(Nd4j.scalar(5f)).data()[0]);
        assertEquals(0, Nd4jBridge.view(Nd4j.scalar(5f)).rank());
    }

    @Test
    void roundTripKeepsValuesAndShape() {
        Tensor x = Tensor.random(3, 2, 3, 5);
        Tensor back = Nd4jBridge.view(Nd4jBridge.toNd4j(x));
        assertArrayEquals(x.shape(), back.shape());
        assertArrayEquals(x.data(), back.data());
        Tensor scalar = Nd4jBridge.view(Nd4jBridge.toNd4j(Tensor.scalar(2.5f)));
        assertEquals(0, scalar.rank());
        assertEquals(2.5f, scalar.data()[0]);
    }

    @Test
    void copyIntoWritesAPreallocatedArray() {
        INDArray dst = Nd4j.createUninitialized(DataType.FLOAT, 2, 2);
        Nd4jBridge.copyInto(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2), dst);
        assertEquals(3f, dst.getFloat(1, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Nd4jBridge.copyInto(Tensor.zeros(3), dst));
        assertTrue(e.getMessage().contains("3 elements"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Nd4jBridge.copyInto(Tensor.zeros(2, 2), dst.permute(1, 0)));
    }
}
