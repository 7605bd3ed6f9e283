package dev.mithril.processor.passes;

import dev.mithril.processor.Program;

/**
 * One named compiler stage: reads a program, returns a new one. A level is a list of passes
 * ({@link dev.mithril.processor.Pipeline}); adding an optimization means adding one pass.
 */
public interface Pass {
    /** The stage's name as listed in generated code and dumps, e.g. {@code "cse"}. */
    String name();

    Program apply(Program p);

    /**
     * Whether the pass has anything to do on {@code p}; a pass that does not apply is skipped and not listed
     * among the program's passes (a batch-norm fold on a model without batch norms). True unless a pass says otherwise.
     */
    default boolean appliesTo(Program p) { return true; }
}
