package dev.mithril.processor.apt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mithril.dsl.ir.Dim;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HyperExpressionTest {
    private static final Map<String, Long> HYPERS = Map.of("dim", 12L, "heads", 4L);

    @Test
    void precedenceParenthesesAndUnaryMinus() {
        assertEquals(50, HyperExpression.evaluate("2 + 4*dim", HYPERS));
        assertEquals(3, HyperExpression.evaluate("dim / heads", HYPERS));
        assertEquals(56, HyperExpression.evaluate("(dim + 2) * heads", HYPERS));
        assertEquals(-10, HyperExpression.evaluate("2 - dim", HYPERS));
        assertEquals(8, HyperExpression.evaluate("-(-dim) - heads", HYPERS));
        assertEquals(5, HyperExpression.evaluate("20 / heads / 1", HYPERS));
    }

    @Test
    void problemsAreNamed() {
        assertEquals("cannot evaluate 'dim / 5': 12 is not divisible by 5",
                assertThrows(IllegalArgumentException.class, () -> HyperExpression.evaluate("dim / 5", HYPERS)).getMessage());
        assertEquals("cannot evaluate '4*width': 'width' is not a hyperparameter (known: dim, heads)",
                assertThrows(IllegalArgumentException.class, () -> HyperExpression.evaluate("4*width", HYPERS)).getMessage());
        assertEquals("cannot evaluate '(dim': missing ')'",
                assertThrows(IllegalArgumentException.class, () -> HyperExpression.evaluate("(dim", HYPERS)).getMessage());
        assertEquals("cannot evaluate 'dim 2': unexpected '2'",
                assertThrows(IllegalArgumentException.class, () -> HyperExpression.evaluate("dim 2", HYPERS)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> HyperExpression.evaluate("dim / (heads - 4)", HYPERS));
    }

    @Test
    void dimensionsMixNamedSizesWithHyperparameters() {
        assertEquals(Dim.of(48), HyperExpression.dimension("dim*heads", HYPERS));
        assertEquals(Dim.sym("batch"), HyperExpression.dimension("batch", HYPERS));
        assertEquals(Dim.of(4).times(Dim.sym("batch")), HyperExpression.dimension("heads*batch", HYPERS));
        assertThrows(IllegalArgumentException.class, () -> HyperExpression.dimension("batch+1", HYPERS));
        assertThrows(IllegalArgumentException.class, () -> HyperExpression.dimension("2-dim", HYPERS));
    }
}
