package dev.mithril.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Numerically stable softmax along one axis: {@code exp(x - max) / sum(exp(x - max))}. */
final class Softmax {
    private static final VectorSpecies<Float> S = Activations.S;
    private static final int V = Activations.V;

    private Softmax() {}

    static void apply(Tensor x, int axis, Tensor out) {
        int[] s = x.shape();
        if (s.length == 0) throw new IllegalArgumentException("Kernels.softmax: cannot take softmax of a rank-0 tensor");
        int ax = Tensor.normalizeAxis("Kernels.softmax", axis, s.length);
        if (!x.sameShape(out)) {
            throw new IllegalArgumentException("Kernels.softmax: out has shape " + Tensor.shapeString(out.shape())
                    + " but x has shape " + Tensor.shapeString(s));
        }
        Kernels.checkOutDtype("Kernels.softmax", Kernels.floatDtype("Kernels.softmax", x), out);
        if (x.size() == 0) return;
        int len = s[ax], inner = 1;
        for (int i = ax + 1; i < s.length; i++) inner *= s[i];
        int outer = x.size() / (len * inner);
        if (x.dtype() == DType.F64) {
            double[] a = x.doubles(), o = out.doubles();
            final int in = inner;
            Parallel.forRange(outer, Math.max(1, 8192 / (len * inner)), (from, to) -> {
                for (int r = from; r < to; r++) for (int i = 0; i < in; i++) strided(a, o, r * len * in + i, len, in);
            });
            return;
        }
        float[] a = x.data(), o = out.data();
        final int in = inner;
        if (inner == 1) {
            Parallel.forRange(outer, Math.max(1, 8192 / len), (from, to) -> {
                for (int r = from; r < to; r++) row(a, o, r * len, len);
            });
        } else {
            Parallel.forRange(outer, Math.max(1, 8192 / (len * inner)), (from, to) -> {
                float[] m = new float[in], sum = new float[in];
                for (int r = from; r < to; r++) strided(a, o, r * len * in, len, in, m, sum);
            });
        }
    }

    private static void row(float[] a, float[] o, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        int i = 0, bound = S.loopBound(n);
        if (bound > 0) {
            FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i < bound; i += V) mv = mv.max(FloatVector.fromArray(S, a, off + i));
            max = mv.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) max = Math.max(max, a[off + i]);
        VectorMath.expInto(a, off, 1f, max, o, off, n);
        float inv = 1f / VectorMath.sumOf(o, off, n);
        for (i = 0; i < bound; i += V) FloatVector.fromArray(S, o, off + i).mul(inv).intoArray(o, off + i);
        for (; i < n; i++) o[off + i] *= inv;
    }

    /** Softmax over {@code len} slices of {@code inner} contiguous values each; vectorized across the inner index. */
    private static void strided(float[] a, float[] o, int off, int len, int inner, float[] m, float[] sum) {
        java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(sum, 0f);
        for (int j = 0; j < len; j++) {
            int b = off + j * inner;
            for (int i = 0; i < inner; i++) m[i] = Math.max(m[i], a[b + i]);
        }
        int bound = S.loopBound(inner);
        for (int j = 0; j < len; j++) {
            int b = off + j * inner;
            int i = 0;
            for (; i < bound; i += V) FloatVector.fromArray(S, a, b + i).sub(FloatVector.fromArray(S, m, i)).intoArray(o, b + i);
            for (; i < inner; i++) o[b + i] = a[b + i] - m[i];
            VectorMath.expInto(o, b, 1f, 0f, o, b, inner);
            for (i = 0; i < bound; i += V) FloatVector.fromArray(S, sum, i).add(FloatVector.fromArray(S, o, b + i)).intoArray(sum, i);
            for (; i < inner; i++) sum[i] += o[b + i];
        }
        for (int i = 0; i < inner; i++) sum[i] = 1f / sum[i];
        for (int j = 0; j < len; j++) {
            int b = off + j * inner;
            for (int i = 0; i < inner; i++) o[b + i] *= sum[i];
        }
    }

    /** F64 softmax of the {@code len} values {@code a[off + j * stride]}. */
    private static void strided(double[] a, double[] o, int off, int len, int stride) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) max = Math.max(max, a[off + j * stride]);
        double sum = 0;
        for (int j = 0; j < len; j++) {
            double e = Math.exp(a[off + j * stride] - max);
            o[off + j * stride] = e;
            sum += e;
        }
        double inv = 1 / sum;
        for (int j = 0; j < len; j++) o[off + j * stride] *= inv;
    }
}
