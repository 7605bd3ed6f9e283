package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Stacks an embedded model {@code value} times, the output of each copy feeding the next; parameters are
 * named {@code <node>.<i>.<name>} as in PyTorch's {@code nn.ModuleList}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Repeat {
    int value();
}
