package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Part {@code index} of {@code parts} equal parts along one axis ({@code x.split(size / parts, axis)[index]}), e.g. the
 * query of a fused {@code c_attn} output is {@code @Split(parts = 3, index = 0)}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Split {
    /** The axis; negative counts from the end. */
    int axis() default -1;

    /** How many equal parts the axis is cut into. */
    int parts();

    /** Which part, from 0. */
    int index();
}
