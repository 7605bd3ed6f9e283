package dev.mithril.runtime.train;

/**
 * AdamW as {@code torch.optim.AdamW} (1.13): {@code p *= 1 - lr wd} before the Adam update, with the
 * decay not entering the moment estimates. Default weight decay 0.01, as PyTorch.
 *
 * <pre>{@code
 * Optimizer opt = AdamW.lr(1e-3).weightDecay(0.1);
 * }</pre>
 */
public final class AdamW extends Adam {
    private AdamW(double lr) { super("AdamW", true, lr, 0.01); }

    /** AdamW with learning rate {@code lr}, betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public static AdamW lr(double lr) { return new AdamW(lr); }
}
