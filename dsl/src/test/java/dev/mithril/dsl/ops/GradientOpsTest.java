package dev.mithril.dsl.ops;

import static dev.mithril.dsl.ops.Shapes.assertNames;
import static dev.mithril.dsl.ops.Shapes.error;
import static dev.mithril.dsl.ops.Shapes.infer;
import static dev.mithril.dsl.ops.Shapes.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.runtime.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Shape rules of the backward ops: activation gradients, {@link Expand} and {@link SumTo}. */
class GradientOpsTest {
    static final List<Op> ACTIVATION_GRADIENTS = List.of(new ReluGrad(), new GeluGrad(), new SigmoidGrad(), new TanhGrad());

    private static List<Dim> dims(String... ds) { return t(ds).dims(); }

    @Test
    void activationGradientsTakeTheForwardShapeAndDtype() {
        for (Op op : ACTIVATION_GRADIENTS) {
            assertEquals(t("batch", "7"), infer(op, t("batch", "7"), t("batch", "7")), op.kind());
            assertEquals(t(DType.F64, "3"), infer(op, t(DType.F64, "3"), t(DType.F64, "3")), op.kind());
            assertTrue(op.isElementwise(), op.kind());
        }
        assertEquals(List.of("relu_grad", "gelu_grad", "sigmoid_grad", "tanh_grad"), ACTIVATION_GRADIENTS.stream().map(Op::kind).toList());
    }

    @Test
    void activationGradientsRejectMismatchesNamingBothInputs() {
        for (Op op : ACTIVATION_GRADIENTS) {
            TensorType a = t("batch", "7"), g = t("batch", "1");
            IrError shape = error(op, a, g);
            assertNames(shape, IrError.SHAPE_MISMATCH, a, g);
            assertTrue(shape.message().contains("of one shape"), shape.message());
            IrError dtype = error(op, a, t(DType.F64, "batch", "7"));
            assertEquals(IrError.DTYPE_MISMATCH, dtype.tag(), dtype.message());
            IrError ints = error(op, t(DType.I32, "7"), t(DType.I32, "7"));
            assertEquals(IrError.DTYPE_MISMATCH, ints.tag(), ints.message());
            IrError arity = error(op, a);
            assertTrue(arity.message().contains("takes 2 inputs, got 1"), arity.message());
        }
    }

    @Test
    void expandBroadcastsUpAndSumToSumsDown() {
        assertEquals(t("batch", "3", "5"), infer(new Expand(dims("batch", "3", "5"), Dim.of(1)), t("3", "1")));
        assertEquals(t("batch", "3", "5"), infer(new Expand(dims("batch", "3", "5"), Dim.of(15)), t("batch", "3", "5")));
        assertEquals(t("3", "1"), infer(new SumTo(dims("3", "1")), t("batch", "3", "5")));
        assertEquals(t("1", "5"), infer(new SumTo(dims("1", "5")), t("7", "5")));
        assertEquals(t(), infer(new SumTo(List.of()), t("2", "11")));
    }

    @Test
    void expandAndSumToRejectShapesThatDoNotBroadcast() {
        TensorType a = t("batch", "4");
        IrError up = error(new Expand(dims("batch", "5"), Dim.of(1)), a);
        assertNames(up, IrError.SHAPE_MISMATCH, a);
        assertTrue(up.message().contains("cannot broadcast") && up.message().contains("[batch, 5]"), up.message());
        IrError longer = error(new Expand(dims("4"), Dim.of(1)), a);
        assertEquals(IrError.SHAPE_MISMATCH, longer.tag());
        IrError down = error(new SumTo(dims("3")), a);
        assertNames(down, IrError.SHAPE_MISMATCH, a);
        assertTrue(down.message().contains("down to [3]") && down.message().contains("does not broadcast"), down.message());
        IrError higher = error(new SumTo(dims("2", "batch", "4")), a);
        assertEquals(IrError.SHAPE_MISMATCH, higher.tag());
        IrError named = error(new SumTo(dims("seq", "4")), a);
        assertEquals(IrError.SHAPE_MISMATCH, named.tag(), "batch and seq are different dims");
    }
}
