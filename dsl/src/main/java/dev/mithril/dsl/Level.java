package dev.mithril.dsl;

/** Optimization levels. Each is a fixed list of named passes (see the processor's {@code Pipeline}). */
public enum Level {
    /** One kernel call per node, a fresh output per node: the reference for the other levels. */
    NONE("None"),
    /** Adds constant folding, common-subexpression elimination, dead-node removal and a static buffer plan. */
    BASIC("Basic"),
    /** Adds fusion, pre-packed weights, constant loop bounds and no allocation per call after the first. */
    FULL("Full");

    private final String classToken;

    Level(String classToken) { this.classToken = classToken; }

    /** The part of a generated class name that names the level, e.g. {@code MlpJavaFull}. */
    public String classToken() { return classToken; }
}
