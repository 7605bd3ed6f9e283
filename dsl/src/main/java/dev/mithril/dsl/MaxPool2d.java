package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Max pooling over the last two dimensions of {@code [N, C, H, W]}, as {@code nn.MaxPool2d(kernel, stride, padding, dilation)}.
 * No parameters.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface MaxPool2d {
    /** Window size (square). */
    int kernel();

    /** Stride; the kernel size when not given, as in PyTorch. */
    int stride() default -1;

    /** Implicit -infinity padding on every side; at most half the kernel. */
    int padding() default 0;

    /** Spacing between window taps. */
    int dilation() default 1;
}
