package dev.mithril.runtime.train;

import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import java.util.Collection;

/** Gradient clipping as {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales every gradient by {@code maxNorm / (total + 1e-6)} when that is below 1, where {@code total} is the
     * L2 norm of all gradients taken together; returns {@code total} (before scaling), as PyTorch.
     */
    public static double byGlobalNorm(Collection<Tensor> gradients, double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("GradClip.byGlobalNorm: max norm must be positive, got " + maxNorm);
        double sq = 0;
        for (Tensor g : gradients) {
            if (g.dtype() == DType.F64) for (double v : g.doubles()) sq += v * v;
            else for (float v : g.data()) sq += (double) v * v;
        }
        double total = Math.sqrt(sq);
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1) {
            for (Tensor g : gradients) {
                if (g.dtype() == DType.F64) {
                    double[] d = g.doubles();
                    for (int i = 0; i < d.length; i++) d[i] *= coef;
                } else {
                    float[] d = g.data();
                    float c = (float) coef;
                    for (int i = 0; i < d.length; i++) d[i] *= c;
                }
            }
        }
        return total;
    }
}
