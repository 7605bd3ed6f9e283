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
import org.junit.jupiter.api.Test;

class LinearTest {
    @Test
    void replacesTheLastDimensionByOutFeatures() {
        assertEquals(t("batch", "1024"), infer(new Linear(), t("batch", "784"), t("1024", "784"), t("1024")));
        assertEquals(t("batch", "1024"), infer(new Linear(), t("batch", "784"), t("1024", "784")));
        assertEquals(t("batch", "seq", "64"), infer(new Linear(), t("batch", "seq", "32"), t("64", "32"), t("64")));
        assertEquals(t("10"), infer(new Linear(), t("784"), t("10", "784")));
    }

    @Test
    void inFeaturesThatDifferNameInputAndWeightWithShapes() {
        TensorType x = t("batch", "512"), w = t("1024", "784"), b = t("1024");
        IrError e = error(new Linear(), x, w, b);
        assertNames(e, IrError.SHAPE_MISMATCH, x, w);
        assertTrue(e.message().contains("expects 784 input features per row"), e.message());
        assertTrue(e.message().contains("'a' gives 512"), e.message());
    }

    @Test
    void biasMustMatchOutFeatures() {
        TensorType x = t("batch", "784"), w = t("1024", "784"), b = t("10");
        IrError e = error(new Linear(), x, w, b);
        assertEquals(IrError.SHAPE_MISMATCH, e.tag());
        assertTrue(e.message().contains("'b' [1024, 784]") && e.message().contains("'c' is [10]"), e.message());
        assertTrue(e.message().contains("[1024]"), e.message());
    }

    @Test
    void weightMustHaveRankTwo() {
        TensorType w = t("1024", "784", "1");
        IrError e = error(new Linear(), t("batch", "784"), w);
        assertEquals(IrError.SHAPE_MISMATCH, e.tag());
        assertTrue(e.message().contains("'b' is float32[1024, 784, 1]"), e.message());
    }

    @Test
    void scalarInputIsRejected() {
        IrError e = error(new Linear(), t(), t("1", "1"));
        assertEquals(IrError.SHAPE_MISMATCH, e.tag());
        assertTrue(e.message().contains("'a' is float32[]"), e.message());
    }

    @Test
    void dtypesMustAgreeAndBeFloatingPoint() {
        TensorType x = t("2", "3"), w = t(DType.F64, "4", "3");
        assertNames(error(new Linear(), x, w), IrError.DTYPE_MISMATCH, x, w);
        TensorType xi = t(DType.I32, "2", "3");
        assertNames(error(new Linear(), xi, t(DType.I32, "4", "3")), IrError.DTYPE_MISMATCH, xi);
    }

    @Test
    void takesTwoOrThreeInputs() {
        IrError e = error(new Linear(), t("2", "3"));
        assertEquals(IrError.INVALID_ATTRIBUTE, e.tag());
        assertTrue(e.message().contains("got 1 inputs"), e.message());
    }
}
