package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * {@code y = x·Wᵀ + b} with {@code W} shaped {@code [out, in]} as in PyTorch's {@code nn.Linear}.
 * Parameters: {@code <name>.weight}, {@code <name>.bias}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Linear {
    /** Output features. */
    int out() default -1;

    /** Output features as a hyperparameter expression, e.g. {@code "4*dim"}; used when {@code out} is not given. */
    String outExpr() default "";

    /** Input features; inferred from the input when not given, checked against it when given. */
    int in() default -1;

    /** Whether the layer has a bias. */
    boolean bias() default true;
}
