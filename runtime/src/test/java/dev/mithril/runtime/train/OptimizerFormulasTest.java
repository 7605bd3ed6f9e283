package dev.mithril.runtime.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.mithril.runtime.Safetensors;
import dev.mithril.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One optimizer step on the PyTorch MLP fixture's parameters and gradients equals the update formulas of
 * {@code torch.optim.SGD} and {@code torch.optim.AdamW}, evaluated here in double, to 1e-6 relative.
 */
class OptimizerFormulasTest {
    private static final double TOLERANCE = 1e-6;

    /** The fixture's {@code param.*} (copies, keyed without the prefix) and {@code grad.*} tensors. */
    private record Fixture(Map<String, Tensor> params, Map<String, Tensor> grads) {}

    private static Fixture fixture() {
        Path file = Path.of(System.getProperty("mithril.reference.dir", "/work/shared/reference"), "mlp.safetensors");
        assertTrue(Files.exists(file), "reference fixture missing: " + file);
        Map<String, Tensor> all = Safetensors.read(file);
        Map<String, Tensor> params = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        for (var e : all.entrySet()) {
            if (e.getKey().startsWith("param.")) {
                String name = e.getKey().substring("param.".length());
                params.put(name, e.getValue().toF32().copy());
                grads.put(name, all.get("grad." + name).toF32());
            }
        }
        assertEquals(8, params.size(), "the MLP fixture has four linear layers");
        return new Fixture(params, grads);
    }

    /** SGD(lr 0.01, momentum 0.9), first step: the momentum buffer is the gradient, so p -= lr * g. */
    @Test
    void sgdWithMomentumMatchesTorchFirstStep() {
        Fixture f = fixture();
        double lr = 0.01;
        Map<String, double[]> expected = new LinkedHashMap<>();
        for (String name : f.params().keySet()) {
            float[] p = f.params().get(name).data(), g = f.grads().get(name).data();
            double[] e = new double[p.length];
            for (int i = 0; i < p.length; i++) {
                double buf = g[i];
                e[i] = p[i] - lr * buf;
            }
            expected.put(name, e);
        }
        Sgd.lr(lr).momentum(0.9).step(f.params(), f.grads());
        assertMatches(expected, f.params());
    }

    /** AdamW(lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01), step 1. */
    @Test
    void adamWMatchesTorchFirstStep() {
        Fixture f = fixture();
        double lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01;
        Map<String, double[]> expected = new LinkedHashMap<>();
        for (String name : f.params().keySet()) {
            float[] p = f.params().get(name).data(), g = f.grads().get(name).data();
            double[] e = new double[p.length];
            for (int i = 0; i < p.length; i++) {
                double x = p[i] * (1 - lr * wd);
                double m = (1 - b1) * g[i], v = (1 - b2) * (double) g[i] * g[i];
                e[i] = x - lr * (m / (1 - b1)) / (Math.sqrt(v / (1 - b2)) + eps);
            }
            expected.put(name, e);
        }
        AdamW.lr(lr).betas(b1, b2).eps(eps).weightDecay(wd).step(f.params(), f.grads());
        assertMatches(expected, f.params());
    }

    /** Each element within 1e-6 relative (of the larger of its magnitude and the tensor's mean magnitude, for values near 0). */
    private static void assertMatches(Map<String, double[]> expected, Map<String, Tensor> got) {
        for (var e : expected.entrySet()) {
            double[] want = e.getValue();
            float[] have = got.get(e.getKey()).data();
            double scale = 0;
            for (double w : want) scale += Math.abs(w);
            scale /= want.length;
            for (int i = 0; i < want.length; i++) {
                double err = Math.abs(have[i] - want[i]) / Math.max(Math.abs(want[i]), scale);
                int at = i;
                assertTrue(err <= TOLERANCE, () -> e.getKey() + "[" + at + "]: " + have[at] + " but the formula gives " + want[at]
                        + " (relative error " + err + ")");
            }
        }
    }
}
