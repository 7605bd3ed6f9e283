package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The positions {@code 0..n-1} along one axis of the input, as int64 {@code [n]} ({@code torch.arange(T)} for
 * ids {@code [B, T]}); the size may be symbolic. Feed it to an {@link Embedding} for learned positions.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Positions {
    /** The axis whose positions are counted; negative counts from the end. */
    int axis() default -1;
}
