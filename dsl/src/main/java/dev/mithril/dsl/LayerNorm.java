package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Layer normalization over the last dimension, as {@code nn.LayerNorm(D)}. Parameters {@code <name>.weight} (ones),
 * {@code <name>.bias} (zeros).
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface LayerNorm {
    /** Added to the variance before the square root. */
    double eps() default 1e-5;
}
