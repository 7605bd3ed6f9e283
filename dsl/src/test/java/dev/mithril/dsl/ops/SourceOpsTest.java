package dev.mithril.dsl.ops;

import static dev.mithril.dsl.ops.Shapes.error;
import static dev.mithril.dsl.ops.Shapes.infer;
import static dev.mithril.dsl.ops.Shapes.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.TensorType;
import org.junit.jupiter.api.Test;

/** Inputs, parameters and constants: nodes without inputs. */
class SourceOpsTest {
    @Test
    void inputHasItsDeclaredType() {
        Input in = new Input(t("batch", "784"));
        assertEquals(t("batch", "784"), infer(in));
        assertEquals("type=float32[batch, 784]", in.attributes());
        assertFalse(in.isPure());
        assertEquals(IrError.INVALID_ATTRIBUTE, error(in, t("1")).tag());
    }

    @Test
    void parameterNeedsAFixedShape() {
        Parameter w = new Parameter("layers.0.weight", t("1024", "784"), 784);
        assertEquals(t("1024", "784"), infer(w));
        assertEquals("name=layers.0.weight, type=float32[1024, 784]", w.attributes());
        assertFalse(w.isPure());
        IrError e = error(new Parameter("w", t("batch", "4"), 4));
        assertEquals(IrError.INVALID_ATTRIBUTE, e.tag());
        assertTrue(e.message().contains("float32[batch, 4]"), e.message());
    }

    @Test
    void constantsHoldExactlyTheirTypesElementCount() {
        Constant c = new Constant(t("2", "2"), new float[] {1, 2, 3, 4});
        assertEquals(t("2", "2"), infer(c));
        assertEquals("type=float32[2, 2], values=[1.0,2.0,3.0,4.0]", c.attributes());
        assertEquals(t(), infer(Constant.scalar(2f)));
        IrError e = error(new Constant(t("3"), new float[] {1, 2}));
        assertEquals(IrError.INVALID_ATTRIBUTE, e.tag());
        assertTrue(e.message().contains("holds 2 values but its type is float32[3]"), e.message());
        assertEquals(IrError.INVALID_ATTRIBUTE, error(new Constant(t("batch"), new float[] {1})).tag());
    }

    @Test
    void constantsCompareByValueAndCannotBeChangedFromOutside() {
        float[] v = {1, 2, 3};
        Constant c = new Constant(t("3"), v);
        v[0] = 9;
        assertArrayEquals(new float[] {1, 2, 3}, c.values());
        c.values()[1] = 9;
        assertArrayEquals(new float[] {1, 2, 3}, c.values());
        assertEquals(c, new Constant(t("3"), new float[] {1, 2, 3}));
        assertEquals(c.hashCode(), new Constant(t("3"), new float[] {1, 2, 3}).hashCode());
        assertNotEquals(c, new Constant(t("3"), new float[] {1, 2, 4}));
    }

    @Test
    void longConstantsAreAbbreviatedInText() {
        Constant c = new Constant(TensorType.f32(10), new float[10]);
        assertEquals("type=float32[10], values=[0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,...]", c.attributes());
    }
}
