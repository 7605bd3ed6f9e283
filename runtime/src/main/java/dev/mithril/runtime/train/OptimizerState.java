package dev.mithril.runtime.train;

import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** Named per-parameter state buffers shared by the optimizers: creation, checks, export and import. */
final class OptimizerState {
    private final String owner;
    /** "<parameter>.<buffer>" to tensor, sorted so exports are deterministic. */
    private final Map<String, Tensor> buffers = new TreeMap<>();

    OptimizerState(String owner) { this.owner = owner; }

    /** The buffer, or null when it does not exist yet. */
    Tensor get(String parameter, String buffer) { return buffers.get(parameter + "." + buffer); }

    /** The buffer, created as zeros shaped and typed like {@code like} when missing. */
    Tensor getOrZeros(String parameter, String buffer, Tensor like) {
        return buffers.computeIfAbsent(parameter + "." + buffer, k -> Tensor.zeros(like.dtype(), like.shape()));
    }

    void put(String parameter, String buffer, Tensor t) { buffers.put(parameter + "." + buffer, t); }

    /** The per-parameter step count kept as an I64 scalar tensor ({@code <parameter>.step}) so it exports with the rest. */
    long incrementStep(String parameter) {
        Tensor t = buffers.computeIfAbsent(parameter + ".step", k -> Tensor.ofLongs(new long[1], 1));
        return ++t.longs()[0];
    }

    Map<String, Tensor> export() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        buffers.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }

    void load(Map<String, Tensor> state) {
        buffers.clear();
        state.forEach((k, v) -> buffers.put(k, v.copy()));
    }

    /** Checks one parameter against its gradient. */
    void check(String name, Tensor p, Tensor g) {
        if (!p.sameShape(g) || p.dtype() != g.dtype()) {
            throw new IllegalArgumentException(owner + ": gradient of " + name + " is " + g.dtype() + " " + Tensor.shapeString(g.shape())
                    + " but the parameter is " + p.dtype() + " " + Tensor.shapeString(p.shape()));
        }
        if (p.dtype() != DType.F32 && p.dtype() != DType.F64) {
            throw new IllegalArgumentException(owner + ": parameter " + name + " is " + p.dtype() + "; only float32 and float64 train");
        }
    }

    static void checkRange(String owner, String what, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) throw new IllegalArgumentException(owner + ": " + what + " must be in [" + lo + ", " + hi + "], got " + v);
    }
}
