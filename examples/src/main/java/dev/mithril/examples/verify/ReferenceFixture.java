package dev.mithril.examples.verify;

import dev.mithril.runtime.Json;
import dev.mithril.runtime.Safetensors;
import dev.mithril.runtime.SafetensorsFile;
import dev.mithril.runtime.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A PyTorch reference case as {@code shared/reference/make_fixtures.py} writes it: a safetensors file
 * whose metadata names the model ({@code model}, {@code config}, {@code loss}, {@code generate}) and whose
 * tensors are the parameters ({@code param.<name>}), the input, the target and PyTorch's results.
 */
public record ReferenceFixture(Path path, String model, Map<String, Object> config, String loss, int generate,
                               Map<String, Tensor> tensors) {
    /** Prefix of the parameters and buffers in a fixture. */
    public static final String PARAM = "param.";

    /** Reads and checks a fixture; errors name the file and what is missing. */
    public static ReferenceFixture read(Path path) {
        Map<String, String> meta;
        Map<String, Tensor> tensors;
        try (SafetensorsFile f = Safetensors.open(path)) {
            meta = f.metadata();
            tensors = f.all();
        }
        String model = meta.get("model"), config = meta.get("config");
        if (model == null || config == null) {
            throw new IllegalArgumentException(path + " is not a reference fixture: its metadata lacks 'model' or 'config' (has " + meta.keySet() + ")");
        }
        Object parsed;
        try {
            parsed = Json.parse(config);
        } catch (Json.ParseException e) {
            throw new IllegalArgumentException(path + ": metadata 'config' is not JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> m)) throw new IllegalArgumentException(path + ": metadata 'config' is not a JSON object: " + config);
        Map<String, Object> cfg = new LinkedHashMap<>();
        m.forEach((k, v) -> cfg.put((String) k, v));
        for (String required : new String[] {"input"}) {
            if (!tensors.containsKey(required)) throw new IllegalArgumentException(path + " has no '" + required + "' tensor");
        }
        int generate;
        try {
            generate = Integer.parseInt(meta.getOrDefault("generate", "0"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(path + ": metadata 'generate' is not a number: " + meta.get("generate"), e);
        }
        return new ReferenceFixture(path, model, cfg, meta.getOrDefault("loss", ""), generate, tensors);
    }

    /** The parameters and buffers, by their PyTorch names (the {@code param.} prefix removed). */
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> { if (k.startsWith(PARAM)) out.put(k.substring(PARAM.length()), v); });
        return out;
    }

    /** Tensors whose names start with {@code prefix}, keyed by the rest of the name. */
    public Map<String, Tensor> group(String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> { if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v); });
        return out;
    }

    public Tensor tensor(String name) { return tensors.get(name); }
}
