package dev.mithril.runtime.train;

import dev.mithril.runtime.Tensor;

/**
 * What a {@link Loss} computes.
 *
 * @param value the reduced loss
 * @param gradient d value / d prediction, shaped and typed like the prediction (a fresh tensor)
 */
public record LossResult(double value, Tensor gradient) {}
