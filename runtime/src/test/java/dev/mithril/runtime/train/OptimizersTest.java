package dev.mithril.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mithril.runtime.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Optimizers against PyTorch 1.13: three steps on p = [0.5, -1, 2, 0.1] (float64) with gradient
 * [0.1 t, -0.2, 0.3, -0.05 t] at step t = 1, 2, 3:
 * <pre>
 * p = torch.tensor([0.5, -1.0, 2.0, 0.1], dtype=torch.float64, requires_grad=True); opt = make([p])
 * for t in range(1, 4):
 *     p.grad = torch.tensor([0.1 * t, -0.2, 0.3, -0.05 * t], dtype=torch.float64); opt.step()
 * </pre>
 */
class OptimizersTest {
    private static double[] run(Optimizer opt, boolean f32) {
        double[] init = {0.5, -1.0, 2.0, 0.1};
        Tensor p = f32 ? Tensor.of(new float[] {0.5f, -1f, 2f, 0.1f}, 4) : Tensor.of(init.clone(), 4);
        for (int t = 1; t <= 3; t++) {
            double[] g = {0.1 * t, -0.2, 0.3, -0.05 * t};
            Tensor gt;
            if (f32) {
                float[] f = new float[4];
                for (int i = 0; i < 4; i++) f[i] = (float) g[i];
                gt = Tensor.of(f, 4);
            } else {
                gt = Tensor.of(g, 4);
            }
            opt.step(Map.of("p", p), Map.of("p", gt));
        }
        double[] out = new double[4];
        for (int i = 0; i < 4; i++) out[i] = f32 ? p.data()[i] : p.doubles()[i];
        return out;
    }

    private static void check(double[] torch, java.util.function.Supplier<Optimizer> make) {
        double[] d = run(make.get(), false), f = run(make.get(), true);
        for (int i = 0; i < 4; i++) {
            assertEquals(torch[i], d[i], 1e-13 * Math.abs(torch[i]), "F64 element " + i);
            assertEquals(torch[i], f[i], 1e-6 * Math.max(1, Math.abs(torch[i])), "F32 element " + i);
        }
    }

    @Test void adamFamilyMatchesPyTorch() {
        // torch.optim.Adam(ps, lr=0.01, weight_decay=0.1, amsgrad=True)
        check(new double[] {0.4703945842442005, -0.9700032449476694, 1.9700019324517586, 0.1290032332187707},
                () -> Adam.lr(0.01).weightDecay(0.1).amsgrad(true));
        // torch.optim.Adam(ps, lr=0.01)
        check(new double[] {0.47076816955448425, -0.9700000015000001, 1.970000001, 0.12923182839183142}, () -> Adam.lr(0.01));
        // torch.optim.AdamW(ps, lr=0.01, weight_decay=0.1)
        check(new double[] {0.4692993108721331, -0.9670329904985006, 1.9640359889990002, 0.1289024864767919},
                () -> AdamW.lr(0.01).weightDecay(0.1));
    }

    @Test void sgdMatchesPyTorch() {
        // torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
        check(new double[] {0.35056756198049993, -0.8312629239609999, 1.742876836512, 0.1719039344091},
                () -> Sgd.lr(0.1).momentum(0.9).nesterov(true).weightDecay(0.01));
        // torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5)
        check(new double[] {0.43889999999999996, -0.9168, 1.8752, 0.13055}, () -> Sgd.lr(0.1).momentum(0.9).dampening(0.5));
    }

    /** Two steps of SGD with momentum and one of AdamW written out from the formulas, on a 37-element F32 tensor (vector body and tail). */
    @Test void fusedKernelsEqualTheFormulasByHand() {
        int n = 37;
        float[] p0 = Tensor.random(1, n).data(), g1 = Tensor.random(2, n).data(), g2 = Tensor.random(3, n).data();
        Tensor p = Tensor.of(p0.clone(), n);
        Optimizer sgd = Sgd.lr(0.05).momentum(0.9);
        sgd.step(Map.of("w", p), Map.of("w", Tensor.of(g1, n)));
        sgd.step(Map.of("w", p), Map.of("w", Tensor.of(g2, n)));
        for (int i = 0; i < n; i++) {
            double buf = g1[i], q = p0[i] - 0.05 * buf;
            buf = 0.9 * buf + g2[i];
            q -= 0.05 * buf;
            assertEquals(q, p.data()[i], 1e-6 * Math.max(1, Math.abs(q)), "sgd element " + i);
        }
        Tensor a = Tensor.of(p0.clone(), n);
        Optimizer adamw = AdamW.lr(1e-2).weightDecay(0.1).betas(0.8, 0.99).eps(1e-6);
        adamw.step(Map.of("w", a), Map.of("w", Tensor.of(g1, n)));
        for (int i = 0; i < n; i++) {
            double q = p0[i] * (1 - 1e-2 * 0.1);
            double m = 0.2 * g1[i], v = 0.01 * g1[i] * g1[i];
            double mHat = m / (1 - 0.8), denom = Math.sqrt(v) / Math.sqrt(1 - 0.99) + 1e-6;
            q -= 1e-2 * mHat / denom;
            assertEquals(q, a.data()[i], 1e-6 * Math.max(1, Math.abs(q)), "adamw element " + i);
        }
    }

