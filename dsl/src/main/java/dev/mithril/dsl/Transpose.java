package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Permutes dimensions: {@code value} is a full permutation; without it, swaps {@code dim0} and {@code dim1}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Transpose {
    int[] value() default {};

    int dim0() default -2;

    int dim1() default -1;
}
