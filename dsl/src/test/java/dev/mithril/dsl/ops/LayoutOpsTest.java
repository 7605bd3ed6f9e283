package dev.mithril.dsl.ops;

import static dev.mithril.dsl.ops.Shapes.assertNames;
import static dev.mithril.dsl.ops.Shapes.error;
import static dev.mithril.dsl.ops.Shapes.infer;
import static dev.mithril.dsl.ops.Shapes.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reshape, flatten and transpose: ops that move dimensions, not values. */
class LayoutOpsTest {
    static Reshape reshape(String... dims) { return new Reshape(List.of(dims)); }

    @Test
    void reshapeFoldsANamedDimensionIntoAnotherAndBack() {
        assertEquals(t("128*batch", "512"), infer(reshape("-1", "512"), t("batch", "128", "512")));
        assertEquals(t("batch", "128", "512"), infer(reshape("batch", "128", "512"), t("128*batch", "512")));
        assertEquals(t("batch", "65536"), infer(reshape("batch", "-1"), t("batch", "128", "512")));
        assertEquals(t("batch", "4", "196"), infer(reshape("batch", "4", "-1"), t("batch", "784")));
        assertEquals(t("6"), infer(reshape("6"), t("2", "3")));
        assertEquals(t("1", "1"), infer(reshape("1", "1"), t()));
    }

    @Test
    void reshapeToADifferentElementCountNamesTheInputAndShape() {
        TensorType x = t("batch", "784");
        IrError e = error(reshape("batch", "700"), x);
        assertNames(e, IrError.SHAPE_MISMATCH, x);
        assertTrue(e.message().contains("784*batch elements") && e.message().contains("700*batch elements"), e.message());
    }

    @Test
    void reshapeWhoseMinusOneCannotBeInferred() {
        TensorType x = t("batch", "10");
        IrError e = error(reshape("3", "-1"), x);
        assertNames(e, IrError.SHAPE_MISMATCH, x);
        assertTrue(e.message().contains("not a multiple of 3"), e.message());
        assertNames(error(reshape("seq", "-1"), x), IrError.SHAPE_MISMATCH, x);
    }

    @Test
    void reshapeAttributesMustBeValid() {
        IrError twice = error(reshape("-1", "-1"), t("4"));
        assertEquals(IrError.INVALID_ATTRIBUTE, twice.tag());
        assertTrue(twice.message().contains("more than one -1"), twice.message());
        IrError bad = error(reshape("2", "x-y"), t("4"));
        assertEquals(IrError.INVALID_ATTRIBUTE, bad.tag());
        assertTrue(bad.message().contains("'x-y'"), bad.message());
        assertEquals("shape=[-1,512]", reshape("-1", "512").attributes());
    }

    @Test
    void flattenMergesARangeOfDimensions() {
        assertEquals(t("batch", "3072"), infer(new Flatten(1, -1), t("batch", "3", "32", "32")));
        assertEquals(t("3072*batch"), infer(new Flatten(0, -1), t("batch", "3", "32", "32")));
        assertEquals(t("batch", "96", "32"), infer(new Flatten(1, 2), t("batch", "3", "32", "32")));
        assertEquals(t("batch", "3"), infer(new Flatten(1, 1), t("batch", "3")));
        assertEquals(t("1"), infer(new Flatten(0, -1), t()));
        assertEquals("start=1, end=-1", new Flatten(1, -1).attributes());
    }

    @Test
    void flattenRangeOutsideTheInputNamesIt() {
        TensorType x = t("batch", "3");
        IrError e = error(new Flatten(1, 2), x);
        assertNames(e, IrError.INVALID_ATTRIBUTE, x);
        assertNames(error(new Flatten(1, 0), x), IrError.INVALID_ATTRIBUTE, x);
    }

    @Test
    void transposePermutesDimensions() {
        assertEquals(t("8", "batch"), infer(new Transpose(List.of(1, 0)), t("batch", "8")));
        assertEquals(t("batch", "heads", "seq", "d"), infer(new Transpose(List.of(0, 2, 1, 3)), t("batch", "seq", "heads", "d")));
        assertEquals(List.of(0, 2, 1), Transpose.swap(3, -1, -2).perm());
        assertEquals(List.of(2, 1, 0), Transpose.swap(3, 0, 2).perm());
        assertEquals("perm=[0,2,1]", Transpose.swap(3, 1, 2).attributes());
    }

    @Test
    void transposeRejectsWhatIsNotAPermutationOfTheInput() {
        TensorType x = t("batch", "8");
        assertNames(error(new Transpose(List.of(0, 1, 2)), x), IrError.INVALID_ATTRIBUTE, x);
        IrError repeated = error(new Transpose(List.of(0, 0)), x);
        assertEquals(IrError.INVALID_ATTRIBUTE, repeated.tag());
        assertTrue(repeated.message().contains("[0,0] is not a permutation of 0..1"), repeated.message());
        ShapeError swap = assertThrows(ShapeError.class, () -> Transpose.swap(2, 0, 2));
        assertEquals(IrError.INVALID_ATTRIBUTE, swap.tag());
    }
}
