package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The PyTorch-style name of this node's parameters, e.g. {@code @Name("layers.0")} gives
 * {@code layers.0.weight} and {@code layers.0.bias}; the default is the node name.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Name {
    String value();
}
