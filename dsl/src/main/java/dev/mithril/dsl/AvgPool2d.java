package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Average pooling over the last two dimensions of {@code [N, C, H, W]}, as {@code nn.AvgPool2d(kernel, stride, padding)}
 * with PyTorch's defaults (padded zeros count in the divisor). No parameters.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface AvgPool2d {
    /** Window size (square). */
    int kernel();

    /** Stride; the kernel size when not given, as in PyTorch. */
    int stride() default -1;

    /** Zero padding on every side; at most half the kernel. */
    int padding() default 0;
}
