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

    /**
     * Ties the weight to an existing parameter instead of creating {@code <name>.weight}: its full name, e.g.
     * {@code "transformer.wte.weight"} for GPT's output head, which reuses the token embedding table
     * {@code [vocab, dim]} as its {@code [out, in]} weight. Both uses add to that parameter's gradient.
     * {@code out} may then be left out (it is the parameter's first dimension). Empty: an own weight.
     */
    String tiedTo() default "";
}
