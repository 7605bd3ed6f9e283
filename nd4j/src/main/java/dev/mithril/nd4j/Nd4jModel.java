package dev.mithril.nd4j;

import dev.mithril.runtime.AbstractCompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.Map;

/**
 * Base class of classes generated for backend ND4J. Parameters stay Mithril tensors (so initialization,
 * loading and saving are exactly the Java backend's, and {@code create(seed)} gives the same weights);
 * the forward pass reads ND4J copies of them, refreshed by {@link #syncParameters()} after
 * {@link #initialize} and every {@code load}. After writing {@link #parameters()} directly, call it yourself.
 */
public abstract class Nd4jModel extends AbstractCompiledModel {
    protected Nd4jModel() {}

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
}
