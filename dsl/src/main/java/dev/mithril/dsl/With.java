package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Hyperparameter values for an embedded model, e.g. {@code @With({"planes=128", "stride=2"})}.
 * Values are numbers or expressions over the enclosing model's hyperparameters.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface With {
    String[] value();
}
