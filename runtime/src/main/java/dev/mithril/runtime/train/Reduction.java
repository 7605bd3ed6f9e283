package dev.mithril.runtime.train;

/** How per-element (or per-position) losses combine into one number, as PyTorch's {@code reduction=}. */
public enum Reduction {
    /** The average over the elements (for class-index targets: over the positions not ignored). */
    MEAN,
    /** The plain sum. */
    SUM;

    String pytorchName() { return name().toLowerCase(); }
}
