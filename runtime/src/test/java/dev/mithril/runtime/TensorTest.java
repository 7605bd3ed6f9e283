package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test void factoriesAndShape() {
        Tensor t = Tensor.zeros(2, 3, 4);
        assertEquals(DType.F32, t.dtype());
        assertArrayEquals(new int[] {2, 3, 4}, t.shape());
        assertEquals(3, t.rank());
        assertEquals(24, t.size());
        assertEquals(4, t.dim(-1));
        assertEquals(2, t.dim(0));
        int[] s = t.shape();
        s[0] = 99;
        assertEquals(2, t.dim(0), "shape() must return a copy");
        assertThrows(IllegalArgumentException.class, () -> t.dim(3));
        assertEquals(0, Tensor.scalar(5f).rank());
        assertEquals(5f, Tensor.scalar(5f).get());
        assertEquals("[2, 3]", Tensor.shapeString(new int[] {2, 3}));
    }

    @Test void ofWrapsWithoutCopy() {
        float[] d = {1, 2, 3, 4, 5, 6};
        Tensor t = Tensor.of(d, 2, 3);
        assertSame(d, t.data());
        assertEquals(6f, t.get(1, 2));
        t.set(9f, 0, 1);
        assertEquals(9f, d[1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(d, 4, 2));
        assertTrue(e.getMessage().contains("[4, 2]"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(2, 0));
        assertThrows(IllegalArgumentException.class, () -> t.get(1));
    }

    @Test void otherDtypes() {
        Tensor l = Tensor.ofLongs(new long[] {7, -3}, 2);
        assertEquals(DType.I64, l.dtype());
        assertEquals(-3f, l.get(1));
        assertArrayEquals(new float[] {7, -3}, l.toF32().data());
        Tensor d = Tensor.of(new double[] {0.5, 1.5, 2.5}, 3);
        assertEquals(DType.F64, d.dtype());
        assertEquals(1.5f, d.get(1));
        assertThrows(IllegalStateException.class, d::data);
        assertArrayEquals(new int[] {0, 0, 0, 0}, Tensor.zeros(DType.I32, 2, 2).ints());
    }

    @Test void reshapeIsAViewAndChecksSize() {
        Tensor t = Tensor.random(1, 2, 3);
        Tensor r = t.reshape(3, -1);
        assertArrayEquals(new int[] {3, 2}, r.shape());
        r.set(42f, 2, 1);
        assertEquals(42f, t.get(1, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.reshape(4, 2));
        assertEquals("Tensor.reshape: cannot view [2, 3] (6 elements) as [4, 2] (8 elements)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.reshape(-1, -1));
        assertThrows(IllegalArgumentException.class, () -> t.reshape(4, -1));
    }

    @Test void copyIsDeep() {
        Tensor t = Tensor.random(2, 5);
        Tensor c = t.copy();
        c.set(100f, 0);
        assertNotEquals(100f, t.get(0));
        assertTrue(c.sameShape(t));
    }

    @Test void randomIsDeterministicAndInRange() {
        float[] a = Tensor.random(7, 1000).data(), b = Tensor.random(7, 1000).data();
        assertArrayEquals(a, b);
        double mean = 0;
        for (float v : a) { assertTrue(v >= -1 && v < 1); mean += v; }
        assertEquals(0, mean / a.length, 0.1);
        float[] n = Tensor.randn(3, 10001).data();
        double m = 0, sq = 0;
        for (float v : n) { m += v; sq += v * v; }
        m /= n.length;
        assertEquals(0, m, 0.05);
        assertEquals(1, sq / n.length - m * m, 0.1);
        assertArrayEquals(n, Tensor.randn(3, 10001).data());
    }

    @Test void offHeapSegmentConvertsOnceAndCloses() {
        Arena arena = Arena.ofShared();
        MemorySegment seg = arena.allocate(12);
        ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        seg.set(le, 0, 1.5f);
        seg.set(le, 4, -2f);
        seg.set(le, 8, 3f);
        Tensor t = Tensor.ofSegment(DType.F32, seg, arena, 3);
        assertFalse(t.isHeap());
        assertSame(seg, t.segment());
        assertEquals(-2f, t.get(1));
        float[] d = t.data();
        assertSame(d, t.data(), "converted once and cached");
        assertArrayEquals(new float[] {1.5f, -2f, 3f}, d);
        t.close();
        assertFalse(arena.scope().isAlive());
        t.close(); // idempotent
    }

    @Test void halfPrecisionConverts() {
        MemorySegment seg = MemorySegment.ofArray(new byte[4]);
        ValueLayout.OfShort le = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        seg.set(le, 0, (short) 0x3C00); // 1.0 in F16
        seg.set(le, 2, (short) 0xC000); // -2.0 in F16
        assertArrayEquals(new float[] {1f, -2f}, Tensor.ofSegment(DType.F16, seg, null, 2).toF32().data());
        MemorySegment bf = MemorySegment.ofArray(new byte[2]);
        bf.set(le, 0, (short) 0x4049); // bf16 of 3.140625
        assertEquals(3.140625f, Tensor.ofSegment(DType.BF16, bf, null, 1).get(0));
    }

    @Test void toStringIsShort() {
        String s = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4).toString();
        assertTrue(s.contains("F32") && s.contains("[2, 4]") && s.contains("1.0") && s.contains("..."), s);
    }

    @Test void negativeShapeRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, -1));
        assertTrue(e.getMessage().contains("[2, -1]"), e.getMessage());
    }
}
