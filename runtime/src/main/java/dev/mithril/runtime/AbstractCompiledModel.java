package dev.mithril.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Base class of generated models: keeps the ordered parameter registry and implements loading, saving
 * and PyTorch-style initialization on top of it. Subclasses register parameters in their constructor
 * (or field initializers) with {@link #param} and implement the forward pass.
 */
public abstract class AbstractCompiledModel implements CompiledModel {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Integer> fanIns = new LinkedHashMap<>();
    private final Map<String, Tensor> paramsView = Collections.unmodifiableMap(params);
    private final Set<String> normal = new LinkedHashSet<>();

    protected AbstractCompiledModel() {}

    /**
     * Registers a zero F32 parameter. Its fan-in for {@link #initialize} is the product of all dimensions
     * but the first (PyTorch's rule for Linear and Conv weights); rank 0 and 1 parameters have no fan-in
     * and keep their values (register biases with {@link #paramFanIn}).
     */
    protected Tensor param(String name, int... shape) {
        int fanIn = 0;
        if (shape.length >= 2) {
            fanIn = 1;
            for (int i = 1; i < shape.length; i++) fanIn *= shape[i];
        }
        return register(name, Tensor.zeros(shape), fanIn);
    }

    /** Registers a zero F32 parameter that {@link #initialize} fills uniformly in ±1/sqrt(fanIn). */
    protected Tensor paramFanIn(String name, int fanIn, int... shape) {
        if (fanIn <= 0) throw new IllegalArgumentException("AbstractCompiledModel.paramFanIn: fan-in of \"" + name + "\" must be positive, got " + fanIn);
        return register(name, Tensor.zeros(shape), fanIn);
    }

    /** {@link #paramFanIn(String, int, int...)} of element type {@code dtype} (F32 or F64), initialized the same way. */
    protected Tensor paramFanIn(String name, DType dtype, int fanIn, int... shape) {
        if (fanIn <= 0) throw new IllegalArgumentException("AbstractCompiledModel.paramFanIn: fan-in of \"" + name + "\" must be positive, got " + fanIn);
        if (dtype != DType.F32 && dtype != DType.F64) {
            throw new IllegalArgumentException("AbstractCompiledModel.paramFanIn: \"" + name + "\" must be F32 or F64, got " + dtype);
        }
        return register(name, Tensor.zeros(dtype, shape), fanIn);
    }

    /** Registers a zero parameter or buffer of any dtype (e.g. I64 {@code num_batches_tracked}); not initialized. */
    protected Tensor param(String name, DType dtype, int... shape) {
        return register(name, Tensor.zeros(dtype, shape), 0);
    }

    /** Registers an F32 parameter or buffer holding {@code value} everywhere (norm weights: 1, running variances: 1); not re-initialized. */
    protected Tensor paramFilled(String name, float value, int... shape) {
        Tensor t = Tensor.zeros(shape);
        Arrays.fill(t.data(), value);
        return register(name, t, 0);
    }

    /** {@link #paramFilled(String, float, int...)} of element type {@code dtype} (F32 or F64). */
    protected Tensor paramFilled(String name, DType dtype, double value, int... shape) {
        if (dtype == DType.F32) return paramFilled(name, (float) value, shape);
        if (dtype != DType.F64) throw new IllegalArgumentException("AbstractCompiledModel.paramFilled: \"" + name + "\" must be F32 or F64, got " + dtype);
        Tensor t = Tensor.zeros(DType.F64, shape);
        Arrays.fill(t.doubles(), value);
        return register(name, t, 0);
    }

    /** Registers an F32 parameter that {@link #initialize} fills from N(0, 1), {@code nn.Embedding}'s default. */
    protected Tensor paramNormal(String name, int... shape) {
        Tensor t = register(name, Tensor.zeros(shape), 0);
        normal.add(name);
        return t;
    }

    private Tensor register(String name, Tensor t, int fanIn) {
        if (params.containsKey(name)) throw new IllegalArgumentException("AbstractCompiledModel.param: \"" + name + "\" registered twice");
        params.put(name, t);
        fanIns.put(name, fanIn);
        return t;
    }

    @Override public Map<String, Tensor> parameters() { return paramsView; }

    /**
     * Fills every parameter that has a fan-in uniformly in [-1/sqrt(fanIn), 1/sqrt(fanIn)) — what PyTorch's
     * {@code nn.Linear} default init gives weight and bias — deterministically from {@code seed}, in
     * registration order.
     */
    public void initialize(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            int fanIn = fanIns.get(e.getKey());
            if (normal.contains(e.getKey())) {
                float[] d = e.getValue().data();
                for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
                continue;
            }
            if (fanIn <= 0) continue;
            double bound = 1.0 / Math.sqrt(fanIn);
            if (e.getValue().dtype() == DType.F64) { // the same draws as F32, kept in double
                double[] d = e.getValue().doubles();
                for (int i = 0; i < d.length; i++) d[i] = (r.nextDouble() * 2 - 1) * bound;
                continue;
            }
            if (e.getValue().dtype() != DType.F32) continue;
            float[] d = e.getValue().data();
            for (int i = 0; i < d.length; i++) d[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        }
    }

    @Override public void load(Path safetensors) { load(Safetensors.read(safetensors)); }

    /** Loads from a file, considering only names that start with {@code prefix} (stripped). */
    public void load(Path safetensors, String prefix) { load(Safetensors.read(safetensors), prefix); }

    @Override public void load(Map<String, Tensor> tensors) { load(tensors, ""); }

    /**
     * Copies values into the parameters, considering only names starting with {@code prefix} and stripping
     * it (fixtures store parameters as {@code "param.<name>"}). Nothing is modified unless everything matches.
     *
     * @throws IllegalArgumentException listing every missing name, unexpected name, shape and dtype mismatch
     */
    public void load(Map<String, Tensor> tensors, String prefix) {
        Map<String, Tensor> given = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().startsWith(prefix)) given.put(e.getKey().substring(prefix.length()), e.getValue());
        }
        List<String> problems = new ArrayList<>();
        Set<String> missing = new LinkedHashSet<>(params.keySet());
        missing.removeAll(given.keySet());
        if (!missing.isEmpty()) problems.add("missing: " + quoted(missing, prefix));
        Set<String> unexpected = new LinkedHashSet<>(given.keySet());
        unexpected.removeAll(params.keySet());
        if (!unexpected.isEmpty()) problems.add("unexpected: " + quoted(unexpected, prefix));
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            Tensor src = given.get(e.getKey());
            if (src == null) continue;
            Tensor dst = e.getValue();
            if (!dst.sameShape(src)) {
                problems.add("shape mismatch: \"" + prefix + e.getKey() + "\" expects " + Tensor.shapeString(dst.shape())
                        + " but got " + Tensor.shapeString(src.shape()));
            } else if (!compatible(dst.dtype(), src.dtype())) {
                problems.add("dtype mismatch: \"" + prefix + e.getKey() + "\" expects " + dst.dtype().safetensorsName()
                        + " but got " + src.dtype().safetensorsName());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".load: " + problems.size() + " problem(s): "
                    + String.join("; ", problems));
        }
        for (Map.Entry<String, Tensor> e : params.entrySet()) copyInto(given.get(e.getKey()), e.getValue());
    }

    private static boolean compatible(DType dst, DType src) {
        if (dst.isFloatingPoint()) return src.isFloatingPoint();
        return dst == src;
    }

    private static void copyInto(Tensor src, Tensor dst) {
        switch (dst.dtype()) {
            case F32 -> System.arraycopy(src.toF32().data(), 0, dst.data(), 0, dst.size());
            case I64 -> System.arraycopy(src.longs(), 0, dst.longs(), 0, dst.size());
            case I32 -> System.arraycopy(src.ints(), 0, dst.ints(), 0, dst.size());
            case F64 -> { float[] f = src.toF32().data(); double[] d = dst.doubles(); if (src.dtype() == DType.F64) System.arraycopy(src.doubles(), 0, d, 0, d.length); else for (int i = 0; i < d.length; i++) d[i] = f[i]; }
            case F16, BF16 -> System.arraycopy(src.toF32().data(), 0, dst.data(), 0, dst.size());
        }
    }

    private static String quoted(Set<String> names, String prefix) {
        StringBuilder sb = new StringBuilder();
        for (String n : names) {
            if (!sb.isEmpty()) sb.append(", ");
            sb.append('"').append(prefix).append(n).append('"');
        }
        return sb.toString();
    }

    @Override public void save(Path safetensors) { Safetensors.write(safetensors, params, null); }

    /**
     * Checks that {@code inputs} has exactly the names of {@link #inputNames()}.
     *
     * @throws IllegalArgumentException naming every missing and unexpected input
     */
    protected void checkInputs(Map<String, Tensor> inputs) {
        List<String> names = inputNames();
        boolean all = inputs.size() == names.size();
        for (int i = 0; all && i < names.size(); i++) all = inputs.containsKey(names.get(i));
        if (all) return; // the common case, checked without allocating (training steps run it every call)
        Set<String> missing = new LinkedHashSet<>(inputNames());
        missing.removeAll(inputs.keySet());
        Set<String> unexpected = new LinkedHashSet<>(inputs.keySet());
        inputNames().forEach(unexpected::remove);
        if (missing.isEmpty() && unexpected.isEmpty()) return;
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append(".evaluate: ");
        if (!missing.isEmpty()) sb.append("missing inputs ").append(quoted(missing, ""));
        if (!unexpected.isEmpty()) sb.append(missing.isEmpty() ? "" : "; ").append("unexpected inputs ").append(quoted(unexpected, ""));
        sb.append(" (expected ").append(inputNames()).append(')');
        throw new IllegalArgumentException(sb.toString());
    }

    /**
     * Input {@code name} as F32, checked against {@code shape}, where {@code -1} accepts any size.
     *
     * @throws IllegalArgumentException naming the input, the expected and the actual shape
     */
    protected Tensor input(Map<String, Tensor> inputs, String name, int... shape) {
        Tensor t = inputs.get(name);
        if (t == null) throw new IllegalArgumentException(getClass().getSimpleName() + ".evaluate: missing input \"" + name + "\"");
        boolean ok = t.rank() == shape.length; // dim by dim, not shape(): that copies, and training steps must not allocate
        for (int i = 0; ok && i < shape.length; i++) ok = shape[i] == -1 || shape[i] == t.dim(i);
        if (!ok) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".evaluate: input \"" + name + "\" has shape "
                    + Tensor.shapeString(t.shape()) + " but expects " + Arrays.toString(shape).replace("-1", "*"));
        }
        return t.toF32();
    }

    /**
     * Input {@code name} of an exact element type (int64 token ids), checked against {@code shape} like
     * {@link #input(Map, String, int...)}; an F32 {@code dtype} converts like that method.
     *
     * @throws IllegalArgumentException naming the input, the expected and the actual dtype or shape
     */
    protected Tensor input(Map<String, Tensor> inputs, String name, DType dtype, int... shape) {
        if (dtype == DType.F32) return input(inputs, name, shape);
        Tensor t = inputs.get(name);
        if (t != null && t.dtype() != dtype) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".evaluate: input \"" + name + "\" is "
                    + t.dtype().safetensorsName() + " but the model expects " + dtype.safetensorsName());
        }
        if (t == null) throw new IllegalArgumentException(getClass().getSimpleName() + ".evaluate: missing input \"" + name + "\"");
        int[] s = t.shapeArray(); // not shape(): that copies, and training steps must not allocate
        boolean ok = s.length == shape.length;
        for (int i = 0; ok && i < s.length; i++) ok = shape[i] == -1 || shape[i] == s[i];
        if (!ok) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".evaluate: input \"" + name + "\" has shape "
                    + Tensor.shapeString(s) + " but expects " + Arrays.toString(shape).replace("-1", "*"));
        }
        return t;
    }

    /** Closes every parameter (frees off-heap ones; heap ones are unaffected). */
    @Override public void close() {
        for (Tensor t : params.values()) t.close();
    }
}
