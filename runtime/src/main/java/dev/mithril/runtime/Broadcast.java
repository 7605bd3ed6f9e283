package dev.mithril.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Broadcasting binary arithmetic. Shapes are reduced to the fewest dimensions that still describe the
 * access pattern (unit dims dropped, mergeable neighbours merged), so that the innermost loop is always one
 * of three contiguous cases: vector op vector, vector op scalar, scalar op vector.
 */
final class Broadcast {
    static final int ADD = 0, SUB = 1, MUL = 2, DIV = 3;
    private static final String[] WHERE = {"Kernels.add", "Kernels.sub", "Kernels.mul", "Kernels.div"};
    private static final VectorSpecies<Float> S = Activations.S;
    private static final int V = Activations.V;
    private static final int GRAIN = 1 << 14;

    private Broadcast() {}

    static int[] shape(String where, int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
            int db = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(where + ": shapes " + Tensor.shapeString(a) + " and "
                        + Tensor.shapeString(b) + " cannot be broadcast (axis " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    static void apply(int op, Tensor a, Tensor b, Tensor out) {
        String where = WHERE[op];
        if (a.sameShape(b) && a.sameShape(out)) {
            elementwise(op, where, a, b, out);
            return;
        }
        // One operand repeated along the leading axes of the other (a bias, a position table): row by row.
        int k = suffixSize(b.shapeArray(), a.shapeArray());
        if (k > 0 && a.sameShape(out)) {
            rows(op, where, a, b, out, k, false);
            return;
        }
        k = suffixSize(a.shapeArray(), b.shapeArray());
        if (k > 0 && b.sameShape(out)) {
            rows(op, where, a, b, out, k, true);
            return;
        }
        int[] os = shape(where, a.shape(), b.shape());
        if (!java.util.Arrays.equals(os, out.shape())) {
            throw new IllegalArgumentException(where + ": out has shape " + Tensor.shapeString(out.shape()) + " but "
                    + Tensor.shapeString(a.shape()) + " op " + Tensor.shapeString(b.shape()) + " gives " + Tensor.shapeString(os));
        }
        DType dt = Kernels.commonDtype(where, a, b);
        Kernels.checkOutDtype(where, dt, out);
        if (out.size() == 0) return;
        int r = os.length;
        long[] sa = expandStrides(a.shape(), os), sb = expandStrides(b.shape(), os);
        // Collapse from the innermost dimension outwards.
        int[] dims = new int[r];
        int[] stA = new int[r], stB = new int[r];
        int q = 0;
        for (int i = r - 1; i >= 0; i--) {
            if (os[i] == 1) continue;
            if (q > 0 && sa[i] == (long) stA[q - 1] * dims[q - 1] && sb[i] == (long) stB[q - 1] * dims[q - 1]) {
                dims[q - 1] *= os[i];
            } else {
                dims[q] = os[i];
                stA[q] = (int) sa[i];
                stB[q] = (int) sb[i];
                q++;
            }
        }
        if (dt == DType.F64) {
            applyF64(op, a.doubles(), b.doubles(), out.doubles(), dims, stA, stB, q, out.size());
            return;
        }
        float[] x = a.data(), y = b.data(), o = out.data();
        if (q == 0) {
            o[0] = scalar(op, x[0], y[0]);
            return;
        }
        // dims/strides are innermost-first here.
        int n = dims[0];
        int ia = stA[0], ib = stB[0];
        int rows = out.size() / n;
        final int qq = q;
        Parallel.forRange(rows, Math.max(1, GRAIN / n), (from, to) -> {
            for (int row = from; row < to; row++) {
                int rem = row, offA = 0, offB = 0;
                for (int d = 1; d < qq; d++) {
                    int idx = rem % dims[d];
                    rem /= dims[d];
                    offA += idx * stA[d];
                    offB += idx * stB[d];
                }
                int offO = row * n;
                if (ia == 1 && ib == 1) vv(op, x, offA, y, offB, o, offO, n);
                else if (ia == 1) vs(op, x, offA, y[offB], o, offO, n);
                else sv(op, x[offA], y, offB, o, offO, n);
            }
        });
    }

    /**
     * Operands and output of one shape (gradient accumulation, residual adds): one flat loop in blocks of
     * {@code GRAIN} elements, with none of the broadcast bookkeeping, so that the call allocates nothing.
     */
    private static void elementwise(int op, String where, Tensor a, Tensor b, Tensor out) {
        DType dt = Kernels.commonDtype(where, a, b);
        Kernels.checkOutDtype(where, dt, out);
        int size = out.size();
        int blocks = (size + GRAIN - 1) / GRAIN;
        if (dt == DType.F64) {
            double[] x = a.doubles(), y = b.doubles(), o = out.doubles();
            Parallel.forRange(blocks, 1, (from, to) -> {
                for (int i = from * GRAIN, end = Math.min(size, to * GRAIN); i < end; i++) o[i] = scalar(op, x[i], y[i]);
            });
        } else {
            float[] x = a.data(), y = b.data(), o = out.data();
            Parallel.forRange(blocks, 1, (from, to) -> vv(op, x, from * GRAIN, y, from * GRAIN, o, from * GRAIN, Math.min(size, to * GRAIN) - from * GRAIN));
        }
    }

    /**
     * {@code out = a op b} where the smaller operand ({@code b}, or {@code a} when {@code smallFirst}) holds
     * {@code k} elements and is repeated over each row of {@code k} elements of the other.
     */
    private static void rows(int op, String where, Tensor a, Tensor b, Tensor out, int k, boolean smallFirst) {
        DType dt = Kernels.commonDtype(where, a, b);
        Kernels.checkOutDtype(where, dt, out);
        int rows = out.size() / k;
        int grain = Math.max(1, GRAIN / k);
        if (dt == DType.F64) {
            double[] x = a.doubles(), y = b.doubles(), o = out.doubles();
            Parallel.forRange(rows, grain, (from, to) -> {
                for (int r = from; r < to; r++) {
                    for (int j = 0, off = r * k; j < k; j++) {
                        o[off + j] = smallFirst ? scalar(op, x[j], y[off + j]) : scalar(op, x[off + j], y[j]);
                    }
                }
            });
        } else {
            float[] x = a.data(), y = b.data(), o = out.data();
            Parallel.forRange(rows, grain, (from, to) -> {
                for (int r = from; r < to; r++) {
                    if (smallFirst) vv(op, x, 0, y, r * k, o, r * k, k);
                    else vv(op, x, r * k, y, 0, o, r * k, k);
                }
            });
        }
    }

    /**
     * The number of elements of {@code small} when it is {@code big}'s trailing dimensions with only ones before
     * them, i.e. {@code small} repeated over {@code big}'s leading axes gives {@code big}; 0 otherwise.
     */
    static int suffixSize(int[] small, int[] big) {
        int lead = 0;
        while (lead < small.length && small[lead] == 1) lead++;
        int k = small.length - lead;
        if (k > big.length || small.length > big.length) return 0;
        int n = 1;
        for (int i = 0; i < k; i++) {
            if (small[lead + i] != big[big.length - k + i]) return 0;
            n *= small[lead + i];
        }
        return n;
    }

    /** Strides of {@code s} (right-aligned) against the output shape; 0 where {@code s} is broadcast. */
    private static long[] expandStrides(int[] s, int[] out) { return expandStrides(s, out, 1); }

    /**
     * {@link #expandStrides(int[], int[])} in units of {@code unit} elements: the strides of a batch of matrices of
     * {@code unit} elements each, whose batch shape {@code s} broadcasts to {@code out}.
     */
    static long[] expandStrides(int[] s, int[] out, long unit) {
        long[] st = new long[out.length];
        long stride = unit;
        for (int i = out.length - 1; i >= 0; i--) {
            int j = i - (out.length - s.length);
            int d = j >= 0 ? s[j] : 1;
            st[i] = d == 1 ? 0 : stride;
            stride *= d;
        }
        return st;
    }

    static float scalar(int op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            default -> x / y;
        };
    }

    private static void vv(int op, float[] x, int xo, float[] y, int yo, float[] o, int oo, int n) {
        int i = 0, bound = S.loopBound(n);
        switch (op) {
            case ADD -> { for (; i < bound; i += V) FloatVector.fromArray(S, x, xo + i).add(FloatVector.fromArray(S, y, yo + i)).intoArray(o, oo + i); }
            case SUB -> { for (; i < bound; i += V) FloatVector.fromArray(S, x, xo + i).sub(FloatVector.fromArray(S, y, yo + i)).intoArray(o, oo + i); }
            case MUL -> { for (; i < bound; i += V) FloatVector.fromArray(S, x, xo + i).mul(FloatVector.fromArray(S, y, yo + i)).intoArray(o, oo + i); }
            default -> { for (; i < bound; i += V) FloatVector.fromArray(S, x, xo + i).div(FloatVector.fromArray(S, y, yo + i)).intoArray(o, oo + i); }
        }
        for (; i < n; i++) o[oo + i] = scalar(op, x[xo + i], y[yo + i]);
    }

    private static void vs(int op, float[] x, int xo, float y, float[] o, int oo, int n) {
        int i = 0, bound = S.loopBound(n);
        switch (op) {
            case ADD -> { for (; i < bound; i += V) FloatVector.fromArray(S, x, xo + i).add(y).intoArray(o, oo + i); }
            case SUB -> { for (; i < bound; i += V) FloatVector.fromArray(S, x, xo + i).sub(y).intoArray(o, oo + i); }
            case MUL -> { for (; i < bound; i += V) FloatVector.fromArray(S, x, xo + i).mul(y).intoArray(o, oo + i); }
            default -> { for (; i < bound; i += V) FloatVector.fromArray(S, x, xo + i).div(y).intoArray(o, oo + i); }
        }
        for (; i < n; i++) o[oo + i] = scalar(op, x[xo + i], y);
    }

    private static void sv(int op, float x, float[] y, int yo, float[] o, int oo, int n) {
        int i = 0, bound = S.loopBound(n);
        FloatVector xv = FloatVector.broadcast(S, x);
        switch (op) {
            case ADD -> { for (; i < bound; i += V) xv.add(FloatVector.fromArray(S, y, yo + i)).intoArray(o, oo + i); }
            case SUB -> { for (; i < bound; i += V) xv.sub(FloatVector.fromArray(S, y, yo + i)).intoArray(o, oo + i); }
            case MUL -> { for (; i < bound; i += V) xv.mul(FloatVector.fromArray(S, y, yo + i)).intoArray(o, oo + i); }
            default -> { for (; i < bound; i += V) xv.div(FloatVector.fromArray(S, y, yo + i)).intoArray(o, oo + i); }
        }
        for (; i < n; i++) o[oo + i] = scalar(op, x, y[yo + i]);
    }

    /** The F64 form of the collapsed loop nest of {@link #apply}; plain loops that C2 vectorizes. */
    private static void applyF64(int op, double[] x, double[] y, double[] o, int[] dims, int[] stA, int[] stB, int q, int size) {
        if (q == 0) {
            o[0] = scalar(op, x[0], y[0]);
            return;
        }
        int n = dims[0];
        int ia = stA[0], ib = stB[0];
        int rows = size / n;
        Parallel.forRange(rows, Math.max(1, GRAIN / n), (from, to) -> {
            for (int row = from; row < to; row++) {
                int rem = row, offA = 0, offB = 0;
                for (int d = 1; d < q; d++) {
                    int idx = rem % dims[d];
                    rem /= dims[d];
                    offA += idx * stA[d];
                    offB += idx * stB[d];
                }
                int offO = row * n;
                for (int i = 0; i < n; i++) o[offO + i] = scalar(op, x[offA + i * ia], y[offB + i * ib]);
            }
        });
    }

    static double scalar(int op, double x, double y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            default -> x / y;
        };
    }
}
