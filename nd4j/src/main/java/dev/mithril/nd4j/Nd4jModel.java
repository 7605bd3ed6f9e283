package dev.mithril.nd4j;

import dev.mithril.runtime.AbstractCompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Base class of classes generated for backend ND4J. Parameters stay Mithril tensors (so initialization,
 * loading and saving are exactly the Java backend's, and {@code create(seed)} gives the same weights);
 * the forward pass reads ND4J copies of them, refreshed by {@link #syncParameters()} after
 * {@link #initialize} and every {@code load}. After writing {@link #parameters()} directly, call it yourself.
 *
 * <p>Classes compiled with their training program ({@code ModelCompiler.compile}, the annotation processor,
 * {@code Mithril.compile}) implement {@code dev.mithril.runtime.Trainable}: {@code forwardTrain} copies the
 * parameters into their arrays each step (an optimizer writes the tensors) and {@code backward} adds ND4J's
 * gradients into heap tensors. A class rendered from an inference program alone keeps the methods below,
 * which throw {@link UnsupportedOperationException}.
 */
public abstract class Nd4jModel extends AbstractCompiledModel {

    protected Nd4jModel() {}

    /**
     * A planned node's array: the first {@code prod(shape)} elements of {@code buffer} (a 1-D array as large
     * as the largest node sharing it), viewed with {@code shape} in row-major order, without a copy.
     */
    protected static org.nd4j.linalg.api.ndarray.INDArray view(org.nd4j.linalg.api.ndarray.INDArray buffer, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        if (n > buffer.length()) {
            throw new IllegalStateException("planned buffer of " + buffer.length() + " elements cannot hold " + java.util.Arrays.toString(shape));
        }
        org.nd4j.linalg.api.ndarray.INDArray prefix = n == buffer.length() ? buffer
                : buffer.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n));
        return prefix.reshape('c', shape);
    }

    /**
     * The gradient given for output {@code name} as an INDArray, checked against the output's shape;
     * zeros when none is given. @throws IllegalArgumentException naming the output and both shapes
     */
    protected INDArray outputGradient(Map<String, Tensor> gradients, String name, INDArray output) {
        Tensor g = gradients.get(name);
        if (g == null) return Nd4j.zeros(DataType.FLOAT, output.shape());
        if (!java.util.Arrays.equals(Nd4jBridge.longs(g.shape()), output.shape()))
            throw new IllegalArgumentException(getClass().getSimpleName() + ".backward: gradient of \"" + name + "\" has shape "
                    + Tensor.shapeString(g.shape()) + " but the output has shape " + Tensor.shapeString(Nd4jBridge.ints(output.shape())));
        return Nd4jBridge.toNd4j(g);
    }

    /** @throws IllegalArgumentException when {@code gradients} names something that is not an output */
    protected void checkOutputGradients(Map<String, Tensor> gradients) {
        for (String name : gradients.keySet()) if (!outputNames().contains(name))
            throw new IllegalArgumentException(getClass().getSimpleName() + ".backward: no output named \"" + name + "\"; outputs are " + outputNames());
    }

    /** Why this class cannot train; classes that can train never call it. */
    protected String whyNotTrainable() { return getClass().getSimpleName() + " was rendered without its training program"; }

    /** Copies every parameter into the INDArray the forward pass reads. */
    public abstract void syncParameters();

    @Override public void initialize(long seed) {
        super.initialize(seed);
        syncParameters();
    }

    @Override public void load(Map<String, Tensor> tensors, String prefix) {
        super.load(tensors, prefix);
        syncParameters();
    }

    /** @throws UnsupportedOperationException always: the class was rendered without its training program */
    public Map<String, Tensor> forwardTrain(Map<String, Tensor> inputs) { throw new UnsupportedOperationException(whyNotTrainable()); }

    /** @throws UnsupportedOperationException always: the class was rendered without its training program */
    public void backward(Map<String, Tensor> outputGradients) { throw new UnsupportedOperationException(whyNotTrainable()); }

    /** @throws UnsupportedOperationException always: the class was rendered without its training program */
    public Map<String, Tensor> gradients() { throw new UnsupportedOperationException(whyNotTrainable()); }

    /** @throws UnsupportedOperationException always: the class was rendered without its training program */
    public Map<String, Tensor> inputGradients() { throw new UnsupportedOperationException(whyNotTrainable()); }

    /** @throws UnsupportedOperationException always: the class was rendered without its training program */
    public void zeroGrad() { throw new UnsupportedOperationException(whyNotTrainable()); }

    /** @throws UnsupportedOperationException always: the class was rendered without its training program */
    public void setTrainable(String parameter, boolean trainable) { throw new UnsupportedOperationException(whyNotTrainable()); }

    /** @throws UnsupportedOperationException always: the class was rendered without its training program */
    public Set<String> trainableParameters() { throw new UnsupportedOperationException(whyNotTrainable()); }

    /** @throws UnsupportedOperationException always: the class was rendered without its training program */
    public void setInputRequiresGrad(String input, boolean requiresGrad) { throw new UnsupportedOperationException(whyNotTrainable()); }
}
