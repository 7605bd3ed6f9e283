package dev.mithril.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Batch normalization over channel axis 1 of {@code [N, C, ...]}, as {@code nn.BatchNorm2d(C)}. Parameters
 * {@code <name>.weight} (ones) and {@code <name>.bias} (zeros); buffers {@code <name>.running_mean},
 * {@code <name>.running_var} and {@code <name>.num_batches_tracked} (int64), which get no gradient. Inference
 * uses the running statistics; {@code forwardTrain} the batch's, and updates the running ones.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface BatchNorm {
    /** Added to the variance before the square root. */
    double eps() default 1e-5;

    /** Weight of the new batch statistic in the running ones. */
    double momentum() default 0.1;
}
