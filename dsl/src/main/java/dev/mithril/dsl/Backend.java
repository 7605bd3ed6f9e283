package dev.mithril.dsl;

/** Code generators a model can be compiled for. Only {@link #JAVA} has a renderer today. */
public enum Backend {
    /** Generated Java over the runtime's Vector API kernels. */
    JAVA("Java"),
    /** Generated Java over ND4J's INDArray. */
    ND4J("Nd4j"),
    /** Generated CUDA kernels plus Java host code. */
    CUDA("Cuda"),
    /** Generated Metal kernels plus Java host code. */
    METAL("Metal");

    private final String classToken;

    Backend(String classToken) { this.classToken = classToken; }

    /** The part of a generated class name that names the backend, e.g. {@code MlpJavaFull}. */
    public String classToken() { return classToken; }
}
