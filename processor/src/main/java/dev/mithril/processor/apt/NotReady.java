package dev.mithril.processor.apt;

import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;

/**
 * A model refers to a type javac cannot resolve yet, typically one another processor generates
 * in this round. The processor defers the model to the next round instead of reporting an error.
 */
final class NotReady extends RuntimeException {
    NotReady(TypeMirror type) {
        super("type " + type + " is not available yet", null, false, false);
    }

    /** Throws when {@code type} is not resolved yet. */
    static void check(TypeMirror type) {
        if (type.getKind() == TypeKind.ERROR) throw new NotReady(type);
    }
}
