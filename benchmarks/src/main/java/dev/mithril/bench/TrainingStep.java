package dev.mithril.bench;

import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.examples.LinearModelJavaBasic;
import dev.mithril.examples.LinearModelJavaFull;
import dev.mithril.examples.LinearModelJavaNone;
import dev.mithril.examples.MlpJavaBasic;
import dev.mithril.examples.MlpJavaFull;
import dev.mithril.examples.MlpJavaNone;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import dev.mithril.runtime.train.CrossEntropy;
import dev.mithril.runtime.train.Loss;
import dev.mithril.runtime.train.MseLoss;
import dev.mithril.runtime.train.Sgd;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One training step of an annotated dense example or a run-time compiled zoo model, as both the bench harness ({@code --mode training}) and
 * {@code TrainStepBenchmark} time it: forward, loss (cross-entropy for the MLP, mean squared error for Linear, as
 * {@code torch_train_step.py} and the PyTorch peer do), zeroing the gradients, backward, and SGD with momentum 0.9
 * at lr 0.01. It is {@code Trainer.step} less {@code parametersChanged()}, which re-packs only the weights of the
 * inference path and is no part of a training step.
 */
public final class TrainingStep implements AutoCloseable {
    private final Trainable net;
    private final Loss loss;
    private final Sgd sgd = Sgd.lr(0.01).momentum(0.9);
    private final Map<String, Tensor> inputs;
    private final Tensor target;
    private final String output;
    private final Map<String, Tensor> trainable = new LinkedHashMap<>();
    /** d loss / d output, written by the loss in place each step (as {@code Trainer} does). */
    private Tensor outputGradient;
    private Map<String, Tensor> outputGradients;

    private TrainingStep(Trainable net, Tensor input, Tensor target, Loss loss) {
        this.net = net;
        this.output = net.outputNames().getFirst();
        this.inputs = Map.of(net.inputNames().getFirst(), input);
        this.target = target;
        this.loss = loss;
        for (String name : net.trainableParameters()) trainable.put(name, net.gradients().get(name));
    }

    private static TrainingStep dense(Trainable net, boolean classifier, int batch) {
        if (!classifier) return new TrainingStep(net, Tensor.random(1, batch, 1024), Tensor.random(2, batch, 1024), MseLoss.mean());
        return new TrainingStep(net, Tensor.random(1, batch, 784), Subject.tokens(2, 10, batch), CrossEntropy.mean());
    }

    /**
     * A step of a workload compiled at run time for backend {@code b}: the dense ones as {@link #dense}; the zoo ones
     * with cross-entropy against random labels, one per image for the ResNets, one per position (the next token) for
     * the transformer.
     *
     * @throws IllegalStateException when the compiled model is not {@link Trainable}
     */
    private static TrainingStep compiled(Workload w, Backend b, Level level, int batch) {
        var model = Subject.compile(w, b, level, batch);
        if (!(model instanceof Trainable net)) {
            model.close();
            throw new IllegalStateException(w.id() + " " + Subject.label(b) + "/" + level.classToken() + ": the compiled model is not trainable");
        }
        if (w.dense()) return dense(net, w == Workload.MLP, batch);
        Tensor target = w.tokens()
                ? Subject.tokens(2, Workload.GPT.vocabSize(), batch, Workload.SEQUENCE)
                : Subject.tokens(2, Workload.CLASSES, batch);
        return new TrainingStep(net, Subject.input(w, batch, 1), target, CrossEntropy.mean());
    }

    /**
     * A step of {@code w} generated for backend {@code b}: Java as {@link #of(Workload, Level, int)}, other backends
     * compiled at run time.
     */
    public static TrainingStep of(Workload w, Backend b, Level level, int batch) {
        if (b == Backend.JAVA) return of(w, level, batch);
        if (batch < 1) throw new IllegalArgumentException("TrainingStep: batch must be >= 1, got " + batch);
        return compiled(w, b, level, batch);
    }

    /**
     * A step of {@code w}'s annotated example at {@code level} on a fixed random batch.
     *
     * @throws IllegalStateException for a zoo model whose compiled form is not trainable
     */
    public static TrainingStep of(Workload w, Level level, int batch) {
        if (batch < 1) throw new IllegalArgumentException("TrainingStep: batch must be >= 1, got " + batch);
        Trainable net = switch (w) {
            case MLP -> switch (level) {
                case NONE -> MlpJavaNone.create(0);
                case BASIC -> MlpJavaBasic.create(0);
                case FULL -> MlpJavaFull.create(0);
            };
            case LINEAR -> switch (level) {
                case NONE -> LinearModelJavaNone.create(0);
                case BASIC -> LinearModelJavaBasic.create(0);
                case FULL -> LinearModelJavaFull.create(0);
            };
            default -> null;
        };
        return net == null ? compiled(w, Backend.JAVA, level, batch) : dense(net, w == Workload.MLP, batch);
    }

    /** Runs one step and returns the loss before its update. */
    public float run() {
        Tensor prediction = net.forwardTrain(inputs).get(output);
        if (outputGradient == null || !outputGradient.sameShape(prediction)) {
            outputGradient = Tensor.zeros(prediction.dtype(), prediction.shape());
            outputGradients = Map.of(output, outputGradient);
        }
        double value = loss.forwardInto(prediction, target, outputGradient);
        net.zeroGrad();
        net.backward(outputGradients);
        sgd.step(net.parameters(), trainable);
        return (float) value;
    }

    /** Releases the model (its kernel buffers and, for zoo models, the compiled class's instance). */
    @Override public void close() { net.close(); }
}
