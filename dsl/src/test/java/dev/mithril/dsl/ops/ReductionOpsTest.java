package dev.mithril.dsl.ops;

import static dev.mithril.dsl.ops.Shapes.assertNames;
import static dev.mithril.dsl.ops.Shapes.error;
import static dev.mithril.dsl.ops.Shapes.infer;
import static dev.mithril.dsl.ops.Shapes.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.runtime.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sum and mean (which share one rule) and softmax. */
class ReductionOpsTest {
    @Test
    void reduceOverGivenAxes() {
        assertEquals(t("batch"), infer(new Sum(List.of(1), false), t("batch", "10")));
        assertEquals(t("batch", "1"), infer(new Sum(List.of(-1), true), t("batch", "10")));
        assertEquals(t("10"), infer(new Mean(List.of(0), false), t("batch", "10")));
        assertEquals(t("batch", "1", "1"), infer(new Mean(List.of(2, 1), true), t("batch", "3", "4")));
        assertEquals(t("3"), infer(new Mean(List.of(-1, 0), false), t("batch", "3", "4")));
    }

    @Test
    void emptyAxesReduceEverything() {
        assertEquals(t(), infer(new Sum(List.of(), false), t("batch", "3")));
        assertEquals(t("1", "1"), infer(new Mean(List.of(), true), t("batch", "3")));
    }

    @Test
    void axesAreNormalizedAndSorted() {
        assertEquals(List.of(0, 2), new Sum(List.of(-1, 0), false).normalizedAxes(t("a", "b", "c")));
        assertEquals(List.of(0, 1, 2), new Mean(List.of(), false).normalizedAxes(t("a", "b", "c")));
        assertEquals("axes=[-1,0], keepDims=false", new Sum(List.of(-1, 0), false).attributes());
        assertEquals("axes=[1], keepDims=true", new Mean(List.of(1), true).attributes());
    }

    @Test
    void axisOutOfRangeNamesTheInputAndItsShape() {
        TensorType x = t("batch", "10");
        for (var op : List.of(new Sum(List.of(2), false), new Mean(List.of(-3), false))) {
            IrError e = error(op, x);
            assertNames(e, IrError.INVALID_ATTRIBUTE, x);
            assertTrue(e.message().contains("out of range"), e.message());
        }
    }

    @Test
    void axisGivenTwiceIsRejected() {
        IrError e = error(new Sum(List.of(1, -1), false), t("batch", "10"));
        assertEquals(IrError.INVALID_ATTRIBUTE, e.tag());
        assertTrue(e.message().contains("axis -1 is given twice"), e.message());
    }

    @Test
    void reductionsNeedFloatingPoint() {
        TensorType x = t(DType.I64, "3");
        assertNames(error(new Sum(List.of(), false), x), IrError.DTYPE_MISMATCH, x);
    }

    @Test
    void softmaxKeepsTheShape() {
        assertEquals(t("batch", "10"), infer(new Softmax(-1), t("batch", "10")));
        assertEquals(t("batch", "10"), infer(new Softmax(0), t("batch", "10")));
        assertEquals(t("batch", "10"), infer(new Softmax(-2), t("batch", "10")));
        assertEquals("axis=-1", new Softmax(-1).attributes());
    }

    @Test
    void softmaxAxisOutOfRangeNamesTheInput() {
        TensorType x = t("batch", "10");
        assertNames(error(new Softmax(2), x), IrError.INVALID_ATTRIBUTE, x);
        assertNames(error(new Softmax(-3), x), IrError.INVALID_ATTRIBUTE, x);
        TensorType scalar = t();
        assertNames(error(new Softmax(0), scalar), IrError.INVALID_ATTRIBUTE, scalar);
    }
}
