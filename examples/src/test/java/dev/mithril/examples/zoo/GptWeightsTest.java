package dev.mithril.examples.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The weights the hand-written decoders share: read by nanoGPT's names, checked, and errors naming the parameter and the reader. */
class GptWeightsTest {
    private static final GptConfig C = new GptConfig(13, 5, 3, 2, 6);

    private static Map<String, Tensor> parameters() {
        try (CompiledModel m = Mithril.compile(Zoo.gpt(C), Backend.JAVA, Level.NONE)) {
            return new LinkedHashMap<>(m.parameters());
        }
    }

    @Test
    void readsEveryBlockAndTheTablesByName() {
        Map<String, Tensor> p = parameters();
        GptWeights w = GptWeights.of(C, p, "Test");
        assertEquals(C.nLayer(), w.blocks().size());
        assertSame(p.get("transformer.wte.weight"), w.wte());
        assertSame(p.get("transformer.wpe.weight"), w.wpe());
        assertSame(p.get("transformer.ln_f.bias"), w.lnfB());
        assertSame(p.get("transformer.h.2.ln_2.weight"), w.blocks().get(2).ln2W());
        assertArrayEquals(p.get("transformer.h.1.mlp.c_fc.bias").data(), w.blocks().get(1).fcB());
    }

    @Test
    void missingAndMisshapedParametersAreNamedWithTheReader() {
        Map<String, Tensor> p = parameters();
        p.remove("transformer.h.1.attn.c_proj.weight");
        var missing = assertThrows(IllegalArgumentException.class, () -> GptWeights.of(C, p, "GptDecoder"));
        assertEquals("GptDecoder: no parameter 'transformer.h.1.attn.c_proj.weight'", missing.getMessage());
        Map<String, Tensor> q = parameters();
        q.put("transformer.h.0.mlp.c_fc.weight", Tensor.zeros(4 * C.dModel(), C.dModel() + 1));
        var shape = assertThrows(IllegalArgumentException.class, () -> new GptDecoder(C, q, 1, 4));
        assertTrue(shape.getMessage().startsWith("GptDecoder: parameter 'transformer.h.0.mlp.c_fc.weight' is F32 [24, 7], expected F32 [24, 6]"),
                shape.getMessage());
        Map<String, Tensor> r = parameters();
        r.put("transformer.ln_f.weight", r.get("transformer.ln_f.weight").toF64());
        var dtype = assertThrows(IllegalArgumentException.class, () -> GptWeights.of(C, r, "X"));
        assertTrue(dtype.getMessage().contains("'transformer.ln_f.weight' is F64"), dtype.getMessage());
    }
}
