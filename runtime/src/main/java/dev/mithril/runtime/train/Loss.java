package dev.mithril.runtime.train;

import dev.mithril.runtime.Tensor;

/**
 * A loss function with its gradient: {@link #forward} returns the scalar loss and d loss / d prediction in
 * one pass, which is what a training step feeds to {@code Trainable.backward}. Implementations are
 * immutable and thread-safe; the arithmetic runs in double precision whatever the tensors' dtype, and the
 * gradient has the prediction's dtype (F32 or F64) and shape.
 *
 * <pre>{@code
 * LossResult r = CrossEntropy.mean().labelSmoothing(0.1).forward(logits, labels);
 * double loss = r.value();
 * Tensor dLogits = r.gradient();
 * }</pre>
 */
public interface Loss {
    /** The loss of {@code prediction} against {@code target} and its gradient with respect to {@code prediction}. */
    LossResult forward(Tensor prediction, Tensor target);

    /**
     * As {@link #forward}, writing the gradient into {@code gradient} (the prediction's shape and dtype) instead of a new
     * tensor, and returning the loss: a training loop that keeps one gradient buffer allocates nothing here. This
     * default computes {@link #forward} and copies; losses with a direct form override it.
     */
    default double forwardInto(Tensor prediction, Tensor target, Tensor gradient) {
        LossResult r = forward(prediction, target);
        LossValues.copyGradient(getClass().getSimpleName(), r.gradient(), gradient);
        return r.value();
    }

    /** A short description with every setting, e.g. {@code "CrossEntropy(reduction=mean, ignoreIndex=-100, labelSmoothing=0.1)"}; stored in checkpoints. */
    String describe();
}
