package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Embedding lookup of int64 ids, as {@code nn.Embedding(vocab, dim)}: the output is the ids' shape plus {@code [dim]}.
 * Parameter: {@code <name>.weight [vocab, dim]}, initialized N(0, 1).
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Embedding {
    /** Table rows. */
    int vocab() default -1;

    /** Table rows as a hyperparameter expression; used when {@code vocab} is not given. */
    String vocabExpr() default "";

    /** Row width. */
    int dim() default -1;

    /** Row width as a hyperparameter expression; used when {@code dim} is not given. */
    String dimExpr() default "";
}
