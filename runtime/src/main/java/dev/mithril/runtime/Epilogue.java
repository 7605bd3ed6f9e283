package dev.mithril.runtime;

/**
 * What a GEMM does to each output element after the product: optionally add {@code bias[column]},
 * then optionally apply an activation. Fusing these saves a pass over the output.
 */
public enum Epilogue {
    NONE(false), BIAS(true), BIAS_RELU(true), BIAS_GELU(true), BIAS_SIGMOID(true), BIAS_TANH(true),
    RELU(false), GELU(false), SIGMOID(false), TANH(false);

    private final boolean bias;

    Epilogue(boolean bias) { this.bias = bias; }

    /** Whether this epilogue adds a bias vector (which must then be non-null). */
    public boolean hasBias() { return bias; }

    /** Whether this epilogue applies an activation after the optional bias. */
    public boolean hasActivation() { return this != NONE && this != BIAS; }
}
