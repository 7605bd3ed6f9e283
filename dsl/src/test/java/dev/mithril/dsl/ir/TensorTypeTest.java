package dev.mithril.dsl.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TensorTypeTest {
    @Test
    void parsesAndPrintsLikeTheIrText() {
        TensorType t = TensorType.parse(DType.F32, "batch", "784");
        assertEquals("float32[batch, 784]", t.toString());
        assertEquals("[batch, 784]", t.shapeString());
        assertEquals(2, t.rank());
        assertEquals(TensorType.of(DType.F32, Dim.sym("batch"), Dim.of(784)), t);
        assertEquals("int64[3, 4]", TensorType.parse(DType.I64, "3", "4").toString());
        assertEquals("float32[]", TensorType.f32().toString());
        assertEquals(TensorType.parse(DType.F32, "2", "3"), TensorType.f32(2, 3));
    }

    @Test
    void negativeAxesCountFromTheEnd() {
        TensorType t = TensorType.parse(DType.F32, "batch", "3", "4");
        assertEquals(Dim.of(4), t.dim(-1));
        assertEquals(Dim.sym("batch"), t.dim(-3));
        assertEquals(1, t.normalizeAxis(-2));
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> t.dim(3));
        assertTrue(e.getMessage().contains("axis 3") && e.getMessage().contains("float32[batch, 3, 4]"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> t.dim(-4));
    }

    @Test
    void elementsIsTheSymbolicProduct() {
        assertEquals(Dim.parse("12*batch"), TensorType.parse(DType.F32, "batch", "3", "4").elements());
        assertEquals(Dim.of(1), TensorType.f32().elements());
        assertEquals(Dim.of(0), TensorType.f32(5, 0).elements());
    }

    @Test
    void bindMakesItFixed() {
        TensorType t = TensorType.parse(DType.F32, "batch", "2*seq");
        assertFalse(t.isFixed());
        TensorType bound = t.bind(Map.of("batch", 32, "seq", 5));
        assertTrue(bound.isFixed());
        assertEquals(TensorType.f32(32, 10), bound);
        assertEquals(TensorType.parse(DType.F32, "32", "2*seq"), t.bind(Map.of("batch", 32)));
    }

    @Test
    void dimsAreImmutable() {
        List<Dim> dims = new ArrayList<>(List.of(Dim.of(2)));
        TensorType t = new TensorType(DType.F32, dims);
        dims.add(Dim.of(3));
        assertEquals(1, t.rank());
        assertThrows(UnsupportedOperationException.class, () -> t.dims().add(Dim.of(1)));
        assertEquals(TensorType.f32(7, 3), t.withDims(List.of(Dim.of(7), Dim.of(3))));
    }
}
