package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Flattens dimensions {@code start..end} (inclusive) into one, like {@code torch.flatten}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Flatten {
    int start() default 1;

    int end() default -1;
}
