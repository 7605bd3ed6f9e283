package dev.mithril.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Log-softmax along one axis, {@code x - max - log(sum(exp(x - max)))}, its backward, and the backward of
 * softmax, for F32 and F64 tensors. The axis may be any axis: the tensor is viewed as
 * {@code [outer, len, inner]} and each of the {@code outer * inner} slices is one softmax.
 *
 * <pre>{@code
 * Tensor logp = LogSoftmax.apply(logits, -1);
 * Tensor dLogits = LogSoftmax.backward(dLogp, logp, -1);
 * }</pre>
 */
public final class LogSoftmax {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final int GRAIN = 1 << 13;

    private LogSoftmax() {}

    /** Log-softmax of {@code x} along {@code axis} (negative counts from the end). */
    public static Tensor apply(Tensor x, int axis) {
        Tensor out = Tensor.zeros(x.dtype(), x.shape());
        applyInto(x, axis, out);
        return out;
    }

    /** {@link #apply} into {@code out} (same shape and dtype; may be {@code x}). */
    public static void applyInto(Tensor x, int axis, Tensor out) {
        String where = "LogSoftmax.apply";
        Norms.checkFloat(where, "x", x);
        Norms.checkSame(where, "out", out, x);
        run(where, x, axis, (rowOff, len, inner) -> {
            if (x.dtype() == DType.F64) forwardF64(x.doubles(), out.doubles(), rowOff, len, inner);
            else if (inner == 1) forwardRowF32(x.data(), out.data(), rowOff, len);
            else forwardStridedF32(x.data(), out.data(), rowOff, len, inner);
        });
    }

    /** Gradient of log-softmax from its output {@code y}: {@code dx = dy - exp(y) * sum(dy)} along {@code axis}. */
    public static Tensor backward(Tensor dy, Tensor y, int axis) {
        return backwardOf("LogSoftmax.backward", dy, y, axis, true);
    }

    /** Gradient of softmax from its output {@code y}: {@code dx = y * (dy - sum(dy * y))} along {@code axis}. */
    public static Tensor softmaxBackward(Tensor dy, Tensor y, int axis) {
        return backwardOf("LogSoftmax.softmaxBackward", dy, y, axis, false);
    }

    private static Tensor backwardOf(String where, Tensor dy, Tensor y, int axis, boolean log) {
        Norms.checkFloat(where, "y", y);
        Norms.checkSame(where, "dy", dy, y);
        Tensor dx = Tensor.zeros(y.dtype(), y.shape());
        run(where, y, axis, (rowOff, len, inner) -> {
            if (y.dtype() == DType.F64) backwardF64(dy.doubles(), y.doubles(), dx.doubles(), rowOff, len, inner, log);
            else if (inner == 1 && log) logBackwardRowF32(dy.data(), y.data(), dx.data(), rowOff, len);
            else backwardF32(dy.data(), y.data(), dx.data(), rowOff, len, inner, log);
        });
        return dx;
    }

    @FunctionalInterface
    private interface Block {
        /** One outer block: {@code len * inner} values starting at {@code off}. */
        void run(int off, int len, int inner);
    }

    private static void run(String where, Tensor x, int axis, Block block) {
        int[] s = x.shape();
        if (s.length == 0) throw new IllegalArgumentException(where + ": needs at least one axis, got a rank-0 tensor");
        int ax = Tensor.normalizeAxis(where, axis, s.length);
        if (x.size() == 0) return;
        int len = s[ax], inner = 1;
        for (int i = ax + 1; i < s.length; i++) inner *= s[i];
        int outer = x.size() / (len * inner), in = inner;
        Parallel.forRange(outer, Math.max(1, GRAIN / (len * inner)), (from, to) -> {
            for (int r = from; r < to; r++) block.run(r * len * in, len, in);
        });
    }

