package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A hyperparameter: an abstract {@code int} method without parameters, whose value is given where the
 * model is embedded ({@link With}) and may be used in shapes and attributes ({@code outExpr = "4*dim"}).
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Hyper {
    /** The value used when the model is compiled on its own; -1 means it must be given. */
    int value() default -1;
}
