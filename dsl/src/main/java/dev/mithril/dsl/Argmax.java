package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Index of the largest value along one axis ({@code torch.argmax}); an int64 tensor with no gradient.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Argmax {
    /** The axis; negative counts from the end. */
    int axis() default -1;

    /** Whether the axis stays, as size 1. */
    boolean keepDims() default false;
}
