package dev.mithril.dsl.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.MithrilException;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Positions;
import dev.mithril.runtime.DType;
import org.junit.jupiter.api.Test;

/** Shared (tied) parameters and position ids: what GPT's tied output head and learned positions need. */
class TiedWeightsAndPositionsTest {
    @Test
    void positionsCountASymbolicAxisAsInt64() {
        ModelBuilder m = new ModelBuilder("P");
        Value ids = m.input("ids", DType.I64, "batch", "T");
        Value pos = ids.positions(1);
        assertEquals(DType.I64, pos.node().type().dtype());
        assertEquals("[T]", pos.node().type().shapeString());
        assertEquals("[batch]", ids.positions(0).node().type().shapeString());
        assertEquals("[T]", ids.positions(-1).node().type().shapeString());
        assertEquals("axis=1", new Positions(1).attributes());
        MithrilException e = assertThrows(MithrilException.class, () -> ids.positions(2));
        assertTrue(e.getMessage().contains("axis 2 is out of range"), e.getMessage());
    }

    @Test
    void tiedLinearReadsTheSharedTableWithoutANewParameter() {
        ModelBuilder m = new ModelBuilder("Tied");
        Value ids = m.input("ids", DType.I64, "batch", "T");
        Value x = ids.embedding("wte", 10, 4).plus(ids.positions(1).embedding("wpe", 8, 4));
        Value table = m.node("wte.weight");
        Value logits = x.linearTied("head", table);
        m.output("logits", logits);
        Graph g = m.build();
        assertEquals(2, g.parameters().size(), "wte and wpe only");
        assertEquals("[batch, T, 10]", g.outputs().get("logits").type().shapeString());
        Node wte = g.node("wte.weight");
        assertSame(wte, g.outputs().get("logits").input(1));
        assertEquals(2, g.users().get(wte).size(), "the table feeds the lookup and the head");
        // A lookup in an existing table shares it too.
        ModelBuilder m2 = new ModelBuilder("Shared");
        Value a = m2.input("a", DType.I64, "n");
        Value t = m2.parameter("t", 0, 6, 3);
        assertSame(t.node(), a.embedding(t).node().input(1));
    }

    @Test
    void tyingToSomethingOtherThanAParameterOrAMissingNodeIsAnError() {
        ModelBuilder m = new ModelBuilder("Bad");
        Value x = m.input("x", "batch", 4);
        Value h = x.linear("h", 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.linearTied("head", h));
        assertTrue(e.getMessage().contains("'h'") && e.getMessage().contains("not a parameter"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.node("wte.weight"));
        assertTrue(e.getMessage().contains("'wte.weight'"), e.getMessage());
        // A tied weight of the wrong width is a shape error naming both.
        Value w = m.parameter("w", 3, 5, 3);
        MithrilException bad = assertThrows(MithrilException.class, () -> x.linearTied("head", w));
        assertTrue(bad.getMessage().contains("'w'") && bad.getMessage().contains("'x'"), bad.getMessage());
    }
}
