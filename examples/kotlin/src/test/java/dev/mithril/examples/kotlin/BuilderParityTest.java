package dev.mithril.examples.kotlin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Value;
import org.junit.jupiter.api.Test;

/** A model built with the builder from Java gives the same IR as the Kotlin operator form. */
class BuilderParityTest {
    @Test
    void shiftedHeadFromJavaMatchesKotlin() {
        ModelBuilder m = new ModelBuilder("ShiftedHead");
        Value x = m.input("x", "batch", 64);
        Value shift = m.parameter("shift", 64, 64);
        Value h = x.linear("h1", 64).relu().plus(shift);
        m.output("logits", h.times(2f).plus(x).linear("out", 10));
        assertEquals(m.build().toText(), BuilderExamples.shiftedHead().toText());
    }

    @Test
    void mlpFromJavaMatchesKotlin() {
        ModelBuilder m = new ModelBuilder("Mlp");
        Value h = m.input("x", "batch", 784).linear("layers.0", 1024).relu();
        h = h.linear("layers.2", 512).relu();
        h = h.linear("layers.4", 256).relu();
        m.output("logits", h.linear("layers.6", 10));
        assertEquals(m.build().toText(), BuilderExamples.mlpGraph().toText());
    }
}
