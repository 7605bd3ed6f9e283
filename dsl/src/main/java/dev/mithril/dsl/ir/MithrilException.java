package dev.mithril.dsl.ir;

import java.util.List;
import java.util.stream.Collectors;

/** A model definition with errors; carries all of them, not just the first. */
public final class MithrilException extends RuntimeException {
    private final List<IrError> errors;

    public MithrilException(List<IrError> errors) {
        super(errors.stream().map(IrError::format).collect(Collectors.joining("\n")));
        this.errors = List.copyOf(errors);
    }

    public MithrilException(IrError error) { this(List.of(error)); }

    public List<IrError> errors() { return errors; }
}
