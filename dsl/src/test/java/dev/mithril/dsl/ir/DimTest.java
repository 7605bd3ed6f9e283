package dev.mithril.dsl.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DimTest {
    @Test
    void parsesSizesNamesAndProducts() {
        assertEquals(Dim.of(784), Dim.parse("784"));
        assertEquals(Dim.sym("batch"), Dim.parse("batch"));
        Dim d = Dim.parse(" 4 * batch ");
        assertEquals(4, d.coefficient());
        assertEquals(List.of("batch"), d.symbols());
        assertEquals("4*batch", d.toString());
        assertEquals(Dim.of(24), Dim.parse("2*3*4"));
        assertEquals("batch*seq", Dim.parse("seq*batch").toString());
        assertEquals("2*batch*batch", Dim.parse("batch*2*batch").toString());
    }

    @Test
    void productsAreOrderInsensitive() {
        assertEquals(Dim.parse("batch*4*seq"), Dim.parse("seq*batch*4"));
        assertEquals(Dim.parse("batch*4*seq").hashCode(), Dim.parse("seq*batch*4").hashCode());
        assertEquals(Dim.parse("128*batch"), Dim.sym("batch").times(Dim.of(128)));
        assertEquals(Dim.of(12), Dim.of(3).times(Dim.of(4)));
        assertNotEquals(Dim.parse("batch"), Dim.parse("2*batch"));
        assertNotEquals(Dim.parse("batch"), Dim.parse("seq"));
    }

    @Test
    void rejectsWhatIsNotADimension() {
        for (String bad : List.of("", "  ", "-1", "4*", "*4", "4**batch", "batch-1", "1.5", "2batch", "a b")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Dim.parse(bad), "'" + bad + "'");
            assertFalse(e.getMessage().isEmpty());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Dim.parse("4*x-y")).getMessage().contains("'4*x-y'"));
        assertThrows(IllegalArgumentException.class, () -> Dim.of(-1));
        assertThrows(IllegalArgumentException.class, () -> Dim.sym("1abc"));
        assertThrows(IllegalArgumentException.class, () -> Dim.sym(null));
    }

    @Test
    void fixedDimensionsHaveAValue() {
        assertTrue(Dim.of(7).isFixed());
        assertEquals(7, Dim.of(7).value());
        assertFalse(Dim.parse("2*batch").isFixed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Dim.parse("2*batch").value());
        assertTrue(e.getMessage().contains("2*batch"), e.getMessage());
    }

    @Test
    void dividesExactlyOrNotAtAll() {
        assertEquals(Dim.sym("batch"), Dim.parse("128*batch").dividedBy(Dim.of(128)));
        assertEquals(Dim.of(128), Dim.parse("128*batch").dividedBy(Dim.sym("batch")));
        assertEquals(Dim.of(1), Dim.parse("4*batch").dividedBy(Dim.parse("batch*4")));
        assertEquals(Dim.parse("2*seq"), Dim.parse("8*batch*seq").dividedBy(Dim.parse("4*batch")));
        assertEquals(Dim.of(5), Dim.of(35).dividedBy(Dim.of(7)));
        assertNull(Dim.of(10).dividedBy(Dim.of(3)));
        assertNull(Dim.sym("batch").dividedBy(Dim.of(2)));
        assertNull(Dim.parse("4*batch").dividedBy(Dim.sym("seq")));
        assertNull(Dim.sym("batch").dividedBy(Dim.parse("batch*batch")));
        assertNull(Dim.of(4).dividedBy(Dim.of(0)));
    }

    @Test
    void bindReplacesKnownNamesOnly() {
        Dim d = Dim.parse("4*batch*seq");
        assertEquals(Dim.parse("128*seq"), d.bind(Map.of("batch", 32)));
        assertEquals(Dim.of(128 * 7), d.bind(Map.of("batch", 32, "seq", 7L)));
        assertEquals(d, d.bind(Map.of("heads", 8)));
        assertEquals(Dim.of(784), Dim.of(784).bind(Map.of("batch", 32)));
    }

    @Test
    void evaluateNeedsEveryName() {
        assertEquals(896, Dim.parse("4*batch*seq").evaluate(Map.of("batch", 32, "seq", 7)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Dim.parse("4*batch*seq").evaluate(Map.of("batch", 32)));
        assertTrue(e.getMessage().contains("'seq'"), e.getMessage());
    }
}
