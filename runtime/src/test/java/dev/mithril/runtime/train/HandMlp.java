package dev.mithril.runtime.train;

import dev.mithril.runtime.AbstractCompiledModel;
import dev.mithril.runtime.DType;
import dev.mithril.runtime.Kernels;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A hand-written trainable model for the tests until generated ones exist: {@code y = W2 relu(W1 x + b1) + b2},
 * backward derived by hand, in F32 or F64.
 */
final class HandMlp extends AbstractCompiledModel implements Trainable {
    private final Tensor w1, b1, w2, b2;
    private final Map<String, Tensor> grads = new LinkedHashMap<>();
    private final Set<String> trainable = new LinkedHashSet<>();
    private Tensor x, h;

    HandMlp(int in, int hidden, int out, DType dtype, long seed) {
        w1 = param("fc1.weight", dtype, hidden, in);
        b1 = param("fc1.bias", dtype, hidden);
        w2 = param("fc2.weight", dtype, out, hidden);
        b2 = param("fc2.bias", dtype, out);
        SplittableRandom r = new SplittableRandom(seed);
        for (var e : parameters().entrySet()) {
            Tensor t = e.getValue();
            double bound = 1 / Math.sqrt(e.getKey().startsWith("fc1") ? in : hidden);
            for (int i = 0; i < t.size(); i++) {
                double v = (r.nextDouble() * 2 - 1) * bound;
                if (dtype == DType.F64) t.doubles()[i] = v; else t.data()[i] = (float) v;
            }
            grads.put(e.getKey(), Tensor.zeros(dtype, t.shape()));
            trainable.add(e.getKey());
        }
    }

    @Override public Map<String, Tensor> evaluate(Map<String, Tensor> inputs) {
        checkInputs(inputs);
        Tensor xi = inputs.get("x");
        return Map.of("y", Kernels.linear(Kernels.relu(Kernels.linear(xi, w1, b1)), w2, b2));
    }

    @Override public Map<String, Tensor> forwardTrain(Map<String, Tensor> inputs) {
        checkInputs(inputs);
        x = inputs.get("x");
        h = Kernels.relu(Kernels.linear(x, w1, b1));
        return Map.of("y", Kernels.linear(h, w2, b2));
    }

    @Override public void backward(Map<String, Tensor> outputGradients) {
        if (x == null) throw new IllegalStateException("HandMlp.backward: no forwardTrain before");
        Tensor dy = outputGradients.get("y");
        accumulate("fc2.weight", Kernels.matmul(Kernels.transpose(dy, 0, 1), h));
        accumulate("fc2.bias", Kernels.sum(dy, new int[] {0}, false));
        Tensor dh = Kernels.matmul(dy, w2);
        Tensor mask = Tensor.zeros(h.dtype(), h.shape());
        for (int i = 0; i < h.size(); i++) {
            if (h.dtype() == DType.F64) mask.doubles()[i] = h.doubles()[i] > 0 ? 1 : 0;
            else mask.data()[i] = h.data()[i] > 0 ? 1 : 0;
        }
        Tensor dz = Kernels.mul(dh, mask);
        accumulate("fc1.weight", Kernels.matmul(Kernels.transpose(dz, 0, 1), x));
        accumulate("fc1.bias", Kernels.sum(dz, new int[] {0}, false));
    }

    private void accumulate(String name, Tensor g) {
        if (trainable.contains(name)) Kernels.addInto(grads.get(name), g, grads.get(name));
    }

    @Override public Map<String, Tensor> gradients() { return grads; }

    @Override public Map<String, Tensor> inputGradients() { return Map.of(); }

    @Override public void zeroGrad() {
        for (Tensor g : grads.values()) {
            if (g.dtype() == DType.F64) java.util.Arrays.fill(g.doubles(), 0); else java.util.Arrays.fill(g.data(), 0);
        }
    }

    @Override public void setTrainable(String parameter, boolean on) { if (on) trainable.add(parameter); else trainable.remove(parameter); }

    @Override public Set<String> trainableParameters() { return trainable; }

    @Override public void setInputRequiresGrad(String input, boolean requiresGrad) {
        throw new UnsupportedOperationException("HandMlp has no input gradients");
    }

    @Override public List<String> inputNames() { return List.of("x"); }

    @Override public List<String> outputNames() { return List.of("y"); }

    @Override public String backend() { return "java"; }

    @Override public String level() { return "hand"; }
}
