package dev.mithril.runtime;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused causal multi-head self-attention, {@code softmax(q k^T / sqrt(hd) + causalMask) v}, for F32 and F64.
 *
 * <p>The forward pass walks each query row's keys once, in blocks, keeping a running maximum and sum
 * (online softmax, as flash attention does), so no {@code T x T} matrix is ever stored: memory is
 * {@code O(T * hd)} per head. It saves the log-sum-exp of each row's scaled scores; the backward pass
 * recomputes each block's probabilities from it and forms {@code dq, dk, dv} in the same blocked walk.
 *
 * <p>Two layouts: separate {@code q, k, v [B, H, T, hd]} ({@link #forward}, {@link #backward}), or the fused
 * projection output {@code qkv [B, T, 3C]} of a GPT block ({@link #forwardFused}, {@link #backwardFused}),
 * read in place with q, k, v in that order and heads split as nanoGPT's
 * {@code view(B, T, H, hd).transpose(1, 2)} does; its output is {@code [B, T, C]}, ready for the output
 * projection. {@link #attendCached} is the one-token decode step against a key-value cache.
 *
 * <p>Work is split over {@code (batch, head)} pairs with {@link Parallel#forRange}; each pair writes its own
 * slice of every output, so results do not depend on the thread count.
 *
 * <pre>{@code
 * Attention.Result r = Attention.forwardFused(qkv, 8);          // r.out(): [B, T, C]
 * Tensor dQkv = Attention.backwardFused(qkv, 8, r.out(), r.lse(), dOut);
 * }</pre>
 */
public final class Attention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    /** Keys per block: four vectors, so score accumulation has four independent FMA chains. */
    private static final int BK = 4 * V;
    /** Key block of the F64 path. */
    private static final int BK64 = 32;
    private static final int GRAIN_FLOPS = 1 << 16;

    private Attention() {}

    /** Attention output and the log-sum-exp {@code [B, H, T]} of each row's scaled, masked scores. */
    public record Result(Tensor out, Tensor lse) {}

    /** Gradients with respect to q, k and v, each shaped like its input. */
    public record Grads(Tensor dq, Tensor dk, Tensor dv) {}

    /** Where one (batch, head) pair's rows live: q, k, v (and their gradients) with row stride {@code ld}, out with {@code ldo}. */
    private record Layout(int b, int h, int t, int hd, boolean fused) {
        int c() { return h * hd; }
        int ld() { return fused ? 3 * c() : hd; }
        int ldo() { return fused ? c() : hd; }
        int q(int bi, int hi) { return fused ? bi * t * 3 * c() + hi * hd : (bi * h + hi) * t * hd; }
        int k(int bi, int hi) { return q(bi, hi) + (fused ? c() : 0); }
        int v(int bi, int hi) { return q(bi, hi) + (fused ? 2 * c() : 0); }
        int o(int bi, int hi) { return fused ? bi * t * c() + hi * hd : (bi * h + hi) * t * hd; }
        int lse(int bi, int hi) { return (bi * h + hi) * t; }
        int pairGrain() { return Math.max(1, GRAIN_FLOPS / Math.max(1, t * t * hd)); }
    }

    // ---------------------------------------------------------------- public API

    /** Causal attention over {@code q, k, v [B, H, T, hd]}; output {@code [B, H, T, hd]}. */
    public static Result forward(Tensor q, Tensor k, Tensor v) {
        Layout l = splitLayout("Attention.forward", q, k, v);
        Tensor out = Tensor.zeros(q.dtype(), q.shape()), lse = Tensor.zeros(q.dtype(), l.b, l.h, l.t);
        runForward(l, q, k, v, out, lse);
        return new Result(out, lse);
    }

    /**
     * Causal attention reading q, k, v from the fused projection {@code qkv [B, T, 3C]} ({@code C = heads * hd});
     * output {@code [B, T, C]} with the heads side by side, as nanoGPT's {@code transpose(1, 2).view(B, T, C)}.
     */
    public static Result forwardFused(Tensor qkv, int heads) {
        Layout l = fusedLayout("Attention.forwardFused", qkv, heads);
        Tensor out = Tensor.zeros(qkv.dtype(), l.b, l.t, l.c()), lse = Tensor.zeros(qkv.dtype(), l.b, l.h, l.t);
        runForward(l, qkv, qkv, qkv, out, lse);
        return new Result(out, lse);
    }

    /** Gradients of {@link #forward} from its {@code out} and {@code lse} and the output gradient {@code dOut}. */
    public static Grads backward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dOut) {
        String where = "Attention.backward";
        Layout l = splitLayout(where, q, k, v);
        checkSaved(where, l, q, out, lse, dOut, q.shape());
        Tensor dq = Tensor.zeros(q.dtype(), q.shape()), dk = Tensor.zeros(q.dtype(), q.shape()), dv = Tensor.zeros(q.dtype(), q.shape());
        runBackward(l, q, k, v, out, lse, dOut, dq, dk, dv);
        return new Grads(dq, dk, dv);
    }

    /** Gradient of {@link #forwardFused} with respect to {@code qkv}: {@code [B, T, 3C]}, dq, dk, dv side by side. */
    public static Tensor backwardFused(Tensor qkv, int heads, Tensor out, Tensor lse, Tensor dOut) {
        String where = "Attention.backwardFused";
        Layout l = fusedLayout(where, qkv, heads);
        checkSaved(where, l, qkv, out, lse, dOut, new int[] {l.b, l.t, l.c()});
        Tensor dqkv = Tensor.zeros(qkv.dtype(), qkv.shape());
        runBackward(l, qkv, qkv, qkv, out, lse, dOut, dqkv, dqkv, dqkv);
        return dqkv;
    }

    /**
     * One decode step: the single query {@code q [B, H, 1, hd]} attends to the first {@code length} positions of
     * {@code kCache, vCache [B, H, Tmax, hd]} (all of them earlier than or at the query's own position, so no
     * mask is needed). Returns {@code [B, H, 1, hd]}.
     */
    public static Tensor attendCached(Tensor q, Tensor kCache, Tensor vCache, int length) {
        String where = "Attention.attendCached";
        checkDtypes(where, q, kCache, vCache);
        int[] qs = q.shape(), ks = kCache.shape();
        if (qs.length != 4 || qs[2] != 1) throw new IllegalArgumentException(where + ": q must be [B, H, 1, hd], got " + Tensor.shapeString(qs));
        if (ks.length != 4 || ks[0] != qs[0] || ks[1] != qs[1] || ks[3] != qs[3] || !kCache.sameShape(vCache)) {
            throw new IllegalArgumentException(where + ": kCache " + Tensor.shapeString(ks) + " and vCache " + Tensor.shapeString(vCache.shape())
                    + " must both be [B, H, Tmax, hd] matching q " + Tensor.shapeString(qs));
        }
        if (length < 1 || length > ks[2]) {
            throw new IllegalArgumentException(where + ": length " + length + " is outside the cache's 1.." + ks[2] + " positions");
        }
        int pairs = qs[0] * qs[1], hd = qs[3], tmax = ks[2];
        double scale = 1 / Math.sqrt(hd);
        Tensor out = Tensor.zeros(q.dtype(), qs);
        Parallel.forRange(pairs, Math.max(1, GRAIN_FLOPS / Math.max(1, length * hd)), (from, to) -> {
            if (q.dtype() == DType.F64) {
                double[] s = new double[length];
                for (int p = from; p < to; p++) {
                    decodeF64(q.doubles(), p * hd, kCache.doubles(), vCache.doubles(), p * tmax * hd, out.doubles(), length, hd, scale, s);
                }
            } else {
                float[] s = new float[length], acc = new float[hd];
                for (int p = from; p < to; p++) {
                    decodeF32(q.data(), p * hd, kCache.data(), vCache.data(), p * tmax * hd, out.data(), length, hd, (float) scale, s, acc);
                }
            }
        });
        return out;
    }

    // ---------------------------------------------------------------- checks

    private static void checkDtypes(String where, Tensor... ts) {
        Norms.checkFloat(where, "q", ts[0]);
        for (Tensor t : ts) {
            if (t == null) throw new IllegalArgumentException(where + ": an input is null");
            if (t.dtype() != ts[0].dtype()) {
                throw new IllegalArgumentException(where + ": inputs mix " + ts[0].dtype().safetensorsName() + " and " + t.dtype().safetensorsName());
            }
        }
    }

    private static Layout splitLayout(String where, Tensor q, Tensor k, Tensor v) {
        checkDtypes(where, q, k, v);
        if (q.rank() != 4 || !q.sameShape(k) || !q.sameShape(v)) {
            throw new IllegalArgumentException(where + ": q " + Tensor.shapeString(q.shape()) + ", k " + Tensor.shapeString(k.shape()) + " and v "
                    + Tensor.shapeString(v.shape()) + " must all be the same [B, H, T, hd]");
        }
        if (q.dim(3) == 0) throw new IllegalArgumentException(where + ": head size is 0 in " + Tensor.shapeString(q.shape()));
        return new Layout(q.dim(0), q.dim(1), q.dim(2), q.dim(3), false);
    }

    private static Layout fusedLayout(String where, Tensor qkv, int heads) {
        checkDtypes(where, qkv);
        if (qkv.rank() != 3 || qkv.dim(2) % 3 != 0) {
            throw new IllegalArgumentException(where + ": qkv must be [B, T, 3C], got " + Tensor.shapeString(qkv.shape()));
        }
        int c = qkv.dim(2) / 3;
        if (heads < 1 || c % heads != 0 || c == 0) {
            throw new IllegalArgumentException(where + ": width C = " + c + " of qkv " + Tensor.shapeString(qkv.shape())
                    + " is not a positive multiple of heads = " + heads);
        }
        return new Layout(qkv.dim(0), heads, qkv.dim(1), c / heads, true);
    }

    private static void checkSaved(String where, Layout l, Tensor x, Tensor out, Tensor lse, Tensor dOut, int[] outShape) {
        checkDtypes(where, x, out, lse, dOut);
        if (!Arrays.equals(out.shape(), outShape) || !Arrays.equals(dOut.shape(), outShape)) {
            throw new IllegalArgumentException(where + ": out " + Tensor.shapeString(out.shape()) + " and dOut " + Tensor.shapeString(dOut.shape())
                    + " must both be " + Tensor.shapeString(outShape));
        }
        if (!Arrays.equals(lse.shape(), new int[] {l.b, l.h, l.t})) {
            throw new IllegalArgumentException(where + ": lse must be [" + l.b + ", " + l.h + ", " + l.t + "], got " + Tensor.shapeString(lse.shape()));
        }
    }

    // ---------------------------------------------------------------- drivers

    private static void runForward(Layout l, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse) {
        double scale = 1 / Math.sqrt(l.hd);
        int tp = roundUp(l.t, BK);
        Parallel.forRange(l.b * l.h, l.pairGrain(), (from, to) -> {
            if (q.dtype() == DType.F64) {
                double[] s = new double[BK64], acc = new double[l.hd];
                for (int p = from; p < to; p++) {
                    int bi = p / l.h, hi = p % l.h;
                    forwardHeadF64(l, q.doubles(), l.q(bi, hi), k.doubles(), l.k(bi, hi), v.doubles(), l.v(bi, hi),
                            out.doubles(), l.o(bi, hi), lse.doubles(), l.lse(bi, hi), scale, s, acc);
                }
            } else {
                float[] kt = new float[l.hd * tp], s = new float[BK], acc = new float[l.hd], qs = new float[l.hd];
                for (int p = from; p < to; p++) {
                    int bi = p / l.h, hi = p % l.h;
                    transposeRows(k.data(), l.k(bi, hi), l.ld(), l.t, l.hd, kt, tp);
                    forwardHeadF32(l, q.data(), l.q(bi, hi), kt, tp, v.data(), l.v(bi, hi), out.data(), l.o(bi, hi),
                            lse.data(), l.lse(bi, hi), (float) scale, s, acc, qs);
                }
            }
        });
    }

    private static void runBackward(Layout l, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dOut,
                                    Tensor dq, Tensor dk, Tensor dv) {
        double scale = 1 / Math.sqrt(l.hd);
        int tp = roundUp(l.t, BK);
        Parallel.forRange(l.b * l.h, l.pairGrain(), (from, to) -> {
            if (q.dtype() == DType.F64) {
                double[] p = new double[BK64], ds = new double[BK64];
                for (int pair = from; pair < to; pair++) {
                    int bi = pair / l.h, hi = pair % l.h;
                    backwardHeadF64(l, bi, hi, q.doubles(), k.doubles(), v.doubles(), out.doubles(), lse.doubles(), dOut.doubles(),
                            dq.doubles(), dk.doubles(), dv.doubles(), scale, p, ds);
                }
            } else {
                Scratch sc = new Scratch(l.hd, tp);
                for (int pair = from; pair < to; pair++) {
                    int bi = pair / l.h, hi = pair % l.h;
                    transposeRows(k.data(), l.k(bi, hi), l.ld(), l.t, l.hd, sc.kt, tp);
                    transposeRows(v.data(), l.v(bi, hi), l.ld(), l.t, l.hd, sc.vt, tp);
                    backwardHeadF32(l, bi, hi, q.data(), k.data(), out.data(), lse.data(), dOut.data(), dq.data(), dk.data(), dv.data(),
                            (float) scale, sc);
                }
            }
        });
    }

    /** Per-thread buffers of the F32 backward. */
    private static final class Scratch {
        final float[] kt, vt, p = new float[BK], ds = new float[BK], qs, g, dqa;
        final int tp;

        Scratch(int hd, int tp) {
            this.tp = tp;
            kt = new float[hd * tp];
            vt = new float[hd * tp];
            qs = new float[hd];
            g = new float[hd];
            dqa = new float[hd];
        }
    }

    // ---------------------------------------------------------------- F32 kernels

    /** {@code kt[d * tp + j] = x[off + j * ld + d]} for the first {@code t} rows; columns past {@code t} stay zero. */
    private static void transposeRows(float[] x, int off, int ld, int t, int hd, float[] kt, int tp) {
        for (int j = 0; j < t; j++) {
            int r = off + j * ld;
            for (int d = 0; d < hd; d++) kt[d * tp + j] = x[r + d];
        }
    }

    /** {@code s[jj] = sum_d a[d] * xt[d * tp + j0 + jj]} for one block of {@link #BK} keys (vectorized over keys). */
    private static void blockDots(float[] a, float[] xt, int tp, int j0, int hd, float[] s) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        for (int d = 0; d < hd; d++) {
            FloatVector ad = FloatVector.broadcast(S, a[d]);
            int r = d * tp + j0;
            s0 = FloatVector.fromArray(S, xt, r).fma(ad, s0);
            s1 = FloatVector.fromArray(S, xt, r + V).fma(ad, s1);
            s2 = FloatVector.fromArray(S, xt, r + 2 * V).fma(ad, s2);
            s3 = FloatVector.fromArray(S, xt, r + 3 * V).fma(ad, s3);
        }
        s0.intoArray(s, 0);
        s1.intoArray(s, V);
        s2.intoArray(s, 2 * V);
        s3.intoArray(s, 3 * V);
    }

    private static void forwardHeadF32(Layout l, float[] q, int qOff, float[] kt, int tp, float[] v, int vOff, float[] o, int oOff,
                                       float[] lse, int lseOff, float scale, float[] s, float[] acc, float[] qs) {
        int hd = l.hd, ld = l.ld(), ldo = l.ldo();
        for (int i = 0; i < l.t; i++) {
            for (int d = 0; d < hd; d++) qs[d] = q[qOff + i * ld + d] * scale;
            Arrays.fill(acc, 0f);
            float m = Float.NEGATIVE_INFINITY, sum = 0f;
            int nk = i + 1;
            for (int j0 = 0; j0 < nk; j0 += BK) {
                int jn = Math.min(BK, nk - j0);
                blockDots(qs, kt, tp, j0, hd, s);
                // Keys past the query (causal mask) and the zero padding past T take no part.
                for (int jj = jn; jj < BK; jj++) s[jj] = Float.NEGATIVE_INFINITY;
                float bm = FloatVector.fromArray(S, s, 0).max(FloatVector.fromArray(S, s, V))
                        .max(FloatVector.fromArray(S, s, 2 * V).max(FloatVector.fromArray(S, s, 3 * V))).reduceLanes(VectorOperators.MAX);
                if (bm > m) {
                    float corr = (float) Math.exp(m - bm);
                    sum *= corr;
                    for (int d = 0; d < hd; d++) acc[d] *= corr;
                    m = bm;
                }
                FloatVector total = FloatVector.zero(S);
                for (int c = 0; c < BK; c += V) {
                    FloatVector e = FloatVector.fromArray(S, s, c).sub(m).lanewise(VectorOperators.EXP);
                    e.intoArray(s, c);
                }
                for (int jj = jn; jj < BK; jj++) s[jj] = 0f;
                for (int c = 0; c < BK; c += V) total = total.add(FloatVector.fromArray(S, s, c));
                sum += total.reduceLanes(VectorOperators.ADD);
                accumulateRows(s, jn, v, vOff + j0 * ld, ld, acc, hd);
            }
            float inv = 1f / sum;
            int r = oOff + i * ldo;
            for (int d = 0; d < hd; d++) o[r + d] = acc[d] * inv;
            lse[lseOff + i] = m + (float) Math.log(sum);
        }
    }

    /** {@code acc[d] += sum_{jj < n} w[jj] * x[off + jj * ld + d]}. */
    private static void accumulateRows(float[] w, int n, float[] x, int off, int ld, float[] acc, int hd) {
        int bound = S.loopBound(hd), d = 0;
        for (; d < bound; d += V) {
            FloatVector a0 = FloatVector.fromArray(S, acc, d), a1 = FloatVector.zero(S);
            int jj = 0, r = off + d;
            for (; jj + 1 < n; jj += 2, r += 2 * ld) {
                a0 = FloatVector.fromArray(S, x, r).fma(FloatVector.broadcast(S, w[jj]), a0);
                a1 = FloatVector.fromArray(S, x, r + ld).fma(FloatVector.broadcast(S, w[jj + 1]), a1);
            }
            if (jj < n) a0 = FloatVector.fromArray(S, x, r).fma(FloatVector.broadcast(S, w[jj]), a0);
            a0.add(a1).intoArray(acc, d);
        }
        for (; d < hd; d++) {
            float a = acc[d];
            for (int jj = 0; jj < n; jj++) a += w[jj] * x[off + jj * ld + d];
            acc[d] = a;
        }
    }

    private static void backwardHeadF32(Layout l, int bi, int hi, float[] q, float[] k, float[] o, float[] lse, float[] dO,
                                        float[] dq, float[] dk, float[] dv, float scale, Scratch sc) {
        int hd = l.hd, ld = l.ld(), ldo = l.ldo(), tp = sc.tp;
        int qOff = l.q(bi, hi), kOff = l.k(bi, hi), vOff = l.v(bi, hi), oOff = l.o(bi, hi), lseOff = l.lse(bi, hi);
        float[] qs = sc.qs, g = sc.g, dqa = sc.dqa, p = sc.p, ds = sc.ds;
        int bound = S.loopBound(hd);
        for (int i = 0; i < l.t; i++) {
            int qr = qOff + i * ld, orow = oOff + i * ldo;
            float di = 0f;
            for (int d = 0; d < hd; d++) {
                qs[d] = q[qr + d] * scale;
                g[d] = dO[orow + d];
                di += g[d] * o[orow + d];
            }
            float li = lse[lseOff + i];
            Arrays.fill(dqa, 0f);
            int nk = i + 1;
            for (int j0 = 0; j0 < nk; j0 += BK) {
                int jn = Math.min(BK, nk - j0);
                blockDots(qs, sc.kt, tp, j0, hd, p);
                blockDots(g, sc.vt, tp, j0, hd, ds);
                for (int c = 0; c < BK; c += V) {
                    FloatVector pv = FloatVector.fromArray(S, p, c).sub(li).lanewise(VectorOperators.EXP);
                    pv.intoArray(p, c);
                    pv.mul(FloatVector.fromArray(S, ds, c).sub(di)).intoArray(ds, c);
                }
                // Rows j >= nk may hold anything (masked keys or padding): they are not visited below.
                int d = 0;
                for (; d < bound; d += V) {
                    FloatVector gv = FloatVector.fromArray(S, g, d), qv = FloatVector.fromArray(S, qs, d), acc = FloatVector.fromArray(S, dqa, d);
                    for (int jj = 0, r = j0 * ld + d; jj < jn; jj++, r += ld) {
                        FloatVector pj = FloatVector.broadcast(S, p[jj]), dsj = FloatVector.broadcast(S, ds[jj]);
                        FloatVector.fromArray(S, dv, vOff + r).add(gv.mul(pj)).intoArray(dv, vOff + r);
                        FloatVector.fromArray(S, dk, kOff + r).add(qv.mul(dsj)).intoArray(dk, kOff + r);
                        acc = FloatVector.fromArray(S, k, kOff + r).fma(dsj, acc);
                    }
                    acc.intoArray(dqa, d);
                }
                for (; d < hd; d++) {
                    float a = dqa[d];
                    for (int jj = 0, r = j0 * ld + d; jj < jn; jj++, r += ld) {
                        dv[vOff + r] += p[jj] * g[d];
                        dk[kOff + r] += ds[jj] * qs[d];
                        a += ds[jj] * k[kOff + r];
                    }
                    dqa[d] = a;
                }
            }
            for (int d = 0; d < hd; d++) dq[qr + d] = dqa[d] * scale;
        }
    }

    private static void decodeF32(float[] q, int qOff, float[] k, float[] v, int cOff, float[] out, int n, int hd, float scale,
                                  float[] s, float[] acc) {
        int bound = S.loopBound(hd);
        float m = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            int r = cOff + j * hd, d = 0;
            FloatVector a = FloatVector.zero(S);
            for (; d < bound; d += V) a = FloatVector.fromArray(S, q, qOff + d).fma(FloatVector.fromArray(S, k, r + d), a);
            float dot = a.reduceLanes(VectorOperators.ADD);
            for (; d < hd; d++) dot += q[qOff + d] * k[r + d];
            s[j] = dot * scale;
            m = Math.max(m, s[j]);
        }
        float sum = 0f;
        for (int j = 0; j < n; j++) {
            s[j] = (float) Math.exp(s[j] - m);
            sum += s[j];
        }
        Arrays.fill(acc, 0f);
        accumulateRows(s, n, v, cOff, hd, acc, hd);
        float inv = 1f / sum;
        for (int d = 0; d < hd; d++) out[qOff + d] = acc[d] * inv;
    }

    // ---------------------------------------------------------------- F64 kernels (same algorithm, scalar)

    private static void forwardHeadF64(Layout l, double[] q, int qOff, double[] k, int kOff, double[] v, int vOff, double[] o, int oOff,
                                       double[] lse, int lseOff, double scale, double[] s, double[] acc) {
        int hd = l.hd, ld = l.ld(), ldo = l.ldo();
        for (int i = 0; i < l.t; i++) {
            int qr = qOff + i * ld;
            Arrays.fill(acc, 0);
            double m = Double.NEGATIVE_INFINITY, sum = 0;
            int nk = i + 1;
            for (int j0 = 0; j0 < nk; j0 += BK64) {
                int jn = Math.min(BK64, nk - j0);
                double bm = Double.NEGATIVE_INFINITY;
                for (int jj = 0; jj < jn; jj++) {
                    int kr = kOff + (j0 + jj) * ld;
                    double dot = 0;
                    for (int d = 0; d < hd; d++) dot += q[qr + d] * k[kr + d];
                    s[jj] = dot * scale;
                    bm = Math.max(bm, s[jj]);
                }
                if (bm > m) {
                    double corr = Math.exp(m - bm);
                    sum *= corr;
                    for (int d = 0; d < hd; d++) acc[d] *= corr;
                    m = bm;
                }
                for (int jj = 0; jj < jn; jj++) {
                    double e = Math.exp(s[jj] - m);
                    sum += e;
                    int vr = vOff + (j0 + jj) * ld;
                    for (int d = 0; d < hd; d++) acc[d] += e * v[vr + d];
                }
            }
            int r = oOff + i * ldo;
            for (int d = 0; d < hd; d++) o[r + d] = acc[d] / sum;
            lse[lseOff + i] = m + Math.log(sum);
        }
    }

    private static void backwardHeadF64(Layout l, int bi, int hi, double[] q, double[] k, double[] v, double[] o, double[] lse, double[] dO,
                                        double[] dq, double[] dk, double[] dv, double scale, double[] p, double[] ds) {
        int hd = l.hd, ld = l.ld(), ldo = l.ldo();
        int qOff = l.q(bi, hi), kOff = l.k(bi, hi), vOff = l.v(bi, hi), oOff = l.o(bi, hi), lseOff = l.lse(bi, hi);
        for (int i = 0; i < l.t; i++) {
            int qr = qOff + i * ld, orow = oOff + i * ldo;
            double di = 0;
            for (int d = 0; d < hd; d++) di += dO[orow + d] * o[orow + d];
            double li = lse[lseOff + i];
            int nk = i + 1;
            for (int j0 = 0; j0 < nk; j0 += BK64) {
                int jn = Math.min(BK64, nk - j0);
                for (int jj = 0; jj < jn; jj++) {
                    int kr = kOff + (j0 + jj) * ld, vr = vOff + (j0 + jj) * ld;
                    double dot = 0, dp = 0;
                    for (int d = 0; d < hd; d++) {
                        dot += q[qr + d] * k[kr + d];
                        dp += dO[orow + d] * v[vr + d];
                    }
                    p[jj] = Math.exp(dot * scale - li);
                    ds[jj] = p[jj] * (dp - di);
                }
                for (int jj = 0; jj < jn; jj++) {
                    int kr = kOff + (j0 + jj) * ld, vr = vOff + (j0 + jj) * ld;
                    for (int d = 0; d < hd; d++) {
                        dv[vr + d] += p[jj] * dO[orow + d];
                        dk[kr + d] += ds[jj] * scale * q[qr + d];
                        dq[qr + d] += ds[jj] * scale * k[kr + d];
                    }
                }
            }
        }
    }

    private static void decodeF64(double[] q, int qOff, double[] k, double[] v, int cOff, double[] out, int n, int hd, double scale, double[] s) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            double dot = 0;
            for (int d = 0; d < hd; d++) dot += q[qOff + d] * k[cOff + j * hd + d];
            s[j] = dot * scale;
            m = Math.max(m, s[j]);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            s[j] = Math.exp(s[j] - m);
            sum += s[j];
        }
        for (int d = 0; d < hd; d++) {
            double a = 0;
            for (int j = 0; j < n; j++) a += s[j] * v[cOff + j * hd + d];
            out[qOff + d] = a / sum;
        }
    }

    private static int roundUp(int n, int m) { return Math.max(m, (n + m - 1) / m * m); }
}
