package dev.mithril.nd4j;

import dev.mithril.runtime.AbstractCompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.Map;
import java.util.Set;

/**
 * Base class of classes generated for backend ND4J. Parameters stay Mithril tensors (so initialization,
 * loading and saving are exactly the Java backend's, and {@code create(seed)} gives the same weights);
 * the forward pass reads ND4J copies of them, refreshed by {@link #syncParameters()} after
 * {@link #initialize} and every {@code load}. After writing {@link #parameters()} directly, call it yourself.
 *
 * <p>Training is not generated for ND4J yet: the methods of {@code dev.mithril.runtime.Trainable} (which the
 * generated model interfaces extend) throw {@link UnsupportedOperationException}.
 */
public abstract class Nd4jModel extends AbstractCompiledModel {
    private static final String NO_BACKWARD = "ND4J backward is not generated yet";

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

    /** @throws UnsupportedOperationException always: ND4J backward is not generated yet */
    public Map<String, Tensor> forwardTrain(Map<String, Tensor> inputs) { throw new UnsupportedOperationException(NO_BACKWARD); }

    /** @throws UnsupportedOperationException always: ND4J backward is not generated yet */
    public void backward(Map<String, Tensor> outputGradients) { throw new UnsupportedOperationException(NO_BACKWARD); }

    /** @throws UnsupportedOperationException always: ND4J backward is not generated yet */
    public Map<String, Tensor> gradients() { throw new UnsupportedOperationException(NO_BACKWARD); }

    /** @throws UnsupportedOperationException always: ND4J backward is not generated yet */
    public Map<String, Tensor> inputGradients() { throw new UnsupportedOperationException(NO_BACKWARD); }

    /** @throws UnsupportedOperationException always: ND4J backward is not generated yet */
    public void zeroGrad() { throw new UnsupportedOperationException(NO_BACKWARD); }

    /** @throws UnsupportedOperationException always: ND4J backward is not generated yet */
    public void setTrainable(String parameter, boolean trainable) { throw new UnsupportedOperationException(NO_BACKWARD); }

    /** @throws UnsupportedOperationException always: ND4J backward is not generated yet */
    public Set<String> trainableParameters() { throw new UnsupportedOperationException(NO_BACKWARD); }

    /** @throws UnsupportedOperationException always: ND4J backward is not generated yet */
    public void setInputRequiresGrad(String input, boolean requiresGrad) { throw new UnsupportedOperationException(NO_BACKWARD); }
}
