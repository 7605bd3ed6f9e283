package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * {@code x[..., start:end:step]} along one axis, with Python's rules (negative bounds count from the end, bounds are clamped).
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Slice {
    /** The axis; negative counts from the end. */
    int axis() default -1;

    int start() default 0;

    /** Exclusive end; the whole axis when not given. */
    int end() default Integer.MAX_VALUE;

    int step() default 1;
}
