package dev.mithril.dsl.ir;

/** Thrown by an operation's shape rule; {@link Graph} turns it into an {@link IrError} on the node. */
public final class ShapeError extends RuntimeException {
    private final String tag;

    public ShapeError(String tag, String message) {
        super(message, null, false, false);
        this.tag = tag;
    }

    /** Shape mismatch between inputs. */
    public static ShapeError mismatch(String message) { return new ShapeError(IrError.SHAPE_MISMATCH, message); }

    /** Element types that do not fit. */
    public static ShapeError dtype(String message) { return new ShapeError(IrError.DTYPE_MISMATCH, message); }

    /** An attribute that is invalid for the inputs (an axis out of range, a bad reshape). */
    public static ShapeError attribute(String message) { return new ShapeError(IrError.INVALID_ATTRIBUTE, message); }

    public String tag() { return tag; }
}
