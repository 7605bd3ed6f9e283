package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * 2-d convolution of an {@code [N, C, H, W]} input, as PyTorch's {@code nn.Conv2d(C, out, kernel, stride, padding,
 * dilation, groups, bias)}. Parameters: {@code <name>.weight [out, C/groups, kernel, kernel]}, {@code <name>.bias [out]},
 * initialized uniformly in ±1/sqrt(C/groups · kernel²).
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Conv2d {
    /** Output channels. */
    int out() default -1;

    /** Output channels as a hyperparameter expression, e.g. {@code "2*width"}; used when {@code out} is not given. */
    String outExpr() default "";

    /** Kernel size (square). */
    int kernel();

    /** Stride (both axes). */
    int stride() default 1;

    /** Stride as a hyperparameter expression, e.g. {@code "stride"}; used instead of {@code stride} when given. */
    String strideExpr() default "";

    /** Zero padding on every side. */
    int padding() default 0;

    /** Spacing between kernel taps. */
    int dilation() default 1;

    /** Channel groups; input and output channels must be divisible by it. */
    int groups() default 1;

    /** Whether the layer has a bias. */
    boolean bias() default true;
}
