package dev.mithril.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TextTableTest {
    @Test
    void alignsTextLeftAndNumbersRight() {
        String t = new TextTable("Level", "Throughput").row("None", "1,024").row("Full", "51,200.5").toString();
        assertEquals("""
                Level  Throughput
                -----  ----------
                None        1,024
                Full     51,200.5
                """, t);
    }

    @Test
    void rowMustFitTheHeader() {
        assertThrows(IllegalArgumentException.class, () -> new TextTable("a", "b").row("only one"));
    }
}
