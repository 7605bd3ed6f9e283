package dev.mithril.dsl.ops;

import static dev.mithril.dsl.ops.Shapes.assertNames;
import static dev.mithril.dsl.ops.Shapes.error;
import static dev.mithril.dsl.ops.Shapes.infer;
import static dev.mithril.dsl.ops.Shapes.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.runtime.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class ElementwiseOpsTest {
    static final List<Op> BINARY = List.of(new Add(), new Subtract(), new Multiply(), new Divide());
    static final List<Op> UNARY = List.of(new Relu(), new Gelu(), new Sigmoid(), new Tanh());

    @Test
    void binaryOpsBroadcastFixedShapesLikeNumpy() {
        for (Op op : BINARY) {
            assertEquals(t("2", "3"), infer(op, t("2", "3"), t("2", "3")), op.kind());
            assertEquals(t("4", "2", "3"), infer(op, t("4", "2", "3"), t("3")), op.kind());
            assertEquals(t("4", "2", "3"), infer(op, t("3"), t("4", "2", "3")), op.kind());
            assertEquals(t("5", "4", "3"), infer(op, t("5", "1", "3"), t("4", "1")), op.kind());
            assertEquals(t("2", "3"), infer(op, t("2", "3"), t()), op.kind());
            assertEquals(t("2", "3"), infer(op, t(), t("2", "3")), op.kind());
        }
    }

    @Test
    void binaryOpsBroadcastSymbolicShapes() {
        for (Op op : BINARY) {
            assertEquals(t("batch", "10"), infer(op, t("batch", "10"), t("10")), op.kind());
            assertEquals(t("batch", "10"), infer(op, t("batch", "1"), t("1", "10")), op.kind());
            assertEquals(t("batch", "seq", "8"), infer(op, t("batch", "1", "8"), t("seq", "8")), op.kind());
            assertEquals(t("4*batch", "8"), infer(op, t("batch*4", "8"), t("4*batch", "1")), op.kind());
        }
    }

    @Test
    void binaryOpsKeepTheirElementType() {
        assertEquals(t(DType.I64, "3"), infer(new Add(), t(DType.I64, "3"), t(DType.I64, "1")));
    }

    @Test
    void fixedShapesThatDoNotBroadcastNameBothInputsAndShapes() {
        for (Op op : BINARY) {
            TensorType a = t("batch", "10"), b = t("batch", "5");
            IrError e = error(op, a, b);
            assertNames(e, IrError.SHAPE_MISMATCH, a, b);
            assertTrue(e.message().contains("10 vs 5"), e.message());
        }
    }

    @Test
    void differentNamedDimensionsDoNotBroadcast() {
        // batch and seq may be equal at run time, but nothing says so: mixing them is an error.
        TensorType a = t("batch", "8"), b = t("seq", "8");
        IrError e = error(new Add(), a, b);
        assertNames(e, IrError.SHAPE_MISMATCH, a, b);
        assertTrue(e.message().contains("batch vs seq"), e.message());
    }

    @Test
    void namedDimensionDoesNotBroadcastAgainstAFixedSizeOtherThanOne() {
        TensorType a = t("batch", "8"), b = t("4", "8");
        assertNames(error(new Multiply(), a, b), IrError.SHAPE_MISMATCH, a, b);
    }

    @Test
    void mixedElementTypesAreADtypeErrorNamingBoth() {
        for (Op op : BINARY) {
            TensorType a = t("2", "3"), b = t(DType.I32, "2", "3");
            IrError e = error(op, a, b);
            assertNames(e, IrError.DTYPE_MISMATCH, a, b);
            assertTrue(e.message().contains("float32") && e.message().contains("int32"), e.message());
        }
    }

    @Test
    void binaryOpsTakeExactlyTwoInputs() {
        IrError e = error(new Add(), t("2"));
        assertEquals(IrError.INVALID_ATTRIBUTE, e.tag());
        assertTrue(e.message().contains("takes 2 inputs, got 1"), e.message());
    }

    @Test
    void unaryOpsKeepTheShape() {
        for (Op op : UNARY) {
            assertEquals(t("batch", "128*batch", "3"), infer(op, t("batch", "128*batch", "3")), op.kind());
            assertEquals(t(), infer(op, t()), op.kind());
            assertEquals(t(DType.F64, "7"), infer(op, t(DType.F64, "7")), op.kind());
        }
    }

    @Test
    void unaryOpsRejectIntegerInputsNamingIt() {
        for (Op op : UNARY) {
            TensorType a = t(DType.I32, "batch", "4");
            IrError e = error(op, a);
            assertNames(e, IrError.DTYPE_MISMATCH, a);
            assertTrue(e.message().contains("int32[batch, 4]"), e.message());
        }
    }

    @Test
    void unaryOpsTakeExactlyOneInput() {
        IrError e = error(new Relu(), t("2"), t("2"));
        assertEquals(IrError.INVALID_ATTRIBUTE, e.tag());
        assertTrue(e.message().contains("takes 1 input, got 2"), e.message());
    }

    @Test
    void elementwiseFlagsAndSymbols() {
        for (Op op : BINARY) assertTrue(op.isElementwise() && op.isPure() && op.attributes().isEmpty(), op.kind());
        for (Op op : UNARY) assertTrue(op.isElementwise(), op.kind());
        assertEquals(List.of("add", "sub", "mul", "div"), BINARY.stream().map(Op::kind).toList());
        assertEquals(List.of("relu", "gelu", "sigmoid", "tanh"), UNARY.stream().map(Op::kind).toList());
        assertEquals("+", new Add().symbol());
        assertEquals("-", new Subtract().symbol());
        assertEquals("*", new Multiply().symbol());
        assertEquals("/", new Divide().symbol());
        assertFalse(new Linear().isElementwise());
        assertFalse(new Softmax(-1).isElementwise());
    }
}
