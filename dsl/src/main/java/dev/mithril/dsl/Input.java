package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A model input: an abstract method without parameters. Dimensions are sizes ({@code "784"}) or
 * names ({@code "batch"}) bound when the model runs.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Input {
    /** The shape, outermost first: numbers, names, or hyperparameter expressions. */
    String[] shape();

    /** Element type name: float32 (default), float64, int32, int64. */
    String dtype() default "float32";
}
