package dev.mithril.dsl.ir;

/**
 * One problem found in a model definition. {@code tag} is stable (tests and users match on it);
 * {@code origin} is whatever the front end attached to the node (the annotation processor puts
 * the user's method element there, so the error lands on the user's line).
 */
public record IrError(String tag, String message, String nodeName, Object origin) {
    public static final String SHAPE_MISMATCH = "MithrilShapeMismatch";
    public static final String DTYPE_MISMATCH = "MithrilDTypeMismatch";
    public static final String INVALID_ATTRIBUTE = "MithrilInvalidAttribute";
    public static final String DUPLICATE_NODE = "MithrilDuplicateNode";
    public static final String UNKNOWN_INPUT = "MithrilUnknownInput";
    public static final String CYCLE = "MithrilCycle";
    public static final String MISSING_OUTPUT = "MithrilMissingOutput";
    public static final String UNSUPPORTED_RETURN_TYPE = "MithrilUnsupportedReturnType";
    public static final String INVALID_MODEL = "MithrilInvalidModel";

    /** {@code [Tag] message}, the form every Mithril error is printed in. */
    public String format() { return "[" + tag + "] " + message; }

    @Override public String toString() { return format(); }
}
