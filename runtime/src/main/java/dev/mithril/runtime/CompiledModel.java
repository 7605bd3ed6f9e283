package dev.mithril.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A model compiled to Java (or another backend): what every generated model class implements.
 *
 * <pre>{@code
 * try (CompiledModel m = new MlpModel()) {
 *     m.load(Path.of("mlp.safetensors"));
 *     Tensor logits = m.evaluate(Map.of("x", x)).get("logits");
 * }
 * }</pre>
 */
public interface CompiledModel extends AutoCloseable {
    /**
     * Runs the forward pass. @throws IllegalArgumentException naming every missing or unexpected input
     * name, or an input whose shape does not match
     */
    Map<String, Tensor> evaluate(Map<String, Tensor> inputs);

    /** Input names in declaration order. */
    List<String> inputNames();

    /** Output names in declaration order. */
    List<String> outputNames();

    /** Parameters and buffers in registration order, PyTorch-style names ({@code "layers.0.weight"}); live tensors. */
    Map<String, Tensor> parameters();

    /** Loads parameters from a safetensors file (names and shapes must match exactly). */
    void load(Path safetensors);

    /** Copies values into the parameters. @throws IllegalArgumentException listing every missing, unexpected or mis-shaped name */
    void load(Map<String, Tensor> tensors);

    /** Writes {@link #parameters()} as a safetensors file. */
    void save(Path safetensors);

    /** The backend the model was generated for, e.g. {@code "java"}. */
    String backend();

    /** The optimization level it was generated at, e.g. {@code "none"} or {@code "full"}. */
    String level();

    /** Frees off-heap memory the model owns. */
    @Override void close();
}
