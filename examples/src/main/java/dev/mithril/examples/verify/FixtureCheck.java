package dev.mithril.examples.verify;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.examples.zoo.Zoo;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import dev.mithril.runtime.train.CrossEntropy;
import dev.mithril.runtime.train.Loss;
import dev.mithril.runtime.train.LossResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks one reference fixture against a compiled model: builds the model the fixture names, loads its
 * parameters, and compares every result PyTorch recorded (inference output, training output, loss,
 * gradients, running statistics after the training forward), each group by its largest error relative to the largest magnitude of the reference tensor.
 */
public final class FixtureCheck {
    /** The tolerance the reference README gives for float32 (GEMM summation order differs). */
    public static final double TOLERANCE = 1e-4;

    /**
     * The tolerance for a float64 fixture: summation order changes results by about 1e-16 relative, which the
     * worst-conditioned case we check (batch norm in training mode deep in ResNet-50) amplifies about 1e4 times.
     */
    public static final double TOLERANCE_F64 = 1e-9;

    /** One compared group of tensors, e.g. all {@code grad.*}, with the worst tensor in it. */
    public record Result(String group, int tensors, double maxRelativeError, String worst, String problem, double tolerance) {
        public Result(String group, int tensors, double maxRelativeError, String worst, String problem) {
            this(group, tensors, maxRelativeError, worst, problem, TOLERANCE);
        }

        public boolean passed() { return problem == null && maxRelativeError <= tolerance; }
    }

    private FixtureCheck() {}

    /** Runs every check the fixture has data for, at one backend and level. */
    public static List<Result> run(ReferenceFixture f, Backend backend, Level level) {
        DType dtype = floatTypeOf(f);
        Graph g = Zoo.fromConfig(f.model(), configOf(f), dtype);
        double tolerance = dtype == DType.F64 ? TOLERANCE_F64 : TOLERANCE;
        List<Result> results = runChecks(f, g, backend, level);
        return results.stream().map(r -> new Result(r.group(), r.tensors(), r.maxRelativeError(), r.worst(), r.problem(), tolerance)).toList();
    }

    /**
     * The float type a fixture was computed in: that of its floating-point input ({@code F64} fixtures check the
     * model in float64), F32 for models whose input is token ids.
     */
    public static DType floatTypeOf(ReferenceFixture f) {
        return f.tensor("input").dtype() == DType.F64 ? DType.F64 : DType.F32;
    }

    private static List<Result> runChecks(ReferenceFixture f, Graph g, Backend backend, Level level) {
        List<Result> results = new ArrayList<>();
        try (CompiledModel model = Mithril.compile(g, backend, level)) {
            model.load(f.parameters());
            String input = model.inputNames().getFirst(), output = model.outputNames().getFirst();
            Map<String, Tensor> inputs = Map.of(input, f.tensor("input"));

            Tensor ref = f.tensor("output.eval");
            if (ref != null) results.add(compare("output.eval", Map.of("output.eval", ref), Map.of("output.eval", model.evaluate(inputs).get(output))));

            if (f.tensor("output.train") != null || f.tensor("loss.train") != null || !f.group("grad.").isEmpty()) {
                if (!(model instanceof Trainable t)) {
                    results.add(new Result("training", 0, Double.NaN, "", "the compiled model is not trainable"));
                    return results;
                }
                Tensor out = null;
                try {
                    out = t.forwardTrain(inputs).get(output).copy();
                } catch (UnsupportedOperationException e) { // a backend that cannot train this model yet (ND4J: some layers)
                    results.add(new Result("training", 0, Double.NaN, "", e.getMessage()));
                }
                if (out != null) {
                    if (f.tensor("output.train") != null) {
                        results.add(compare("output.train", Map.of("output.train", f.tensor("output.train")), Map.of("output.train", out)));
                    }
                    Loss loss = lossOf(f.loss());
                    LossResult r = loss.forward(out, f.tensor("target"));
                    if (f.tensor("loss.train") != null) {
                        results.add(compare("loss.train", Map.of("loss.train", f.tensor("loss.train")), Map.of("loss.train", out.dtype() == DType.F64 ? Tensor.of(new double[] {r.value()}, 1) : Tensor.of(new float[] {(float) r.value()}, 1))));
                    }
                    Map<String, Tensor> refGrads = f.group("grad.");
                    if (!refGrads.isEmpty()) {
                        t.zeroGrad();
                        t.backward(Map.of(output, r.gradient()));
                        results.add(compare("grad.*", refGrads, t.gradients()));
                    }
                    // Running statistics that the one training forward moved (batch norm); buffers have no gradient.
                    Map<String, Tensor> after = f.group("after_train.");
                    if (!after.isEmpty()) results.add(compare("after_train.*", after, model.parameters()));
                }
            }
            Tensor generated = f.tensor("output.generate");
            if (generated != null) results.addAll(GenerationCheck.run(f, model, backend, level, generated));
        }
        return results;
    }

    /**
     * The fixture's config, with the image size of a convolutional model's {@code [B, C, H, W]} input added as
     * {@code image} when the config does not say it (PyTorch's modules take any size; a compiled model fixes it).
     */
    public static Map<String, Object> configOf(ReferenceFixture f) {
        Map<String, Object> config = new java.util.LinkedHashMap<>(f.config());
        int[] shape = f.tensor("input").shape();
        if (f.model().equals("resnet") && shape.length == 4) config.putIfAbsent("image", List.of(shape[2], shape[3]));
        return config;
    }

    static Loss lossOf(String name) {
        return switch (name) {
            case "cross_entropy_mean" -> CrossEntropy.mean();
            default -> throw new IllegalArgumentException("unknown loss '" + name + "' in the fixture's metadata (known: cross_entropy_mean)");
        };
    }

    /** Compares each reference tensor with the tensor of the same name; a missing or mis-shaped one is a problem. */
    static Result compare(String group, Map<String, Tensor> reference, Map<String, Tensor> actual) {
        double worst = 0;
        String worstName = "";
        List<String> problems = new ArrayList<>();
        for (var e : reference.entrySet()) {
            Tensor a = actual.get(e.getKey());
            if (a == null) {
                problems.add("no tensor '" + e.getKey() + "'");
                continue;
            }
            if (!a.sameShape(e.getValue())) {
                problems.add("'" + e.getKey() + "' has shape " + Tensor.shapeString(a.shape()) + ", PyTorch's " + Tensor.shapeString(e.getValue().shape()));
                continue;
            }
            double err = relativeError(e.getValue(), a);
            if (!(err <= worst)) { // NaN counts as the worst
                worst = err;
                worstName = e.getKey();
            }
        }
        return new Result(group, reference.size(), worst, worstName, problems.isEmpty() ? null : String.join("; ", problems));
    }

    /** max |a − r| / max |r| over the tensor (absolute when the reference is all zeros); NaN anywhere gives NaN. */
    public static double relativeError(Tensor reference, Tensor actual) {
        double[] r = reference.toF64().doubles(), a = actual.toF64().doubles();
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < reference.size(); i++) {
            if (Double.isNaN(a[i]) || Double.isNaN(r[i])) return Double.NaN;
            maxRef = Math.max(maxRef, Math.abs(r[i]));
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - r[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }
}
