package dev.mithril.runtime;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sum and mean over a set of axes. Adjacent axes of the same kind (reduced or kept) are merged, so the
 * innermost loop either sums one contiguous row into a scalar or adds one contiguous row into the output.
 */
final class Reduce {
    private static final VectorSpecies<Float> S = Activations.S;
    private static final int V = Activations.V;

    private Reduce() {}

    /** Which axes are reduced; an empty {@code axes} means all. */
    static boolean[] reduced(String where, int[] axes, int rank) {
        boolean[] red = new boolean[rank];
        if (axes.length == 0) { Arrays.fill(red, true); return red; }
        for (int a : axes) {
            int n = Tensor.normalizeAxis(where, a, rank);
            if (red[n]) throw new IllegalArgumentException(where + ": axis " + a + " given twice in " + Arrays.toString(axes));
            red[n] = true;
        }
        return red;
    }

    static int[] outShape(int[] s, boolean[] red, boolean keepDims) {
        int n = 0;
        for (int i = 0; i < s.length; i++) if (!red[i] || keepDims) n++;
        int[] o = new int[n];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (!red[i]) o[j++] = s[i];
            else if (keepDims) o[j++] = 1;
        }
        return o;
    }

    static void apply(String where, Tensor x, int[] axes, boolean keepDims, boolean mean, Tensor out) {
        int[] s = x.shape();
        boolean[] red = reduced(where, axes, s.length);
        int[] os = outShape(s, red, keepDims);
        if (!Arrays.equals(os, out.shape())) {
            throw new IllegalArgumentException(where + ": out has shape " + Tensor.shapeString(out.shape()) + " but reducing "
                    + Tensor.shapeString(s) + " over " + Arrays.toString(axes) + (keepDims ? " keeping dims" : "") + " gives "
                    + Tensor.shapeString(os));
        }
        Kernels.checkOutDtype(where, Kernels.floatDtype(where, x), out);
        long count = 1;
        for (int i = 0; i < s.length; i++) if (red[i]) count *= s[i];
        if (x.dtype() == DType.F64) {
            double[] a = x.doubles(), o = out.doubles();
            if (a == o && x.size() > 0 && out.size() < x.size()) {
                throw new IllegalArgumentException(where + ": out must not share storage with x");
            }
            double[] acc = new double[out.size()];
            if (x.size() > 0) accumulate(s, red, a, acc);
            for (int i = 0; i < acc.length; i++) o[i] = mean ? (count == 0 ? Double.NaN : acc[i] / count) : acc[i];
            return;
        }
        float[] a = x.data(), o = out.data();
        if (a == o && x.size() > 0 && out.size() < x.size()) {
            throw new IllegalArgumentException(where + ": out must not share storage with x");
        }
        int n = out.size(); // o may be a longer planned buffer: touch only this tensor's elements
        Arrays.fill(o, 0, n, 0f);
        if (x.size() > 0) accumulate(s, red, a, o);
        if (mean) {
            float scale = count == 0 ? Float.NaN : (float) (1.0 / count);
            for (int i = 0; i < n; i++) o[i] = count == 0 ? Float.NaN : o[i] * scale;
        }
    }

    private static void accumulate(int[] s, boolean[] red, float[] a, float[] o) {
        int r = s.length;
        // Innermost-first merged groups: size, input stride, output stride (0 when reduced).
        int[] dims = new int[r + 1], inSt = new int[r + 1], outSt = new int[r + 1];
        boolean[] kind = new boolean[r + 1];
        int q = 0, in = 1, outStride = 1;
        for (int i = r - 1; i >= 0; i--) {
            if (s[i] == 1) continue;
            if (q > 0 && kind[q - 1] == red[i]) {
                dims[q - 1] *= s[i];
            } else {
                dims[q] = s[i]; inSt[q] = in; outSt[q] = red[i] ? 0 : outStride; kind[q] = red[i]; q++;
            }
            in *= s[i];
            if (!red[i]) outStride *= s[i];
        }
        if (q == 0) { o[0] += a[0]; return; }
        int n = dims[0];
        int rows = 1;
        for (int d = 1; d < q; d++) rows *= dims[d];
        boolean innerReduced = kind[0];
        for (int row = 0; row < rows; row++) {
            int rem = row, inOff = 0, outOff = 0;
            for (int d = 1; d < q; d++) {
                int idx = rem % dims[d];
                rem /= dims[d];
                inOff += idx * inSt[d];
                outOff += idx * outSt[d];
            }
            if (innerReduced) o[outOff] += sumRow(a, inOff, n);
            else addRow(a, inOff, o, outOff, n);
        }
    }

    private static void accumulate(int[] s, boolean[] red, double[] a, double[] o) {
        int r = s.length;
        // Innermost-first merged groups: size, input stride, output stride (0 when reduced).
        int[] dims = new int[r + 1], inSt = new int[r + 1], outSt = new int[r + 1];
        boolean[] kind = new boolean[r + 1];
        int q = 0, in = 1, outStride = 1;
        for (int i = r - 1; i >= 0; i--) {
            if (s[i] == 1) continue;
            if (q > 0 && kind[q - 1] == red[i]) {
                dims[q - 1] *= s[i];
            } else {
                dims[q] = s[i]; inSt[q] = in; outSt[q] = red[i] ? 0 : outStride; kind[q] = red[i]; q++;
            }
            in *= s[i];
            if (!red[i]) outStride *= s[i];
        }
        if (q == 0) { o[0] += a[0]; return; }
        int n = dims[0];
        int rows = 1;
        for (int d = 1; d < q; d++) rows *= dims[d];
        boolean innerReduced = kind[0];
        for (int row = 0; row < rows; row++) {
            int rem = row, inOff = 0, outOff = 0;
            for (int d = 1; d < q; d++) {
                int idx = rem % dims[d];
                rem /= dims[d];
                inOff += idx * inSt[d];
                outOff += idx * outSt[d];
            }
            if (innerReduced) { double t = 0; for (int i = 0; i < n; i++) t += a[inOff + i]; o[outOff] += t; }
            else for (int i = 0; i < n; i++) o[outOff + i] += a[inOff + i];
        }
    }

    static float sumRow(float[] a, int off, int n) {
        int i = 0, bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        for (; i < bound; i += V) acc = acc.add(FloatVector.fromArray(S, a, off + i));
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[off + i];
        return s;
    }

    private static void addRow(float[] a, int off, float[] o, int oo, int n) {
        int i = 0, bound = S.loopBound(n);
        for (; i < bound; i += V) FloatVector.fromArray(S, o, oo + i).add(FloatVector.fromArray(S, a, off + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] += a[off + i];
    }
}
