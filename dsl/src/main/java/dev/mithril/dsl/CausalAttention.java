package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Causal multi-head self-attention from a fused projection {@code qkv [B, T, 3C]} (q, k, v in that order, as nanoGPT's
 * {@code c_attn}): {@code softmax(q kᵀ / sqrt(C / heads) + causal mask) v}, heads side by side, {@code [B, T, C]}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface CausalAttention {
    /** Attention heads. */
    int heads() default -1;

    /** Heads as a hyperparameter expression, e.g. {@code "nHead"}; used when {@code heads} is not given. */
    String headsExpr() default "";
}
