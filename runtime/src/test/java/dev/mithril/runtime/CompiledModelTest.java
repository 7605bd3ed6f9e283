package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompiledModelTest {
    @TempDir Path dir;

    /** What a generated one-layer model looks like. */
    static final class LinearModel extends AbstractCompiledModel {
        final Tensor weight = param("linear.weight", 32, 64);
        final Tensor bias = paramFanIn("linear.bias", 64, 32);

        @Override public Map<String, Tensor> evaluate(Map<String, Tensor> inputs) {
            checkInputs(inputs);
            Tensor x = input(inputs, "x", -1, 64);
            return Map.of("y", Kernels.linear(x, weight, bias));
        }

        @Override public List<String> inputNames() { return List.of("x"); }
        @Override public List<String> outputNames() { return List.of("y"); }
        @Override public String backend() { return "java"; }
        @Override public String level() { return "none"; }
    }

    private static Path reference(String name) {
        return Path.of(System.getProperty("mithril.reference.dir", "/work/shared/reference"), name);
    }

    @Test void loadsFixtureWithPrefixAndMatchesPyTorch() {
        try (LinearModel m = new LinearModel()) {
            Map<String, Tensor> file = Safetensors.read(reference("linear.safetensors"));
            m.load(file, "param.");
            assertEquals(List.of("linear.weight", "linear.bias"), List.copyOf(m.parameters().keySet()));
            assertEquals(0.06440789997577667f, m.parameters().get("linear.weight").get(0, 0));
            Tensor y = m.evaluate(Map.of("x", file.get("input"))).get("y");
            Ref.assertClose(file.get("output.eval").data(), y.data(), 1e-5, "model output");
        }
    }

    @Test void loadErrorListsEveryProblem() {
        LinearModel m = new LinearModel();
        Map<String, Tensor> bad = new LinkedHashMap<>();
        bad.put("linear.weight", Tensor.zeros(64, 32));
        bad.put("extra.thing", Tensor.zeros(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.load(bad));
        String msg = e.getMessage();
        assertTrue(msg.contains("missing: \"linear.bias\""), msg);
        assertTrue(msg.contains("unexpected: \"extra.thing\""), msg);
        assertTrue(msg.contains("\"linear.weight\" expects [32, 64] but got [64, 32]"), msg);
        assertTrue(msg.contains("3 problem"), msg);
        assertEquals(0f, m.weight.get(0, 0), "nothing loaded on failure");
    }

    @Test void saveLoadRoundTripAndInitialize() {
        LinearModel a = new LinearModel();
        a.initialize(42);
        float bound = (float) (1 / Math.sqrt(64));
        float max = 0;
        for (float v : a.weight.data()) max = Math.max(max, Math.abs(v));
        for (float v : a.bias.data()) max = Math.max(max, Math.abs(v));
        assertTrue(max <= bound && max > 0.9f * bound, "max " + max + " bound " + bound);
        LinearModel same = new LinearModel();
        same.initialize(42);
        assertArrayEquals(a.weight.data(), same.weight.data());
        Path p = dir.resolve("m.safetensors");
        a.save(p);
        LinearModel b = new LinearModel();
        b.load(p);
        assertArrayEquals(a.weight.data(), b.weight.data());
        assertArrayEquals(a.bias.data(), b.bias.data());
    }

    @Test void evaluateChecksInputs() {
        LinearModel m = new LinearModel();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.evaluate(Map.of("z", Tensor.zeros(1, 64))));
        assertTrue(e.getMessage().contains("missing inputs \"x\"") && e.getMessage().contains("unexpected inputs \"z\""), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.evaluate(Map.of("x", Tensor.zeros(2, 63))));
        assertTrue(e.getMessage().contains("[2, 63]") && e.getMessage().contains("[*, 64]"), e.getMessage());
    }
}
