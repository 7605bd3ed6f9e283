package dev.mithril.examples.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.examples.verify.FixtureCheck;
import dev.mithril.examples.verify.ReferenceFixture;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The GPT decoder of the zoo: its graph and names, the annotated form, and generation with and without the cache. */
class GptTest {
    private static ReferenceFixture tiny() {
        return ReferenceFixture.read(Path.of(System.getProperty("mithril.reference.dir", "../../shared/reference"), "gpt_tiny.safetensors"));
    }

    private static Tensor prompt(ReferenceFixture f, int p) { return columns(f.tensor("input"), 0, p); }

    /** {@code graph} compiled at {@code level} with the fixture's parameters loaded. */
    private static CompiledModel loaded(ReferenceFixture f, Graph graph, Level level) {
        CompiledModel m = Mithril.compile(graph, Backend.JAVA, level);
        m.load(f.parameters());
        return m;
    }

    @Test
    void parametersAreNanoGptsStateDictKeysInOrderWithTheHeadTiedToWte() {
        Graph g = Zoo.gpt(16, 8, 1, 2, 4);
        List<String> names = g.parameters().stream().map(n -> ((Parameter) n.op()).paramName()).toList();
        List<String> expected = new ArrayList<>(List.of("transformer.wte.weight", "transformer.wpe.weight"));
        for (String p : List.of("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
                "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias")) expected.add("transformer.h.0." + p);
        expected.addAll(List.of("transformer.ln_f.weight", "transformer.ln_f.bias"));
        assertEquals(expected, names);
        Node head = g.outputs().get("logits");
        assertEquals("linear", head.op().kind());
        assertEquals(2, head.inputs().size(), "lm_head has no bias");
        assertEquals("transformer.wte.weight", head.input(1).name(), "lm_head reads the token table");
        assertEquals("[batch, T, 16]", head.type().shapeString());
        assertEquals(names, Zoo.fromConfig("gpt", Map.of("vocab_size", 16, "block_size", 8, "n_layer", 1, "n_head", 2, "d_model", 4))
                .parameters().stream().map(n -> ((Parameter) n.op()).paramName()).toList());
        assertThrows(IllegalArgumentException.class, () -> Zoo.fromConfig("gpt", Map.of("vocab_size", 16)));
        assertThrows(IllegalArgumentException.class, () -> Zoo.gpt(16, 8, 1, 3, 4), "width not a multiple of the heads");
    }

    @Test
    void annotatedGptIsTheBuilderModelAtTheSeedSize() {
        try (GptModel annotated = GptJavaNone.create(3);
             CompiledModel built = Mithril.compile(Zoo.gpt(GptConfig.SEED), Backend.JAVA, Level.NONE)) {
            Map<String, Tensor> a = annotated.parameters(), b = built.parameters();
            assertEquals(List.copyOf(b.keySet()), List.copyOf(a.keySet()));
            b.forEach((k, v) -> assertArrayEquals(v.shape(), a.get(k).shape(), k));
            assertEquals(2 + 6 * 12 + 2, a.size());
            built.load(a);
            Tensor ids = Tensor.ofLongs(new long[] {50256, 7, 1000, 3}, 1, 4);
            Tensor x = annotated.forward(ids), y = built.evaluate(Map.of("idx", ids)).get("logits");
            assertArrayEquals(new int[] {1, 4, 50257}, x.shape());
            assertEquals(0, FixtureCheck.relativeError(y, x), 1e-6);
        }
    }

    @Test
    void decoderLogitsMatchTheForwardPassAtEveryPosition() {
        ReferenceFixture f = tiny();
        GptConfig c = Zoo.gptConfig(f.config());
        try (CompiledModel model = loaded(f, Zoo.gpt(c), Level.FULL)) {
            Tensor in = f.tensor("input");
            int b = in.dim(0), t = in.dim(1);
            float[] full = model.evaluate(Map.of("idx", in)).get("logits").data();
            checkDecoder(new GptDecoder(c, model.parameters(), b, t), in, full, 5, "hand-written");
            for (Level level : Level.values()) {
                for (int prefill : new int[] {1, 6}) {
                    try (CompiledDecoder d = new CompiledDecoder(c, level, model.parameters(), b, t)) {
                        checkDecoder(d, in, full, prefill, "compiled " + level + ", prompt of " + prefill);
                        assertTrue(!(d.model() instanceof dev.mithril.runtime.Trainable), "decoding with caches is inference only");
                    }
                }
            }
        }
    }

