package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Adaptive average pooling of {@code [N, C, H, W]} to a fixed output size, as {@code nn.AdaptiveAvgPool2d}. No parameters.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface AdaptiveAvgPool2d {
    /** Output size: {@code {s}} for s x s, or {@code {h, w}}. */
    int[] value() default {1};
}
