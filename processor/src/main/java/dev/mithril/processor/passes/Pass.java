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
}