    /** A second prompt continues from the positions the first one cached, for the hand-written and compiled decoders. */
    @Test
    void aPromptContinuesFromTheCachedPositions() {
        ReferenceFixture f = tiny();
        GptConfig c = Zoo.gptConfig(f.config());
        try (CompiledModel model = loaded(f, Zoo.gpt(c), Level.NONE)) {
            Tensor in = f.tensor("input");
            int b = in.dim(0), t = in.dim(1), v = c.vocabSize();
            float[] full = model.evaluate(Map.of("idx", in)).get("logits").data();
            try (CompiledDecoder compiled = new CompiledDecoder(c, Level.FULL, model.parameters(), b, t)) {
                for (Decoder d : List.of(new GptDecoder(c, model.parameters(), b, t), compiled)) {
                    assertLogits(full, d.prompt(columns(in, 0, 3)), 2, b, t, v, d.getClass().getSimpleName() + ", first prompt");
                    assertLogits(full, d.prompt(columns(in, 3, 7)), 6, b, t, v, d.getClass().getSimpleName() + ", second prompt");
                    assertEquals(7, d.length());
                }
            }
        }
    }

    /** Columns {@code [from, to)} of int64 ids {@code [B, T]}. */
    private static Tensor columns(Tensor ids, int from, int to) {
        int b = ids.dim(0), t = ids.dim(1);
        long[] all = ids.longs(), part = new long[b * (to - from)];
        for (int r = 0; r < b; r++) System.arraycopy(all, r * t + from, part, r * (to - from), to - from);
        return Tensor.ofLongs(part, b, to - from);
    }

    /**
     * A prompt of the first {@code prefill} positions, then one position per step: the logits after each equal the full
     * forward pass's at that position; a full cache and bad tokens are refused.
     */
    private static void checkDecoder(Decoder d, Tensor in, float[] full, int prefill, String what) {
        int b = in.dim(0), t = in.dim(1), v = d.config().vocabSize();
        long[] ids = in.longs();
        assertLogits(full, d.prompt(columns(in, 0, prefill)), prefill - 1, b, t, v, what);
        assertEquals(prefill, d.length(), what);
        for (int pos = prefill; pos < t; pos++) {
            long[] tokens = new long[b];
            for (int r = 0; r < b; r++) tokens[r] = ids[r * t + pos];
            assertLogits(full, d.step(tokens, true), pos, b, t, v, what);
        }
        assertEquals(t, d.length());
        assertThrows(IllegalStateException.class, () -> d.step(new long[b], true), what + ": the cache is full");
        d.reset();
        assertThrows(IndexOutOfBoundsException.class, () -> d.step(new long[] {0, v}, true), what);
    }

    private static void assertLogits(float[] full, Tensor logits, int pos, int b, int t, int v, String what) {
        float[] ref = new float[b * v];
        for (int r = 0; r < b; r++) System.arraycopy(full, (r * t + pos) * v, ref, r * v, v);
        Tensor actual = Tensor.of(java.util.Arrays.copyOf(logits.data(), b * v), b, v);
        assertEquals(0, FixtureCheck.relativeError(Tensor.of(ref, b, v), actual), 1e-5, what + " position " + pos);
    }