    @Test void stateExportsAndImports() {
        Tensor p = Tensor.of(new double[] {1, 2}, 2), g = Tensor.of(new double[] {0.5, -0.5}, 2);
        Optimizer a = Adam.lr(0.1).amsgrad(true);
        a.step(Map.of("w", p), Map.of("w", g));
        Map<String, Tensor> s = a.state();
        assertEquals(List.of("w.exp_avg", "w.exp_avg_sq", "w.max_exp_avg_sq", "w.step"), List.copyOf(s.keySet()));
        assertEquals(1L, s.get("w.step").longs()[0]);
        Optimizer b = Adam.lr(0.1).amsgrad(true);
        b.loadState(s);
        Tensor p1 = p.copy(), p2 = p.copy();
        a.step(Map.of("w", p1), Map.of("w", g));
        b.step(Map.of("w", p2), Map.of("w", g));
        assertEquals(p1.doubles()[0], p2.doubles()[0], 0);
        assertEquals(p1.doubles()[1], p2.doubles()[1], 0);
    }

    /** torch.nn.utils.clip_grad_norm_([pa, pb], 6.5) with grads [3, 4] and [[12]]: total 13, scaled by 6.5 / (13 + 1e-6). */
    @Test void clipGradNormMatchesPyTorch() {
        Tensor a = Tensor.of(new double[] {3, 4}, 2), b = Tensor.of(new double[] {12}, 1, 1);
        assertEquals(13.0, GradClip.byGlobalNorm(List.of(a, b), 6.5), 1e-15);
        assertEquals(1.4999998846153937, a.doubles()[0], 1e-15);
        assertEquals(1.9999998461538582, a.doubles()[1], 1e-15);
        assertEquals(5.999999538461575, b.doubles()[0], 1e-15);
        GradClip.byGlobalNorm(List.of(a, b), 100); // below the limit: unchanged
        assertEquals(1.4999998846153937, a.doubles()[0], 1e-15);
    }

    @Test void schedulesFollowPyTorchClosedForms() {
        assertEquals(0.1 * 0.5 * 0.5, LrSchedule.step(10, 0.5).lr(0.1, 25), 1e-17);
        assertEquals(0.0, LrSchedule.cosine(100, 0).lr(1.0, 100), 1e-15);
        assertEquals(0.5, LrSchedule.cosine(100, 0).lr(1.0, 50), 1e-15);
        assertEquals(0.01 + 0.99 * 3 / 10.0, LrSchedule.linearWarmup(0.01, 10).lr(1.0, 3), 1e-15);
        LrSchedule s = LrSchedule.linearWarmup(0.1, 4).until(4, LrSchedule.cosine(10, 0));
        assertEquals(0.1 + 0.9 * 2 / 4.0, s.lr(1.0, 2), 1e-15);
        assertEquals(1.0, s.lr(1.0, 4), 1e-15);
        assertEquals(0.5, s.lr(1.0, 9), 1e-15);
        assertEquals(0.5 * 0.5, LrSchedule.step(5, 0.5).andThen(LrSchedule.cosine(10, 0)).lr(1.0, 5), 1e-15);
    }

    @Test void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Sgd.lr(-1));
        assertThrows(IllegalArgumentException.class, () -> Adam.lr(0.1).betas(1.0, 0.9));
        Optimizer nesterovWithoutMomentum = Sgd.lr(0.1).nesterov(true);
        assertThrows(IllegalStateException.class, () -> nesterovWithoutMomentum.step(Map.of(), Map.of()));
        Optimizer sgd = Sgd.lr(0.1);
        assertThrows(IllegalArgumentException.class,
                () -> sgd.step(Map.of("w", Tensor.zeros(2)), Map.of("w", Tensor.zeros(3))));
    }
}
