package dev.mithril.bench;

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
import dev.mithril.runtime.train.LossResult;
import dev.mithril.runtime.train.MseLoss;
import dev.mithril.runtime.train.Sgd;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One training step of an annotated dense example, as both the bench harness ({@code --mode training}) and
 * {@code TrainStepBenchmark} time it: forward, loss (cross-entropy for the MLP, mean squared error for Linear, as
 * {@code torch_train_step.py} and the PyTorch peer do), zeroing the gradients, backward, and SGD with momentum 0.9
 * at lr 0.01. It is {@code Trainer.step} less {@code parametersChanged()}, which re-packs only the weights of the
 * inference path and is no part of a training step.
 */
public final class TrainingStep {
    private final Trainable net;
    private final Loss loss;
    private final Sgd sgd = Sgd.lr(0.01).momentum(0.9);
    private final Map<String, Tensor> inputs;
    private final Tensor target;
    private final String output;
    private final Map<String, Tensor> trainable = new LinkedHashMap<>();

    private TrainingStep(Trainable net, boolean classifier, int batch) {
        this.net = net;
        this.output = net.outputNames().getFirst();
        int width = classifier ? 784 : 1024;
        this.inputs = Map.of(net.inputNames().getFirst(), Tensor.random(1, batch, width));
        if (classifier) {
            SplittableRandom r = new SplittableRandom(2);
            long[] labels = new long[batch];
            for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
            this.target = Tensor.ofLongs(labels, batch);
            this.loss = CrossEntropy.mean();
        } else {
            this.target = Tensor.random(2, batch, 1024);
            this.loss = MseLoss.mean();
        }
        for (String name : net.trainableParameters()) trainable.put(name, net.gradients().get(name));
    }

    /**
     * A step of {@code w}'s annotated example at {@code level} on a fixed random batch.
     *
     * @throws IllegalStateException for a workload without a trainable example (only linear and mlp have one)
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
            default -> throw new IllegalStateException(w.id() + ": the training benchmark covers linear and mlp only");
        };
        return new TrainingStep(net, w == Workload.MLP, batch);
    }

    /** Runs one step and returns the loss before its update. */
    public float run() {
        Tensor prediction = net.forwardTrain(inputs).get(output);
        LossResult r = loss.forward(prediction, target);
        net.zeroGrad();
        net.backward(Map.of(output, r.gradient()));
        sgd.step(net.parameters(), trainable);
        return (float) r.value();
    }
}
