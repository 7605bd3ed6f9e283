package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an interface as a model: the annotation processor reads it at build time and generates,
 * for each backend and level, a final class such as {@code MlpJavaFull} implementing a generated
 * {@code MlpModel} interface.
 *
 * <pre>{@code
 * @Model
 * public interface Mlp {
 *     @Input(shape = {"batch", "784"}) Tensor x();
 *     @Linear(out = 1024) @Relu Tensor h1(Tensor x);
 *     @Output @Linear(out = 10) Tensor logits(Tensor h1);
 * }
 * }</pre>
 *
 * A model used only inside other models (see {@link Repeat}, {@link With}) may set {@code generate = false}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface Model {
    /** Backends to generate code for. */
    Backend[] backends() default {Backend.JAVA};

    /** Optimization levels to generate code for. */
    Level[] levels() default {Level.NONE, Level.BASIC, Level.FULL};

    /** Whether to generate classes for this model itself (false for models only embedded in others). */
    boolean generate() default true;
}
