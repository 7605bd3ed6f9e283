package dev.mithril.runtime.train;

import dev.mithril.runtime.Safetensors;
import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The training loop for one {@link Trainable} model: {@link #step} runs forward (training mode), the loss,
 * backward, optional gradient clipping, the learning-rate schedule and the optimizer update, and returns the
 * loss. {@link #save} and {@link #restore} checkpoint everything a run needs to continue bit for bit:
 * parameters and buffers, optimizer state and the step count, in one safetensors file.
 *
 * <pre>{@code
 * Trainer trainer = Trainer.of(model, CrossEntropy.mean(), AdamW.lr(1e-3)).clipGradNorm(1.0);
 * for (Batch b : batches) {
 *     float loss = trainer.step(b.images(), b.labels());
 * }
 * trainer.save(Path.of("run.safetensors"));
 * }</pre>
 */
public final class Trainer {
    private static final String MODEL = "model/", OPTIMIZER = "optimizer/";
    private final Trainable model;
    private final Loss loss;
    private final Optimizer optimizer;
    private final double baseLr;
    private String output;
    private double maxGradNorm;
    private LrSchedule schedule = LrSchedule.constant();
    private long steps;
    private double lastGradNorm = Double.NaN;
    /** d loss / d output of the last step, reused while the output's shape stays (the loss writes it in place). */
    private Tensor outputGradient;
    private Map<String, Tensor> outputGradients;

    private Trainer(Trainable model, Loss loss, Optimizer optimizer) {
        this.model = model;
        this.loss = loss;
        this.optimizer = optimizer;
        this.baseLr = optimizer.learningRate();
        this.output = model.outputNames().getFirst();
    }

    /** A trainer that feeds the model's first output to {@code loss} and updates with {@code optimizer}. */
    public static Trainer of(Trainable model, Loss loss, Optimizer optimizer) { return new Trainer(model, loss, optimizer); }

    /** Which model output the loss sees (default: the first). */
    public Trainer output(String name) {
        if (!model.outputNames().contains(name)) {
            throw new IllegalArgumentException("Trainer.output: the model has no output '" + name + "'; outputs are " + model.outputNames());
        }
        this.output = name;
        outputGradient = null; // the next step makes the buffer and its map for this output
        return this;
    }

    /** Clips gradients to this global L2 norm before each update ({@link GradClip#byGlobalNorm}); 0 turns it off. */
    public Trainer clipGradNorm(double maxNorm) {
        if (!(maxNorm >= 0)) throw new IllegalArgumentException("Trainer.clipGradNorm: max norm must be >= 0, got " + maxNorm);
        this.maxGradNorm = maxNorm;
        return this;
    }

    /** The learning-rate schedule, applied to the optimizer's rate at construction (default constant). */
    public Trainer schedule(LrSchedule schedule) {
        this.schedule = schedule;
        return this;
    }

    /** One training step on a model with a single input; returns the loss. */
    public float step(Tensor input, Tensor target) {
        if (model.inputNames().size() != 1) {
            throw new IllegalArgumentException("Trainer.step: the model has inputs " + model.inputNames() + "; pass them by name");
        }
        return step(Map.of(model.inputNames().getFirst(), input), target);
    }

    /** One training step; returns the loss before the update. */
    public float step(Map<String, Tensor> inputs, Tensor target) {
        Tensor prediction = model.forwardTrain(inputs).get(output);
        DType dt = prediction.dtype() == DType.F64 ? DType.F64 : DType.F32;
        if (outputGradient == null || !outputGradient.sameShape(prediction) || outputGradient.dtype() != dt) {
            outputGradient = Tensor.zeros(dt, prediction.shape());
            outputGradients = Map.of(output, outputGradient);
        }
        double value = loss.forwardInto(prediction, target, outputGradient);
        model.zeroGrad();
        model.backward(outputGradients);
        Map<String, Tensor> grads = new LinkedHashMap<>();
        Map<String, Tensor> all = model.gradients();
        for (String name : model.trainableParameters()) grads.put(name, all.get(name));
        if (maxGradNorm > 0) lastGradNorm = GradClip.byGlobalNorm(grads.values(), maxGradNorm);
        optimizer.setLearningRate(schedule.lr(baseLr, steps));
        optimizer.step(model.parameters(), grads);
        model.parametersChanged(); // Full-level code repacks its GEMM weights here
        steps++;
        return (float) value;
    }

    /** The forward pass in evaluation mode ({@link Trainable#evaluate}). */
    public Map<String, Tensor> evaluate(Map<String, Tensor> inputs) { return model.evaluate(inputs); }

    /** The loss output for a single-input model in evaluation mode. */
    public Tensor evaluate(Tensor input) {
        return model.evaluate(Map.of(model.inputNames().getFirst(), input)).get(output);
    }

    /** Updates done so far (restored by {@link #restore}). */
    public long steps() { return steps; }

    /** The global gradient norm before clipping at the last step, or NaN when clipping is off. */
    public double lastGradNorm() { return lastGradNorm; }

    public Trainable model() { return model; }

    public Optimizer optimizer() { return optimizer; }

    /**
     * Writes parameters and buffers ({@code model/<name>}), optimizer state ({@code optimizer/<name>}) and,
     * as metadata, the step count and the settings of the loss, optimizer and clipping.
     */
    public void save(Path path) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        model.parameters().forEach((k, v) -> tensors.put(MODEL + k, v));
        optimizer.state().forEach((k, v) -> tensors.put(OPTIMIZER + k, v));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("mithril.steps", Long.toString(steps));
        meta.put("mithril.optimizer", optimizer.describe());
        meta.put("mithril.baseLr", Double.toString(baseLr));
        meta.put("mithril.loss", loss.describe());
        meta.put("mithril.maxGradNorm", Double.toString(maxGradNorm));
        Safetensors.write(path, tensors, meta);
    }

    /**
     * Loads a checkpoint written by {@link #save}: parameters, optimizer state and step count. The optimizer
     * must be of the same kind as the one saved.
     */
    public void restore(Path path) {
        Map<String, String> meta;
        Map<String, Tensor> params = new LinkedHashMap<>(), state = new LinkedHashMap<>();
        try (var file = Safetensors.open(path)) {
            meta = file.metadata();
            file.all().forEach((k, v) -> {
                if (k.startsWith(MODEL)) params.put(k.substring(MODEL.length()), v);
                else if (k.startsWith(OPTIMIZER)) state.put(k.substring(OPTIMIZER.length()), v);
                else throw new IllegalArgumentException("Trainer.restore: " + path + " has tensor '" + k
                        + "', which is neither model/ nor optimizer/: not a Trainer checkpoint");
            });
        }
        String saved = meta.get("mithril.optimizer"), steps = meta.get("mithril.steps");
        if (saved == null || steps == null) {
            throw new IllegalArgumentException("Trainer.restore: " + path + " lacks the mithril.steps/mithril.optimizer metadata of a Trainer checkpoint");
        }
        String kind = saved.substring(0, saved.indexOf('(')), mine = optimizer.describe().substring(0, optimizer.describe().indexOf('('));
        if (!kind.equals(mine)) {
            throw new IllegalArgumentException("Trainer.restore: " + path + " was saved by a " + kind + " optimizer but this trainer uses " + mine);
        }
        model.load(params);
        optimizer.loadState(state);
        this.steps = Long.parseLong(steps);
    }
}
