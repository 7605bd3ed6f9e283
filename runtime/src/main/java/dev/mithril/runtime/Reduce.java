package dev.mithril.runtime;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
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
    static boolean[] reduced(String where, int[] axes, int rank) { return reduced(where, axes, rank, new boolean[rank]); }

    /** As {@link #reduced(String, int[], int)}, in the first {@code rank} entries of {@code red}. */
    private static boolean[] reduced(String where, int[] axes, int rank, boolean[] red) {
        Arrays.fill(red, 0, rank, axes.length == 0);
        if (axes.length == 0) return red;
        for (int a : axes) {
            int n = Tensor.normalizeAxis(where, a, rank);
            if (red[n]) throw new IllegalArgumentException(where + ": axis " + a + " given twice in " + Arrays.toString(axes));
            red[n] = true;
        }
        return red;
    }

    /** Whether {@code os} is {@link #outShape}'s result, compared without making it. */
    private static boolean isOutShape(int[] s, boolean[] red, boolean keepDims, int[] os) {
        int j = 0;
        for (int i = 0; i < s.length; i++) {
            if (red[i] && !keepDims) continue;
            if (j >= os.length || os[j++] != (red[i] ? 1 : s[i])) return false;
        }
        return j == os.length;
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
        int[] s = x.shapeArray();
        // This thread's scratch: a reduction made every training step allocates nothing.
        boolean[] red = reduced(where, axes, s.length, Scratch.flags(s.length));
        if (!isOutShape(s, red, keepDims, out.shapeArray())) {
            int[] os = outShape(s, red, keepDims);
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
            double[] acc = Scratch.doubles(Scratch.REDUCE, out.size());
            Arrays.fill(acc, 0, out.size(), 0);
            if (x.size() > 0) accumulate(s, red, null, null, a, acc);
            for (int i = 0; i < out.size(); i++) o[i] = mean ? (count == 0 ? Double.NaN : acc[i] / count) : acc[i];
            return;
        }
        float[] a = x.data(), o = out.data();
        if (a == o && x.size() > 0 && out.size() < x.size()) {
            throw new IllegalArgumentException(where + ": out must not share storage with x");
        }
        int n = out.size(); // o may be a longer planned buffer: touch only this tensor's elements
        Arrays.fill(o, 0, n, 0f);
        if (x.size() > 0) accumulate(s, red, a, o, null, null);
        if (mean) {
            float scale = count == 0 ? Float.NaN : (float) (1.0 / count);
            for (int i = 0; i < n; i++) o[i] = count == 0 ? Float.NaN : o[i] * scale;
        }
    }

    /**
     * Adds {@code a} into {@code o} over the reduced axes: float32 arrays {@code af}, {@code of}, or float64 ones
     * {@code ad}, {@code od} (the others null). After merging adjacent axes of one kind the input is rows of {@code n}
     * contiguous elements, each summed into one output element (innermost group reduced) or added into a row of the
     * output; an odometer over the outer groups moves the row offsets.
     */
    private static void accumulate(int[] s, boolean[] red, float[] af, float[] of, double[] ad, double[] od) {
        int r = s.length;
        // Merged groups, innermost first: size, input stride, output stride (0 when reduced), odometer digit.
        int[] dims = Scratch.ints(Scratch.DIMS, r + 1), inSt = Scratch.ints(Scratch.IN_STRIDES, r + 1),
                outSt = Scratch.ints(Scratch.OUT_STRIDES, r + 1), digit = Scratch.ints(Scratch.DIGITS, r + 1);
        Arrays.fill(digit, 0, r + 1, 0);
        int q = 0, in = 1, outStride = 1;
        boolean innerReduced = true, last = false;
        for (int i = r - 1; i >= 0; i--) {
            if (s[i] == 1) continue;
            if (q > 0 && last == red[i]) {
                dims[q - 1] *= s[i];
            } else {
                dims[q] = s[i]; inSt[q] = in; outSt[q] = red[i] ? 0 : outStride; last = red[i];
                if (q == 0) innerReduced = red[i];
                q++;
            }
            in *= s[i];
            if (!red[i]) outStride *= s[i];
        }
        if (q == 0) { dims[0] = 1; q = 1; } // a single element: o[0] += a[0]
        int n = dims[0], rows = 1;
        for (int g = 1; g < q; g++) rows *= dims[g];
        int inOff = 0, outOff = 0;
        for (int row = 0; row < rows; row++) {
            if (ad != null) {
                if (innerReduced) { double t = 0; for (int i = 0; i < n; i++) t += ad[inOff + i]; od[outOff] += t; }
                else for (int i = 0; i < n; i++) od[outOff + i] += ad[inOff + i];
            } else if (innerReduced) {
                of[outOff] += VectorMath.sumOf(af, inOff, n);
            } else {
                addRow(af, inOff, of, outOff, n);
            }
            for (int g = 1; g < q; g++) {
                inOff += inSt[g];
                outOff += outSt[g];
                if (++digit[g] < dims[g]) break;
                inOff -= dims[g] * inSt[g];
                outOff -= dims[g] * outSt[g];
                digit[g] = 0;
            }
        }
    }

    /** {@code o[oo + i] += a[off + i]} for {@code i < n}. */
    static void addRow(float[] a, int off, float[] o, int oo, int n) {
        int i = 0, bound = S.loopBound(n);
        for (; i < bound; i += V) FloatVector.fromArray(S, o, oo + i).add(FloatVector.fromArray(S, a, off + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] += a[off + i];
    }
}
