package dev.mithril.runtime;

import static dev.mithril.runtime.NumericCheck.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class AttentionTest {
    /** Reference attention for one layout [B, H, T, hd]: materializes the T x T probabilities in double. */
    private record Expected(double[] out, double[] lse, double[] dq, double[] dk, double[] dv) {}

    private static Expected reference(double[] q, double[] k, double[] v, double[] dOut, int b, int h, int t, int hd) {
        int n = b * h * t * hd;
        double[] out = new double[n], lse = new double[b * h * t], dq = new double[n], dk = new double[n], dv = new double[n];
        double scale = 1 / Math.sqrt(hd);
        for (int p = 0; p < b * h; p++) {
            int base = p * t * hd;
            double[][] pr = new double[t][t];
            for (int i = 0; i < t; i++) {
                double max = Double.NEGATIVE_INFINITY;
                double[] s = new double[t];
                for (int j = 0; j < t; j++) {
                    if (j > i) { s[j] = Double.NEGATIVE_INFINITY; continue; }
                    for (int d = 0; d < hd; d++) s[j] += q[base + i * hd + d] * k[base + j * hd + d];
                    s[j] *= scale;
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j <= i; j++) sum += Math.exp(s[j] - max);
                for (int j = 0; j <= i; j++) pr[i][j] = Math.exp(s[j] - max) / sum;
                lse[p * t + i] = max + Math.log(sum);
                for (int d = 0; d < hd; d++) {
                    double a = 0;
                    for (int j = 0; j <= i; j++) a += pr[i][j] * v[base + j * hd + d];
                    out[base + i * hd + d] = a;
                }
            }
            if (dOut == null) continue;
            for (int i = 0; i < t; i++) {
                double[] dp = new double[t];
                double rowDot = 0;
                for (int j = 0; j <= i; j++) {
                    for (int d = 0; d < hd; d++) dp[j] += dOut[base + i * hd + d] * v[base + j * hd + d];
                    rowDot += dp[j] * pr[i][j];
                }
                for (int j = 0; j <= i; j++) {
                    double ds = pr[i][j] * (dp[j] - rowDot) * scale;
                    for (int d = 0; d < hd; d++) {
                        dq[base + i * hd + d] += ds * k[base + j * hd + d];
                        dk[base + j * hd + d] += ds * q[base + i * hd + d];
                        dv[base + j * hd + d] += pr[i][j] * dOut[base + i * hd + d];
                    }
                }
            }
        }
        return new Expected(out, lse, dq, dk, dv);
    }

    /** Splits qkv [B, T, 3C] into [B, H, T, hd] for part 0 (q), 1 (k) or 2 (v), as nanoGPT's view + transpose. */
    private static double[] split(double[] qkv, int part, int b, int h, int t, int hd) {
        int c = h * hd;
        double[] r = new double[b * h * t * hd];
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
                for (int i = 0; i < t; i++)
                    for (int d = 0; d < hd; d++) r[((bi * h + hi) * t + i) * hd + d] = qkv[(bi * t + i) * 3 * c + part * c + hi * hd + d];
        return r;
    }

    /** The inverse of {@link #split} for an output [B, H, T, hd] -> [B, T, C]. */
    private static double[] merge(double[] x, int b, int h, int t, int hd) {
        int c = h * hd;
        double[] r = new double[b * t * c];
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
                for (int i = 0; i < t; i++)
                    for (int d = 0; d < hd; d++) r[(bi * t + i) * c + hi * hd + d] = x[((bi * h + hi) * t + i) * hd + d];
        return r;
    }

    @ParameterizedTest @EnumSource(value = DType.class, names = {"F32", "F64"})
    void forwardAndBackwardMatchMaterializedReference(DType dt) {
        int[][] shapes = {{1, 1, 1, 8}, {2, 3, 7, 13}, {1, 2, 33, 64}, {2, 1, 130, 13}, {1, 2, 130, 64}, {1, 1, 33, 8}};
        long seed = 1;
        for (int[] s : shapes) {
            int b = s[0], h = s[1], t = s[2], hd = s[3];
            String what = dt + " " + java.util.Arrays.toString(s);
            Tensor q = randn(dt, seed++, s), k = randn(dt, seed++, s), v = randn(dt, seed++, s), dOut = randn(dt, seed++, s);
            Expected r = reference(values(q), values(k), values(v), values(dOut), b, h, t, hd);
            Attention.Result res = Attention.forward(q, k, v);
            assertClose(r.out, res.out(), tol(dt, 2e-5), what + " out");
            assertClose(r.lse, res.lse(), tol(dt, 2e-5), what + " lse");
            Attention.Grads g = Attention.backward(q, k, v, res.out(), res.lse(), dOut);
            assertClose(r.dq, g.dq(), tol(dt, 1e-4), what + " dq");
            assertClose(r.dk, g.dk(), tol(dt, 1e-4), what + " dk");
            assertClose(r.dv, g.dv(), tol(dt, 1e-4), what + " dv");
        }
    }

    @ParameterizedTest @EnumSource(value = DType.class, names = {"F32", "F64"})
    void fusedLayoutMatchesReference(DType dt) {
        int[][] shapes = {{2, 1, 3, 8}, {1, 7, 2, 13}, {2, 33, 4, 16}, {1, 130, 2, 64}}; // B, T, H, hd
        long seed = 100;
        for (int[] s : shapes) {
            int b = s[0], t = s[1], h = s[2], hd = s[3], c = h * hd;
            String what = dt + " B,T,H,hd=" + java.util.Arrays.toString(s);
            Tensor qkv = randn(dt, seed++, b, t, 3 * c), dOut = randn(dt, seed++, b, t, c);
            double[] x = values(qkv);
            double[] q = split(x, 0, b, h, t, hd), k = split(x, 1, b, h, t, hd), v = split(x, 2, b, h, t, hd);
            // dOut [B, T, C] seen per head is the same split as a 1-part tensor.
            double[] dO = new double[b * h * t * hd], dOv = values(dOut);
            for (int bi = 0; bi < b; bi++)
                for (int hi = 0; hi < h; hi++)
                    for (int i = 0; i < t; i++)
                        for (int d = 0; d < hd; d++) dO[((bi * h + hi) * t + i) * hd + d] = dOv[(bi * t + i) * c + hi * hd + d];
            Expected r = reference(q, k, v, dO, b, h, t, hd);
            Attention.Result res = Attention.forwardFused(qkv, h);
            Ref.assertShape(new int[] {b, t, c}, res.out());
            assertClose(merge(r.out, b, h, t, hd), res.out(), tol(dt, 2e-5), what + " out");
            assertClose(r.lse, res.lse(), tol(dt, 2e-5), what + " lse");
            Tensor dqkv = Attention.backwardFused(qkv, h, res.out(), res.lse(), dOut);
            double[] expected = new double[b * t * 3 * c];
            double[][] parts = {merge(r.dq, b, h, t, hd), merge(r.dk, b, h, t, hd), merge(r.dv, b, h, t, hd)};
            for (int row = 0; row < b * t; row++)
                for (int part = 0; part < 3; part++) System.arraycopy(parts[part], row * c, expected, row * 3 * c + part * c, c);
            assertClose(expected, dqkv, tol(dt, 1e-4), what + " dqkv");
        }
    }

    @Test void gradientsMatchFiniteDifferences() {
        int[] s = {1, 2, 5, 3};
        Tensor q = randn(DType.F64, 7, s), k = randn(DType.F64, 8, s), v = randn(DType.F64, 9, s), w = randn(DType.F64, 10, s);
        Attention.Result res = Attention.forward(q, k, v);
        Attention.Grads g = Attention.backward(q, k, v, res.out(), res.lse(), w);
        assertClose(numericGrad(q, () -> weighted(Attention.forward(q, k, v).out(), w)), g.dq(), 1e-7, "dq");
        assertClose(numericGrad(k, () -> weighted(Attention.forward(q, k, v).out(), w)), g.dk(), 1e-7, "dk");
        assertClose(numericGrad(v, () -> weighted(Attention.forward(q, k, v).out(), w)), g.dv(), 1e-7, "dv");

        Tensor qkv = randn(DType.F64, 11, 2, 4, 3 * 6), wf = randn(DType.F64, 12, 2, 4, 6);
        Attention.Result rf = Attention.forwardFused(qkv, 2);
        Tensor d = Attention.backwardFused(qkv, 2, rf.out(), rf.lse(), wf);
        assertClose(numericGrad(qkv, () -> weighted(Attention.forwardFused(qkv, 2).out(), wf)), d, 1e-7, "dqkv");
    }

    @ParameterizedTest @EnumSource(value = DType.class, names = {"F32", "F64"})
    void cachedDecodeMatchesLastRowOfFullAttention(DType dt) {
        int b = 2, h = 3, tmax = 40;
        for (int hd : new int[] {8, 13, 64}) {
            for (int len : new int[] {1, 17, 40}) {
                Tensor kc = randn(dt, hd + len, b, h, tmax, hd), vc = randn(dt, 2 * hd + len, b, h, tmax, hd);
                Tensor qs = randn(dt, 3 * hd + len, b, h, len, hd);
                // Full causal attention over the first len positions, with q at every position; its last row is the decode step.
                double[] kv = values(kc), vv = values(vc);
                double[] kl = new double[b * h * len * hd], vl = new double[b * h * len * hd];
                for (int p = 0; p < b * h; p++) {
                    System.arraycopy(kv, p * tmax * hd, kl, p * len * hd, len * hd);
                    System.arraycopy(vv, p * tmax * hd, vl, p * len * hd, len * hd);
                }
                Expected r = reference(values(qs), kl, vl, null, b, h, len, hd);
                double[] qLast = new double[b * h * hd], expected = new double[b * h * hd];
                for (int p = 0; p < b * h; p++) {
                    System.arraycopy(values(qs), (p * len + len - 1) * hd, qLast, p * hd, hd);
                    System.arraycopy(r.out, (p * len + len - 1) * hd, expected, p * hd, hd);
                }
                Tensor out = Attention.attendCached(of(dt, qLast, b, h, 1, hd), kc, vc, len);
                Ref.assertShape(new int[] {b, h, 1, hd}, out);
                assertClose(expected, out, tol(dt, 2e-5), dt + " hd=" + hd + " len=" + len);
            }
        }
    }

    /**
     * A prompt's positions in one call (prefill) and the rest one at a time give the fused causal attention's rows, and
     * fill the caches.
     */
    @ParameterizedTest @EnumSource(value = DType.class, names = {"F32", "F64"})
    void cachedAttentionReproducesFusedCausalAttention(DType dt) {
        int[][] shapes = {{1, 1, 1, 8, 1}, {2, 7, 3, 13, 3}, {3, 19, 2, 16, 1}, {2, 9, 2, 5, 9}}; // B, T, H, hd, prefill length
        long seed = 300;
        for (int[] s : shapes) {
            int b = s[0], t = s[1], h = s[2], hd = s[3], prefill = s[4], c = h * hd, tmax = t + 2;
            String what = dt + " B,T,H,hd,prefill=" + java.util.Arrays.toString(s);
            Tensor qkv = randn(dt, seed++, b, t, 3 * c);
            double[] all = values(qkv), full = values(Attention.forwardFused(qkv, h).out());
            Tensor kc = Tensor.zeros(dt, b, h, tmax, hd), vc = Tensor.zeros(dt, b, h, tmax, hd);
            for (int from = 0; from < t; ) {
                int len = from == 0 ? prefill : 1;
                double[] rows = new double[b * len * 3 * c], expected = new double[b * len * c];
                long[] positions = new long[len];
                for (int i = 0; i < len; i++) positions[i] = from + i;
                for (int bi = 0; bi < b; bi++) {
                    System.arraycopy(all, (bi * t + from) * 3 * c, rows, bi * len * 3 * c, len * 3 * c);
                    System.arraycopy(full, (bi * t + from) * c, expected, bi * len * c, len * c);
                }
                Tensor out = Attention.forwardCached(of(dt, rows, b, len, 3 * c), kc, vc, Tensor.ofLongs(positions, len), h);
                Ref.assertShape(new int[] {b, len, c}, out);
                assertClose(expected, out, tol(dt, 2e-5), what + " positions " + from + ".." + (from + len - 1));
                from += len;
            }
            double[] k = values(kc);
            assertEquals(all[c + 2], k[2], 0, what + ": first key cached as given"); // batch 0, head 0, position 0, element 2
            assertEquals(0, k[t * hd], 0, what + ": positions past the last untouched");
        }
        Tensor qkv = Tensor.zeros(dt, 1, 1, 12), cache = Tensor.zeros(dt, 1, 2, 4, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> Attention.forwardCached(qkv, cache, cache, Tensor.ofLongs(new long[] {4}, 1), 2));
        assertTrue(e.getMessage().contains("positions 4..4") && e.getMessage().contains("0..3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.forwardCached(Tensor.zeros(dt, 1, 2, 12), cache, cache, Tensor.ofLongs(new long[] {0}, 1), 2));
        assertTrue(e.getMessage().contains("int64 [2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.forwardCached(Tensor.zeros(dt, 1, 2, 12), cache, cache, Tensor.ofLongs(new long[] {0, 2}, 2), 2));
        assertTrue(e.getMessage().contains("consecutive"), e.getMessage());
    }

    @Test void largeScoresStayFinite() {
        // Scores of +-1e4 overflow a naive exp; the running max must keep every value finite and exact.
        int t = 70, hd = 8;
        float[] q = new float[t * hd], k = new float[t * hd], v = new float[t * hd];
        for (int i = 0; i < t; i++) {
            q[i * hd] = 1000f;
            k[i * hd] = (i % 2 == 0 ? 1 : -1) * (float) (100 + i);
            v[i * hd + 1] = i;
        }
        Tensor out = Attention.forward(Tensor.of(q, 1, 1, t, hd), Tensor.of(k, 1, 1, t, hd), Tensor.of(v, 1, 1, t, hd)).out();
        for (int i = 0; i < t; i++) {
            int argmax = i % 2 == 0 ? i : i - 1; // the largest even key up to i wins outright
            assertEquals(argmax, out.get(0, 0, i, 1), 1e-3, "row " + i);
        }
    }

    @Test void badShapesAreRejected() {
        Tensor a = Tensor.zeros(1, 2, 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Attention.forward(a, a, Tensor.zeros(1, 2, 3, 5)));
        assertTrue(e.getMessage().contains("[1, 2, 3, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.forwardFused(Tensor.zeros(1, 3, 12), 3));
        assertTrue(e.getMessage().contains("heads = 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Attention.forwardFused(Tensor.zeros(1, 3, 10), 1));
        assertThrows(IllegalArgumentException.class, () -> Attention.forward(a, a, Tensor.zeros(DType.F64, 1, 2, 3, 4)));
        e = assertThrows(IllegalArgumentException.class,
                () -> Attention.attendCached(Tensor.zeros(1, 2, 1, 4), Tensor.zeros(1, 2, 8, 4), Tensor.zeros(1, 2, 8, 4), 9));
        assertTrue(e.getMessage().contains("length 9"), e.getMessage());
        Attention.Result r = Attention.forward(a, a, a);
        e = assertThrows(IllegalArgumentException.class, () -> Attention.backward(a, a, a, r.out(), Tensor.zeros(1, 2, 4), a));
        assertTrue(e.getMessage().contains("lse"), e.getMessage());
    }
}