    private static void forwardRowF32(float[] a, float[] o, int off, int n) {
        int i = 0, bound = S.loopBound(n);
        float max = Float.NEGATIVE_INFINITY;
        if (bound > 0) {
            FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i < bound; i += V) mv = mv.max(FloatVector.fromArray(S, a, off + i));
            max = mv.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) max = Math.max(max, a[off + i]);
        // the exponentials are written out and summed by VectorMath.sumOf, an array-level call that boxes nothing
        // whatever C2 inlines; through o, or a scratch row when o is a (in place)
        float[] e = o;
        int eOff = off;
        if (o == a) {
            e = Scratch.floats(Scratch.LOG_SOFTMAX_EXP, n);
            eOff = 0;
        }
        VectorMath.expInto(a, off, 1f, max, e, eOff, n);
        float sum = VectorMath.sumOf(e, eOff, n);
        // A row of -inf stays -inf - (-inf) = NaN, as in PyTorch; a finite max keeps everything finite.
        float shift = max + (float) Math.log(sum);
        for (i = 0; i < bound; i += V) FloatVector.fromArray(S, a, off + i).sub(shift).intoArray(o, off + i);
        for (; i < n; i++) o[off + i] = a[off + i] - shift;
    }

    private static void forwardStridedF32(float[] a, float[] o, int off, int len, int inner) {
        for (int c = 0; c < inner; c++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < len; j++) max = Math.max(max, a[off + j * inner + c]);
            double sum = 0;
            for (int j = 0; j < len; j++) sum += Math.exp(a[off + j * inner + c] - max);
            float shift = max + (float) Math.log(sum);
            for (int j = 0; j < len; j++) o[off + j * inner + c] = a[off + j * inner + c] - shift;
        }
    }

    private static void forwardF64(double[] a, double[] o, int off, int len, int inner) {
        for (int c = 0; c < inner; c++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < len; j++) max = Math.max(max, a[off + j * inner + c]);
            double sum = 0;
            for (int j = 0; j < len; j++) sum += Math.exp(a[off + j * inner + c] - max);
            double shift = max + Math.log(sum);
            for (int j = 0; j < len; j++) o[off + j * inner + c] = a[off + j * inner + c] - shift;
        }
    }

    private static void logBackwardRowF32(float[] g, float[] y, float[] dx, int off, int n) {
        int i = 0, bound = S.loopBound(n);
        float sum = VectorMath.sumOf(g, off, n);
        VectorMath.expInto(y, off, 1f, 0f, dx, off, n); // p = e^y, through dx (a fresh tensor)
        for (i = 0; i < bound; i += V) {
            FloatVector.fromArray(S, g, off + i).sub(FloatVector.fromArray(S, dx, off + i).mul(sum)).intoArray(dx, off + i);
        }
        for (; i < n; i++) dx[off + i] = g[off + i] - dx[off + i] * sum;
    }

    private static void backwardF32(float[] g, float[] y, float[] dx, int off, int len, int inner, boolean log) {
        for (int c = 0; c < inner; c++) {
            double sum = 0;
            for (int j = 0; j < len; j++) {
                int p = off + j * inner + c;
                sum += log ? g[p] : (double) g[p] * y[p];
            }
            float s = (float) sum;
            for (int j = 0; j < len; j++) {
                int p = off + j * inner + c;
                dx[p] = log ? g[p] - (float) Math.exp(y[p]) * s : y[p] * (g[p] - s);
            }
        }
    }

    private static void backwardF64(double[] g, double[] y, double[] dx, int off, int len, int inner, boolean log) {
        for (int c = 0; c < inner; c++) {
            double sum = 0;
            for (int j = 0; j < len; j++) {
                int p = off + j * inner + c;
                sum += log ? g[p] : g[p] * y[p];
            }
            for (int j = 0; j < len; j++) {
                int p = off + j * inner + c;
                dx[p] = log ? g[p] - Math.exp(y[p]) * sum : y[p] * (g[p] - sum);
            }
        }
    }
}
