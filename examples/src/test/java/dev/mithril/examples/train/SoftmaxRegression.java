package dev.mithril.examples.train;

import dev.mithril.runtime.AbstractCompiledModel;
import dev.mithril.runtime.Kernels;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A hand-written trainable {@code logits = x W^T + b} (784 to 10) that exercises the loop before generated models implement {@link Trainable}. */
final class SoftmaxRegression extends AbstractCompiledModel implements Trainable {
    private final Tensor w = param("fc.weight", 10, 784), b = paramFanIn("fc.bias", 784, 10);
    private final Map<String, Tensor> grads = new LinkedHashMap<>();
    private final Set<String> trainable = new LinkedHashSet<>(List.of("fc.weight", "fc.bias"));
    private Tensor x;

    SoftmaxRegression(long seed) {
        initialize(seed);
        grads.put("fc.weight", Tensor.zeros(10, 784));
        grads.put("fc.bias", Tensor.zeros(10));
    }

    @Override public Map<String, Tensor> evaluate(Map<String, Tensor> inputs) {
        checkInputs(inputs);
        return Map.of("logits", Kernels.linear(inputs.get("x"), w, b));
    }

    @Override public Map<String, Tensor> forwardTrain(Map<String, Tensor> inputs) {
        x = inputs.get("x");
        return evaluate(inputs);
    }

    @Override public void backward(Map<String, Tensor> outputGradients) {
        Tensor dy = outputGradients.get("logits");
        Kernels.addInto(grads.get("fc.weight"), Kernels.matmul(Kernels.transpose(dy, 0, 1), x), grads.get("fc.weight"));
        Kernels.addInto(grads.get("fc.bias"), Kernels.sum(dy, new int[] {0}, false), grads.get("fc.bias"));
    }

    @Override public Map<String, Tensor> gradients() { return grads; }
    @Override public Map<String, Tensor> inputGradients() { return Map.of(); }
    @Override public void zeroGrad() { grads.values().forEach(g -> Arrays.fill(g.data(), 0f)); }
    @Override public void setTrainable(String p, boolean on) { if (on) trainable.add(p); else trainable.remove(p); }
    @Override public Set<String> trainableParameters() { return trainable; }
    @Override public void setInputRequiresGrad(String input, boolean on) { throw new UnsupportedOperationException(); }
    @Override public List<String> inputNames() { return List.of("x"); }
    @Override public List<String> outputNames() { return List.of("logits"); }
    @Override public String backend() { return "java"; }
    @Override public String level() { return "hand"; }
}
