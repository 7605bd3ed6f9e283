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
 * The F32 path works on tiles of four query rows by {@code 4 * lanes} keys, with one head's keys (and values)
 * first copied to a transposed (contiguous) buffer, so the inner loops are register-blocked FMAs with no
 * horizontal reductions; F64 runs the same algorithm in plain scalar code.
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
    /** Keys per block: four vectors wide, the widest score tile that stays in registers for {@link #ROWS} rows. */
    private static final int BK = 4 * V;
    /** Key block of the F64 path. */
    private static final int BK64 = 32;
    private static final int GRAIN_FLOPS = 1 << 16;
    /** Query rows the F32 forward handles together, so each key and value load feeds four rows' FMAs. */
    private static final int ROWS = 4;

    private Attention() {}

    /** Attention output and the log-sum-exp {@code [B, H, T]} of each row's scaled, masked scores. */
    public record Result(Tensor out, Tensor lse) {}

    /** Gradients with respect to q, k and v, each shaped like its input. */
    public record Grads(Tensor dq, Tensor dk, Tensor dv) {}

    /** Where one (batch, head) pair's rows live: q, k, v (and their gradients) with row stride {@code ld}, out with {@code ldo}. */
    private record Layout(int b, int h, int t, int hd, boolean fused) {
        /** The layouts each thread used last: a training step calls every attention layer with the same one. */
        private static final ThreadLocal<Layout[]> RECENT = ThreadLocal.withInitial(() -> new Layout[4]);

        static Layout of(int b, int h, int t, int hd, boolean fused) {
            Layout[] recent = RECENT.get();
            for (Layout l : recent) if (l != null && l.b == b && l.h == h && l.t == t && l.hd == hd && l.fused == fused) return l;
            System.arraycopy(recent, 0, recent, 1, recent.length - 1);
            return recent[0] = new Layout(b, h, t, hd, fused);
        }

        int c() { return h * hd; }
        int ld() { return fused ? 3 * c() : hd; }
        int ldo() { return fused ? c() : hd; }
        int q(int bi, int hi) { return fused ? bi * t * 3 * c() + hi * hd : (bi * h + hi) * t * hd; }
        int k(int bi, int hi) { return q(bi, hi) + (fused ? c() : 0); }
        int v(int bi, int hi) { return q(bi, hi) + (fused ? 2 * c() : 0); }
        int o(int bi, int hi) { return fused ? bi * t * c() + hi * hd : (bi * h + hi) * t * hd; }
        int lse(int bi, int hi) { return (bi * h + hi) * t; }
        int pairGrain() { return (int) Math.max(1, GRAIN_FLOPS / Math.max(1L, (long) t * t * hd)); }
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
        Result r = new Result(Tensor.zeros(qkv.dtype(), l.b, l.t, l.c()), Tensor.zeros(qkv.dtype(), l.b, l.h, l.t));
        runForward(l, qkv, qkv, qkv, r.out(), r.lse());
        return r;
    }

    /** As {@link #forwardFused}, writing the output {@code [B, T, C]} and the log-sum-exp {@code [B, H, T]} into {@code into}'s tensors. */
    public static void forwardFusedInto(Tensor qkv, int heads, Result into) {
        String where = "Attention.forwardFused";
        Layout l = fusedLayout(where, qkv, heads);
        checkDtypes(where, qkv, into.out(), into.lse());
        if (into.out().rank() != 3 || into.out().dim(0) != l.b || into.out().dim(1) != l.t || into.out().dim(2) != l.c()) {
            throw new IllegalArgumentException(where + ": out must be [" + l.b + ", " + l.t + ", " + l.c() + "], got "
                    + Tensor.shapeString(into.out().shape()));
        }
        if (into.lse().rank() != 3 || into.lse().dim(0) != l.b || into.lse().dim(1) != l.h || into.lse().dim(2) != l.t) {
            throw new IllegalArgumentException(where + ": lse must be [" + l.b + ", " + l.h + ", " + l.t + "], got "
                    + Tensor.shapeString(into.lse().shape()));
        }
        runForward(l, qkv, qkv, qkv, into.out(), into.lse());
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

    /** As {@link #backwardFused}, writing (not adding) the gradient into {@code dqkv}, shaped like {@code qkv}. */
    public static void backwardFusedInto(Tensor qkv, int heads, Tensor out, Tensor lse, Tensor dOut, Tensor dqkv) {
        String where = "Attention.backwardFused";
        Layout l = fusedLayout(where, qkv, heads);
        checkSaved(where, l, qkv, out, lse, dOut, out.shapeArray());
        if (out.rank() != 3 || out.dim(0) != l.b || out.dim(1) != l.t || out.dim(2) != l.c()) {
            throw new IllegalArgumentException(where + ": out must be [" + l.b + ", " + l.t + ", " + l.c() + "], got " + Tensor.shapeString(out.shape()));
        }
        checkDtypes(where, qkv, dqkv);
        if (!dqkv.sameShape(qkv)) {
            throw new IllegalArgumentException(where + ": dqkv must be " + Tensor.shapeString(qkv.shape()) + ", got " + Tensor.shapeString(dqkv.shape()));
        }
        // Key and value gradients are sums over query blocks, added into their rows.
        if (dqkv.dtype() == DType.F64) Arrays.fill(dqkv.doubles(), 0, dqkv.size(), 0.0);
        else Arrays.fill(dqkv.data(), 0, dqkv.size(), 0f);
        runBackward(l, qkv, qkv, qkv, out, lse, dOut, dqkv, dqkv, dqkv);
    }

    /**
     * Causal attention of new positions against a key-value cache, from their fused projections: {@code qkv [B, T, 3C]}
     * holds q, k and v of {@code T} new positions (heads side by side, as {@link #forwardFused} reads them), at positions
     * {@code positions [T]} (int64, consecutive). Their keys and values are written into {@code kCache, vCache
     * [B, H, Tmax, hd]} at those positions, and the query at position {@code p} attends to positions {@code 0..p}.
     * Returns {@code [B, T, C]}: {@code T} the prompt's length fills the cache in one call, {@code T = 1} decodes a token.
     */
    public static Tensor forwardCached(Tensor qkv, Tensor kCache, Tensor vCache, Tensor positions, int heads) {
        String where = "Attention.forwardCached";
        checkDtypes(where, qkv, kCache, vCache);
        int[] s = qkv.shape(), ks = kCache.shape();
        if (heads < 1 || s.length != 3 || s[2] % (3 * heads) != 0) {
            throw new IllegalArgumentException(where + ": qkv must be [B, T, 3 x " + heads + " heads x head size], got " + Tensor.shapeString(s));
        }
        int b = s[0], t = s[1], c = s[2] / 3, hd = c / heads;
        if (ks.length != 4 || ks[0] != b || ks[1] != heads || ks[3] != hd || !kCache.sameShape(vCache)) {
            throw new IllegalArgumentException(where + ": kCache " + Tensor.shapeString(ks) + " and vCache " + Tensor.shapeString(vCache.shape())
                    + " must both be [" + b + ", " + heads + ", Tmax, " + hd + "]");
        }
        if (positions.dtype() != DType.I64 || positions.rank() != 1 || positions.dim(0) != t) throw new IllegalArgumentException(where
                + ": positions must be int64 [" + t + "], got " + positions.dtype().safetensorsName() + " " + Tensor.shapeString(positions.shape()));
        int tmax = ks[2];
        long[] pos = positions.longs();
        long first = t == 0 ? 0 : pos[0];
        for (int i = 0; i < t; i++) {
            if (pos[i] != first + i) throw new IllegalArgumentException(where + ": positions must be consecutive, got " + pos[i] + " after " + (first + i - 1));
        }
        if (first < 0 || first + t > tmax) throw new IllegalArgumentException(where + ": positions " + first + ".." + (first + t - 1)
                + " are outside the cache's 0.." + (tmax - 1));
        boolean f64 = qkv.dtype() == DType.F64;
        for (int bi = 0; bi < b; bi++) {
            for (int i = 0; i < t; i++) {
                for (int h = 0; h < heads; h++) {
                    int src = (bi * t + i) * 3 * c + h * hd, cache = (int) (((long) (bi * heads + h) * tmax + first + i) * hd);
                    if (f64) {
                        System.arraycopy(qkv.doubles(), src + c, kCache.doubles(), cache, hd);
                        System.arraycopy(qkv.doubles(), src + 2 * c, vCache.doubles(), cache, hd);
                    } else {
                        System.arraycopy(qkv.data(), src + c, kCache.data(), cache, hd);
                        System.arraycopy(qkv.data(), src + 2 * c, vCache.data(), cache, hd);
                    }
                }
            }
        }
        Tensor out = Tensor.zeros(qkv.dtype(), b, t, c), q = Tensor.zeros(qkv.dtype(), b, heads, 1, hd);
        for (int i = 0; i < t; i++) {
            // Query row i as [B, H, 1, hd]; its answer is [B, 1, C] with the heads side by side, row i of the output.
            for (int bi = 0; bi < b; bi++) {
                int src = (bi * t + i) * 3 * c;
                if (f64) System.arraycopy(qkv.doubles(), src, q.doubles(), bi * c, c);
                else System.arraycopy(qkv.data(), src, q.data(), bi * c, c);
            }
            Tensor row = attendCached(q, kCache, vCache, (int) first + i + 1);
            for (int bi = 0; bi < b; bi++) {
                if (f64) System.arraycopy(row.doubles(), bi * c, out.doubles(), (bi * t + i) * c, c);
                else System.arraycopy(row.data(), bi * c, out.data(), (bi * t + i) * c, c);
            }
        }
        return out;
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

    private static void checkDtypes(String where, Tensor first) { Norms.checkFloat(where, "q", first); }

    private static void checkDtypes(String where, Tensor first, Tensor second) {
        checkDtypes(where, first);
        sameDtype(where, first, second);
    }

    private static void checkDtypes(String where, Tensor first, Tensor second, Tensor third) {
        checkDtypes(where, first, second);
        sameDtype(where, first, third);
    }

    private static void checkDtypes(String where, Tensor first, Tensor second, Tensor third, Tensor fourth) {
        checkDtypes(where, first, second, third);
        sameDtype(where, first, fourth);
    }

    /** Fixed arities rather than varargs: a check made every training step allocates no array. */
    private static void sameDtype(String where, Tensor first, Tensor t) {
        if (t == null) throw new IllegalArgumentException(where + ": an input is null");
        if (t.dtype() != first.dtype()) {
            throw new IllegalArgumentException(where + ": inputs mix " + first.dtype().safetensorsName() + " and " + t.dtype().safetensorsName());
        }
    }

    private static Layout splitLayout(String where, Tensor q, Tensor k, Tensor v) {
        checkDtypes(where, q, k, v);
        if (q.rank() != 4 || !q.sameShape(k) || !q.sameShape(v)) {
            throw new IllegalArgumentException(where + ": q " + Tensor.shapeString(q.shape()) + ", k " + Tensor.shapeString(k.shape()) + " and v "
                    + Tensor.shapeString(v.shape()) + " must all be the same [B, H, T, hd]");
        }
        if (q.dim(3) == 0) throw new IllegalArgumentException(where + ": head size is 0 in " + Tensor.shapeString(q.shape()));
        return Layout.of(q.dim(0), q.dim(1), q.dim(2), q.dim(3), false);
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
        return Layout.of(qkv.dim(0), heads, qkv.dim(1), c / heads, true);
    }

    private static void checkSaved(String where, Layout l, Tensor x, Tensor out, Tensor lse, Tensor dOut, int[] outShape) {
        checkDtypes(where, x, out, lse, dOut);
        if (!Arrays.equals(out.shapeArray(), outShape) || !Arrays.equals(dOut.shapeArray(), outShape)) {
            throw new IllegalArgumentException(where + ": out " + Tensor.shapeString(out.shape()) + " and dOut " + Tensor.shapeString(dOut.shape())
                    + " must both be " + Tensor.shapeString(outShape));
        }
        if (lse.rank() != 3 || lse.dim(0) != l.b || lse.dim(1) != l.h || lse.dim(2) != l.t) {
            throw new IllegalArgumentException(where + ": lse must be [" + l.b + ", " + l.h + ", " + l.t + "], got " + Tensor.shapeString(lse.shape()));
        }
    }

    // ---------------------------------------------------------------- drivers

    private static void runForward(Layout l, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse) {
        double scale = 1 / Math.sqrt(l.hd);
        int tp = transposedStride(l.t);
        Parallel.forRange(l.b * l.h, l.pairGrain(), (from, to) -> {
            if (q.dtype() == DType.F64) {
                double[] s = new double[BK64], acc = new double[l.hd];
                for (int p = from; p < to; p++) {
                    int bi = p / l.h, hi = p % l.h;
                    forwardHeadF64(l, q.doubles(), l.q(bi, hi), k.doubles(), l.k(bi, hi), v.doubles(), l.v(bi, hi),
                            out.doubles(), l.o(bi, hi), lse.doubles(), l.lse(bi, hi), scale, s, acc);
                }
            } else {
                HeadBuffers sc = HeadBuffers.forThread(l.t, l.hd, tp);
                for (int p = from; p < to; p++) {
                    int bi = p / l.h, hi = p % l.h;
                    transposeRows(k.data(), l.k(bi, hi), l.ld(), l.t, l.hd, sc.kt, tp);
                    packRows(v.data(), l.v(bi, hi), l.ld(), l.t, l.hd, sc.vc);
                    forwardHeadF32(l, q.data(), l.q(bi, hi), sc.kt, tp, sc.vc, 0, out.data(), l.o(bi, hi),
                            lse.data(), l.lse(bi, hi), (float) scale, sc);
                }
            }
        });
    }

    private static void runBackward(Layout l, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dOut,
                                    Tensor dq, Tensor dk, Tensor dv) {
        double scale = 1 / Math.sqrt(l.hd);
        int tp = transposedStride(l.t);
        Parallel.forRange(l.b * l.h, l.pairGrain(), (from, to) -> {
            if (q.dtype() == DType.F64) {
                double[] p = new double[BK64], ds = new double[BK64];
                for (int pair = from; pair < to; pair++) {
                    int bi = pair / l.h, hi = pair % l.h;
                    backwardHeadF64(l, bi, hi, q.doubles(), k.doubles(), v.doubles(), out.doubles(), lse.doubles(), dOut.doubles(),
                            dq.doubles(), dk.doubles(), dv.doubles(), scale, p, ds);
                }
            } else {
                HeadBuffers sc = HeadBuffers.forThread(l.t, l.hd, tp);
                for (int pair = from; pair < to; pair++) {
                    int bi = pair / l.h, hi = pair % l.h;
                    transposeRows(k.data(), l.k(bi, hi), l.ld(), l.t, l.hd, sc.kt, tp);
                    transposeRows(v.data(), l.v(bi, hi), l.ld(), l.t, l.hd, sc.vt, tp);
                    packRows(k.data(), l.k(bi, hi), l.ld(), l.t, l.hd, sc.kc);
                    backwardHeadF32(l, bi, hi, q.data(), out.data(), lse.data(), dOut.data(), dq.data(), dk.data(), dv.data(),
                            (float) scale, sc);
                }
            }
        });
    }

    /**
     * Per-thread buffers of the F32 forward and backward, kept for the next call of the same sequence length and head
     * size (a training step calls every layer with the same shapes), so that a step allocates nothing.
     */
    private static final class HeadBuffers {
        private static final ThreadLocal<HeadBuffers> KEPT = new ThreadLocal<>();
        final float[] kt, vt, vc, kc, p = new float[ROWS * BK], ds = new float[ROWS * BK], s = new float[ROWS * BK], acc, qs, g, dqa, dkAcc, dvAcc;
        /** Per query row of a block: the running maximum and sum (forward), log-sum-exp and dO·O (backward). */
        final float[] rowMax = new float[ROWS], rowSum = new float[ROWS];
        /** The block's rows, each added into one vector, for their lane sums together (VectorMath.sumsInto). */
        final float[] rowVectors = new float[VectorMath.groupedLength(ROWS, V)];
        final int t, hd, tp;

        /** This thread's buffers for {@code t} positions of head size {@code hd}; the columns of kt and vt past t are zero. */
        static HeadBuffers forThread(int t, int hd, int tp) {
            HeadBuffers b = KEPT.get();
            if (b == null || b.t != t || b.hd != hd || b.tp != tp) KEPT.set(b = new HeadBuffers(t, hd, tp));
            return b;
        }

        private HeadBuffers(int t, int hd, int tp) {
            this.t = t;
            this.hd = hd;
            this.tp = tp;
            kt = new float[hd * tp];
            vt = new float[hd * tp];
            vc = new float[t * hd];
            acc = new float[ROWS * hd];
            // dk and dv gather contributions from every later query row: contiguous [T, hd] buffers keep
            // that read-modify-write traffic in cache, whatever the row stride of the destination.
            dkAcc = new float[t * hd];
            kc = new float[t * hd];
            dvAcc = new float[t * hd];
            qs = new float[ROWS * hd];
            g = new float[ROWS * hd];
            dqa = new float[ROWS * hd];
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

    /**
     * Copies one head's rows into a contiguous {@code [t, hd]} buffer. Read in place, rows of the fused
     * layout lie {@code 3C} floats apart, a stride that maps a block's rows onto a few cache sets.
     */
    private static void packRows(float[] x, int off, int ld, int t, int hd, float[] dst) {
        for (int j = 0; j < t; j++) System.arraycopy(x, off + j * ld, dst, j * hd, hd);
    }

    private static void forwardHeadF32(Layout l, float[] q, int qOff, float[] kt, int tp, float[] v, int vOff, float[] o, int oOff,
                                       float[] lse, int lseOff, float scale, HeadBuffers sc) {
        float[] s = sc.s, acc = sc.acc, qs = sc.qs;
        int hd = l.hd, ld = l.ld(), ldo = l.ldo(), t = l.t;
        float[] m = sc.rowMax, sum = sc.rowSum;
        for (int i0 = 0; i0 < t; i0 += ROWS) {
            // Rows past T repeat the last row so the block stays full; their results are not stored.
            for (int r = 0; r < ROWS; r++) {
                int row = Math.min(i0 + r, t - 1);
                for (int d = 0; d < hd; d++) qs[r * hd + d] = q[qOff + row * ld + d] * scale;
                m[r] = Float.NEGATIVE_INFINITY;
                sum[r] = 0f;
            }
            Arrays.fill(acc, 0f);
            int nk = Math.min(i0 + ROWS, t);
            for (int j0 = 0; j0 < nk; j0 += BK) {
                int jn = Math.min(BK, nk - j0);
                blockDots4(qs, kt, tp, j0, hd, s);
                for (int r = 0; r < ROWS; r++) {
                    // j0 <= i0 (both step in multiples of ROWS), so every row keeps at least one key here.
                    int valid = Math.min(BK, Math.min(i0 + r, t - 1) + 1 - j0), sr = r * BK;
                    for (int jj = valid; jj < BK; jj++) s[sr + jj] = Float.NEGATIVE_INFINITY; // causal mask, padding
                    float bm = FloatVector.fromArray(S, s, sr).max(FloatVector.fromArray(S, s, sr + V))
                            .max(FloatVector.fromArray(S, s, sr + 2 * V).max(FloatVector.fromArray(S, s, sr + 3 * V)))
                            .reduceLanes(VectorOperators.MAX);
                    if (bm > m[r]) {
                        float corr = (float) Math.exp(m[r] - bm);
                        sum[r] *= corr;
                        for (int d = 0; d < hd; d++) acc[r * hd + d] *= corr;
                        m[r] = bm;
                    }
                    for (int c = 0; c < BK; c += V) FloatVector.fromArray(S, s, sr + c).sub(m[r]).intoArray(s, sr + c);
                }
                // the exponentials of all the block's rows in one call (masked scores are -inf, so 0)
                VectorMath.expInto(s, 0, 1f, 0f, s, 0, ROWS * BK);
                float[] rv = sc.rowVectors;
                for (int r = 0; r < ROWS; r++) {
                    int valid = Math.min(BK, Math.min(i0 + r, t - 1) + 1 - j0), sr = r * BK;
                    for (int jj = valid; jj < BK; jj++) s[sr + jj] = 0f;
                    // the row's vectors added in index order, as VectorMath.sumOf adds them: the same bits, with the
                    // four rows' lane sums folded together (one sumOf per row: 588-651 against 531-543 µs at T=128)
                    FloatVector.fromArray(S, s, sr).add(FloatVector.fromArray(S, s, sr + V)).add(FloatVector.fromArray(S, s, sr + 2 * V))
                            .add(FloatVector.fromArray(S, s, sr + 3 * V)).intoArray(rv, r * V);
                }
                VectorMath.sumsInto(rv, 0, ROWS);
                for (int r = 0; r < ROWS; r++) sum[r] += rv[r];
                accumulateRows4(s, jn, v, vOff + j0 * hd, hd, acc, hd);
            }
            for (int r = 0; r < ROWS && i0 + r < t; r++) {
                float inv = 1f / sum[r];
                int dst = oOff + (i0 + r) * ldo;
                for (int d = 0; d < hd; d++) o[dst + d] = acc[r * hd + d] * inv;
                lse[lseOff + i0 + r] = m[r] + (float) Math.log(sum[r]);
            }
        }
    }

    /**
     * {@code s[r * BK + jj] = sum_d a[r * hd + d] * xt[d * tp + j0 + jj]} for the {@link #ROWS} rows and one block
     * of {@link #BK} keys: vectorized over keys, sixteen independent FMA chains, each key vector loaded once for
     * all rows.
     */
    private static void blockDots4(float[] a, float[] xt, int tp, int j0, int hd, float[] s) {
        FloatVector z = FloatVector.zero(S);
        FloatVector s00 = z, s01 = z, s02 = z, s03 = z, s10 = z, s11 = z, s12 = z, s13 = z;
        FloatVector s20 = z, s21 = z, s22 = z, s23 = z, s30 = z, s31 = z, s32 = z, s33 = z;
        for (int d = 0; d < hd; d++) {
            int r = d * tp + j0;
            FloatVector k0 = FloatVector.fromArray(S, xt, r), k1 = FloatVector.fromArray(S, xt, r + V),
                    k2 = FloatVector.fromArray(S, xt, r + 2 * V), k3 = FloatVector.fromArray(S, xt, r + 3 * V);
            FloatVector a0 = FloatVector.broadcast(S, a[d]);
            s00 = k0.fma(a0, s00); s01 = k1.fma(a0, s01); s02 = k2.fma(a0, s02); s03 = k3.fma(a0, s03);
            FloatVector a1 = FloatVector.broadcast(S, a[hd + d]);
            s10 = k0.fma(a1, s10); s11 = k1.fma(a1, s11); s12 = k2.fma(a1, s12); s13 = k3.fma(a1, s13);
            FloatVector a2 = FloatVector.broadcast(S, a[2 * hd + d]);
            s20 = k0.fma(a2, s20); s21 = k1.fma(a2, s21); s22 = k2.fma(a2, s22); s23 = k3.fma(a2, s23);
            FloatVector a3 = FloatVector.broadcast(S, a[3 * hd + d]);
            s30 = k0.fma(a3, s30); s31 = k1.fma(a3, s31); s32 = k2.fma(a3, s32); s33 = k3.fma(a3, s33);
        }
        s00.intoArray(s, 0); s01.intoArray(s, V); s02.intoArray(s, 2 * V); s03.intoArray(s, 3 * V);
        s10.intoArray(s, BK); s11.intoArray(s, BK + V); s12.intoArray(s, BK + 2 * V); s13.intoArray(s, BK + 3 * V);
        s20.intoArray(s, 2 * BK); s21.intoArray(s, 2 * BK + V); s22.intoArray(s, 2 * BK + 2 * V); s23.intoArray(s, 2 * BK + 3 * V);
        s30.intoArray(s, 3 * BK); s31.intoArray(s, 3 * BK + V); s32.intoArray(s, 3 * BK + 2 * V); s33.intoArray(s, 3 * BK + 3 * V);
    }

    /**
     * {@code acc[r * hd + d] += sum_{jj < n} w[r * BK + jj] * x[off + jj * ld + d]} for the {@link #ROWS} rows:
     * each loaded value vector feeds four rows. The last {@code hd % V} columns go through {@link #accumulateRows}.
     */
    private static void accumulateRows4(float[] w, int n, float[] x, int off, int ld, float[] acc, int hd) {
        int bound = S.loopBound(hd), d = 0;
        for (; d + 2 * V <= bound; d += 2 * V) {
            FloatVector a00 = FloatVector.fromArray(S, acc, d), a01 = FloatVector.fromArray(S, acc, d + V);
            FloatVector a10 = FloatVector.fromArray(S, acc, hd + d), a11 = FloatVector.fromArray(S, acc, hd + d + V);
            FloatVector a20 = FloatVector.fromArray(S, acc, 2 * hd + d), a21 = FloatVector.fromArray(S, acc, 2 * hd + d + V);
            FloatVector a30 = FloatVector.fromArray(S, acc, 3 * hd + d), a31 = FloatVector.fromArray(S, acc, 3 * hd + d + V);
            for (int jj = 0, r = off + d; jj < n; jj++, r += ld) {
                FloatVector x0 = FloatVector.fromArray(S, x, r), x1 = FloatVector.fromArray(S, x, r + V);
                FloatVector w0 = FloatVector.broadcast(S, w[jj]);
                a00 = x0.fma(w0, a00); a01 = x1.fma(w0, a01);
                FloatVector w1 = FloatVector.broadcast(S, w[BK + jj]);
                a10 = x0.fma(w1, a10); a11 = x1.fma(w1, a11);
                FloatVector w2 = FloatVector.broadcast(S, w[2 * BK + jj]);
                a20 = x0.fma(w2, a20); a21 = x1.fma(w2, a21);
                FloatVector w3 = FloatVector.broadcast(S, w[3 * BK + jj]);
                a30 = x0.fma(w3, a30); a31 = x1.fma(w3, a31);
            }
            a00.intoArray(acc, d); a01.intoArray(acc, d + V);
            a10.intoArray(acc, hd + d); a11.intoArray(acc, hd + d + V);
            a20.intoArray(acc, 2 * hd + d); a21.intoArray(acc, 2 * hd + d + V);
            a30.intoArray(acc, 3 * hd + d); a31.intoArray(acc, 3 * hd + d + V);
        }
        if (d < hd) for (int r = 0; r < ROWS; r++) accumulateRows(w, r * BK, n, x, off, ld, acc, r * hd, hd, d);
    }

    /**
     * {@code acc[accOff + d] += sum_{jj < n} w[wOff + jj] * x[off + jj * ld + d]} for {@code d} from {@code dFrom};
     * two keys at a time, so two FMA chains per vector are in flight.
     */
    private static void accumulateRows(float[] w, int wOff, int n, float[] x, int off, int ld, float[] acc, int accOff, int hd, int dFrom) {
        int bound = S.loopBound(hd), d = dFrom;
        for (; d < bound; d += V) {
            FloatVector a0 = FloatVector.fromArray(S, acc, accOff + d), a1 = FloatVector.zero(S);
            int jj = 0, r = off + d;
            for (; jj + 1 < n; jj += 2, r += 2 * ld) {
                a0 = FloatVector.fromArray(S, x, r).fma(FloatVector.broadcast(S, w[wOff + jj]), a0);
                a1 = FloatVector.fromArray(S, x, r + ld).fma(FloatVector.broadcast(S, w[wOff + jj + 1]), a1);
            }
            if (jj < n) a0 = FloatVector.fromArray(S, x, r).fma(FloatVector.broadcast(S, w[wOff + jj]), a0);
            a0.add(a1).intoArray(acc, accOff + d);
        }
        for (; d < hd; d++) {
            float a = acc[accOff + d];
            for (int jj = 0; jj < n; jj++) a += w[wOff + jj] * x[off + jj * ld + d];
            acc[accOff + d] = a;
        }
    }

    /**
     * Backward for one (batch, head) pair, {@link #ROWS} query rows at a time: recomputes each key block's
     * probabilities {@code p = exp(s - lse)}, forms {@code ds = p * (dO . v - dO . o)} and adds
     * {@code p * dO} into dv, {@code ds * q * scale} into dk and {@code ds * k} into dq.
     */
    private static void backwardHeadF32(Layout l, int bi, int hi, float[] q, float[] o, float[] lse, float[] dO,
                                        float[] dq, float[] dk, float[] dv, float scale, HeadBuffers sc) {
        int hd = l.hd, ld = l.ld(), ldo = l.ldo(), tp = sc.tp, t = l.t;
        int qOff = l.q(bi, hi), kOff = l.k(bi, hi), vOff = l.v(bi, hi), oOff = l.o(bi, hi), lseOff = l.lse(bi, hi);
        float[] qs = sc.qs, g = sc.g, dqa = sc.dqa, p = sc.p, ds = sc.ds, dkA = sc.dkAcc, dvA = sc.dvAcc, kc = sc.kc;
        float[] li = sc.rowMax, di = sc.rowSum;
        int bound = S.loopBound(hd);
        Arrays.fill(dkA, 0f);
        Arrays.fill(dvA, 0f);
        for (int i0 = 0; i0 < t; i0 += ROWS) {
            for (int r = 0; r < ROWS; r++) {
                int row = Math.min(i0 + r, t - 1), qr = qOff + row * ld, orow = oOff + row * ldo;
                float dot = 0f;
                for (int d = 0; d < hd; d++) {
                    qs[r * hd + d] = q[qr + d] * scale;
                    g[r * hd + d] = dO[orow + d];
                    dot += dO[orow + d] * o[orow + d];
                }
                di[r] = dot;
                li[r] = lse[lseOff + row];
            }
            Arrays.fill(dqa, 0f);
            int nk = Math.min(i0 + ROWS, t);
            for (int j0 = 0; j0 < nk; j0 += BK) {
                int jn = Math.min(BK, nk - j0);
                blockDots4(qs, sc.kt, tp, j0, hd, p);
                blockDots4(g, sc.vt, tp, j0, hd, ds);
                for (int r = 0; r < ROWS; r++) {
                    for (int c = 0; c < BK; c += V) FloatVector.fromArray(S, p, r * BK + c).sub(li[r]).intoArray(p, r * BK + c);
                }
                VectorMath.expInto(p, 0, 1f, 0f, p, 0, ROWS * BK); // all the block's rows in one call
                for (int r = 0; r < ROWS; r++) {
                    int sr = r * BK, valid = i0 + r < t ? Math.min(BK, i0 + r + 1 - j0) : 0; // rows past T add nothing
                    for (int c = 0; c < BK; c += V) {
                        FloatVector.fromArray(S, p, sr + c).mul(FloatVector.fromArray(S, ds, sr + c).sub(di[r])).intoArray(ds, sr + c);
                    }
                    for (int jj = Math.max(0, valid); jj < BK; jj++) { p[sr + jj] = 0f; ds[sr + jj] = 0f; }
                }
                int d = 0;
                for (; d < bound; d += V) {
                    FloatVector g0 = FloatVector.fromArray(S, g, d), g1 = FloatVector.fromArray(S, g, hd + d),
                            g2 = FloatVector.fromArray(S, g, 2 * hd + d), g3 = FloatVector.fromArray(S, g, 3 * hd + d);
                    FloatVector q0 = FloatVector.fromArray(S, qs, d), q1 = FloatVector.fromArray(S, qs, hd + d),
                            q2 = FloatVector.fromArray(S, qs, 2 * hd + d), q3 = FloatVector.fromArray(S, qs, 3 * hd + d);
                    FloatVector a0 = FloatVector.fromArray(S, dqa, d), a1 = FloatVector.fromArray(S, dqa, hd + d),
                            a2 = FloatVector.fromArray(S, dqa, 2 * hd + d), a3 = FloatVector.fromArray(S, dqa, 3 * hd + d);
                    for (int jj = 0, a = j0 * hd + d; jj < jn; jj++, a += hd) {
                        FloatVector p0 = FloatVector.broadcast(S, p[jj]), p1 = FloatVector.broadcast(S, p[BK + jj]),
                                p2 = FloatVector.broadcast(S, p[2 * BK + jj]), p3 = FloatVector.broadcast(S, p[3 * BK + jj]);
                        g0.fma(p0, g1.fma(p1, g2.fma(p2, g3.fma(p3, FloatVector.fromArray(S, dvA, a))))).intoArray(dvA, a);
                        FloatVector s0 = FloatVector.broadcast(S, ds[jj]), s1 = FloatVector.broadcast(S, ds[BK + jj]),
                                s2 = FloatVector.broadcast(S, ds[2 * BK + jj]), s3 = FloatVector.broadcast(S, ds[3 * BK + jj]);
                        q0.fma(s0, q1.fma(s1, q2.fma(s2, q3.fma(s3, FloatVector.fromArray(S, dkA, a))))).intoArray(dkA, a);
                        FloatVector kv = FloatVector.fromArray(S, kc, a);
                        a0 = kv.fma(s0, a0);
                        a1 = kv.fma(s1, a1);
                        a2 = kv.fma(s2, a2);
                        a3 = kv.fma(s3, a3);
                    }
                    a0.intoArray(dqa, d);
                    a1.intoArray(dqa, hd + d);
                    a2.intoArray(dqa, 2 * hd + d);
                    a3.intoArray(dqa, 3 * hd + d);
                }
                for (; d < hd; d++) {
                    for (int jj = 0, c = j0 * hd + d; jj < jn; jj++, c += hd) {
                        for (int r = 0; r < ROWS; r++) {
                            dvA[c] += p[r * BK + jj] * g[r * hd + d];
                            dkA[c] += ds[r * BK + jj] * qs[r * hd + d];
                            dqa[r * hd + d] += ds[r * BK + jj] * kc[c];
                        }
                    }
                }
            }
            for (int r = 0; r < ROWS && i0 + r < t; r++) {
                int qr = qOff + (i0 + r) * ld;
                for (int d = 0; d < hd; d++) dq[qr + d] = dqa[r * hd + d] * scale;
            }
        }
        for (int j = 0; j < t; j++) {
            System.arraycopy(dkA, j * hd, dk, kOff + j * ld, hd);
            System.arraycopy(dvA, j * hd, dv, vOff + j * ld, hd);
        }
    }

    private static void decodeF32(float[] q, int qOff, float[] k, float[] v, int cOff, float[] out, int n, int hd, float scale,
                                  float[] s, float[] acc) {
        float m = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            s[j] = VectorMath.dotOf(q, qOff, k, cOff + j * hd, hd) * scale;
            m = Math.max(m, s[j]);
        }
        float sum = 0f;
        for (int j = 0; j < n; j++) {
            s[j] = (float) Math.exp(s[j] - m);
            sum += s[j];
        }
        Arrays.fill(acc, 0f);
        accumulateRows(s, 0, n, v, cOff, hd, acc, 0, hd, 0);
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

    /**
     * Row stride of transposed keys/values: whole blocks, plus one vector so that consecutive rows do not
     * fall on the same cache sets (a power-of-two stride such as 1024 floats would make every row of a
     * block evict the others).
     */
    private static int transposedStride(int t) { return Math.max(BK, (t + BK - 1) / BK * BK) + V; }
}
