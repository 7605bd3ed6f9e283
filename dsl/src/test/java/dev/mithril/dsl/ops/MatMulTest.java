package dev.mithril.dsl.ops;

import static dev.mithril.dsl.ops.Shapes.assertNames;
import static dev.mithril.dsl.ops.Shapes.error;
import static dev.mithril.dsl.ops.Shapes.infer;
import static dev.mithril.dsl.ops.Shapes.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.TensorType;
import org.junit.jupiter.api.Test;

/** The cases of torch.matmul's documentation, with symbolic dimensions where they matter. */
class MatMulTest {
    @Test
    void matrixTimesMatrix() {
        assertEquals(t("batch", "16"), infer(new MatMul(), t("batch", "8"), t("8", "16")));
    }

    @Test
    void vectorOperandsDropTheirDimension() {
        assertEquals(t(), infer(new MatMul(), t("8"), t("8")));
        assertEquals(t("batch"), infer(new MatMul(), t("batch", "8"), t("8")));
        assertEquals(t("16"), infer(new MatMul(), t("8"), t("8", "16")));
        assertEquals(t("4", "3"), infer(new MatMul(), t("4", "3", "8"), t("8")));
    }

    @Test
    void leadingDimensionsBroadcast() {
        assertEquals(t("batch", "seq", "64"), infer(new MatMul(), t("batch", "seq", "32"), t("32", "64")));
        assertEquals(t("2", "5", "3", "7"), infer(new MatMul(), t("2", "1", "3", "4"), t("5", "4", "7")));
        assertEquals(t("heads", "seq", "seq"), infer(new MatMul(), t("heads", "seq", "d"), t("heads", "d", "seq")));
    }

    @Test
    void innerDimensionsThatDifferNameBothOperands() {
        TensorType a = t("batch", "8"), b = t("9", "16");
        IrError e = error(new MatMul(), a, b);
        assertNames(e, IrError.SHAPE_MISMATCH, a, b);
        assertTrue(e.message().contains("inner dimensions 8 and 9 differ"), e.message());
    }

    @Test
    void batchDimensionsThatDoNotBroadcastNameBothOperands() {
        TensorType a = t("2", "3", "4"), b = t("5", "4", "6");
        assertNames(error(new MatMul(), a, b), IrError.SHAPE_MISMATCH, a, b);
    }

    @Test
    void scalarsAreRejected() {
        TensorType a = t(), b = t("3");
        assertNames(error(new MatMul(), a, b), IrError.SHAPE_MISMATCH, a, b);
    }
}