    /**
     * {@link Zoo#gptLast}: at every level, its logits are the full forward pass's last position, for sequences of two
     * lengths through one compiled model; generation without a cache picks the same tokens with it as with the full
     * model.
     */
    @Test
    void lastPositionModelMatchesTheFullForwardPass() {
        ReferenceFixture f = tiny();
        GptConfig c = Zoo.gptConfig(f.config());
        try (CompiledModel full = loaded(f, Zoo.gpt(c), Level.NONE)) {
            Tensor in = f.tensor("input");
            int b = in.dim(0), t = in.dim(1), v = c.vocabSize();
            for (Level level : Level.values()) {
                try (CompiledModel last = loaded(f, Zoo.gptLast(c), level)) {
                    for (int len : new int[] {t, 3}) {
                        Tensor seq = columns(in, 0, len);
                        Tensor logits = last.evaluate(Map.of("idx", seq)).get("logits");
                        assertArrayEquals(new int[] {b, 1, v}, logits.shape(), level + " at length " + len);
                        assertLogits(full.evaluate(Map.of("idx", seq)).get("logits").data(), logits, len - 1, b, len, v,
                                "gptLast " + level + " at length " + len);
                    }
                    Tensor prompt = prompt(f, 4);
                    assertArrayEquals(Generation.withoutCache(full, prompt, 8, Sampling.greedy()).longs(),
                            Generation.withoutCache(last, prompt, 8, Sampling.greedy()).longs(), "greedy tokens, " + level);
                }
            }
        }
    }

    @Test
    void sampledGenerationPicksTheSameTokensWithAndWithoutTheCache() {
        ReferenceFixture f = tiny();
        GptConfig c = Zoo.gptConfig(f.config());
        try (CompiledModel model = loaded(f, Zoo.gpt(c), Level.BASIC)) {
            Tensor prompt = prompt(f, 4);
            for (Sampling s : List.of(Sampling.greedy(), new Sampling(0.8, 10, 7), new Sampling(1.5, 0, 11))) {
                Tensor cached = Generation.withCache(new GptDecoder(c, model.parameters(), 2, 4 + 12), prompt, 12, s);
                Tensor plain = Generation.withoutCache(model, prompt, 12, s);
                try (CompiledDecoder d = new CompiledDecoder(c, Level.BASIC, model.parameters(), 2, 4 + 12)) {
                    assertArrayEquals(plain.longs(), Generation.withCache(d, prompt, 12, s).longs(), "compiled decoder, " + s);
                }
                assertArrayEquals(new int[] {2, 16}, cached.shape());
                assertArrayEquals(plain.longs(), cached.longs(), s.toString());
                for (int r = 0; r < 2; r++) for (int i = 0; i < 4; i++) assertEquals(prompt.longs()[r * 4 + i], cached.longs()[r * 16 + i], "prompt kept");
            }
            Tensor a = Generation.withoutCache(model, prompt, 12, new Sampling(1.5, 0, 11));
            Tensor b = Generation.withoutCache(model, prompt, 12, new Sampling(1.5, 0, 12));
            assertNotEquals(List.of(a.longs()), List.of(b.longs()), "another seed draws other tokens");
        }
    }

    @Test
    void samplingIsGreedyAtTemperatureZeroAndStaysInTheTopK() {
        float[] z = {1f, 3f, 3f, 2f, -1f};
        assertEquals(1, Sampling.greedy().chooser().pick(z, 0, 1, 5)[0], "the first of equal maxima, as torch.argmax");
        Sampling.Chooser hot = new Sampling(100, 2, 5).chooser();
        int[] seen = new int[5];
        for (int i = 0; i < 400; i++) seen[(int) hot.pick(z, 0, 1, 5)[0]]++;
        assertEquals(0, seen[0] + seen[3] + seen[4], "only the two largest logits are drawn");
        assertTrue(seen[1] > 100 && seen[2] > 100, "a high temperature draws both about equally: " + java.util.Arrays.toString(seen));
        assertArrayEquals(new Sampling(1, 0, 9).chooser().pick(z, 0, 1, 5), new Sampling(1, 0, 9).chooser().pick(z, 0, 1, 5));
        assertThrows(IllegalArgumentException.class, () -> new Sampling(-1, 0, 0));
    }
}
