package dev.mithril.runtime;

import java.util.Arrays;

/**
 * Copies between tensors along one axis: concatenation ({@code torch.cat}), strided slices
 * ({@code x[..., start:end:step]}) and the slice's backward, and {@code argmax}. Each views a tensor as
 * {@code [outer, len, inner]} around the axis and moves runs of {@code inner} elements with
 * {@link System#arraycopy}, so it works for every heap dtype (F32, F64, I64, I32) alike. Each op has an
 * allocating form and an {@code ...Into} form writing a preallocated {@code out} of the exact shape.
 *
 * <pre>{@code
 * Tensor qkv = ...;                                     // [B, T, 3C]
 * Tensor k = Slicing.slice(qkv, 2, C, C, 1);            // [B, T, C]: columns C .. 2C-1
 * Tensor next = Slicing.argmax(logits, -1, false);      // I64 [B, T]
 * }</pre>
 */
public final class Slicing {
    private Slicing() {}

    /** {@code torch.cat(xs, axis)}: one dtype, equal shapes except along {@code axis}. */
    public static Tensor concat(int axis, Tensor... xs) {
        if (xs.length == 0) throw new IllegalArgumentException("Slicing.concat: needs at least one tensor");
        int[] shape = xs[0].shape();
        int a = axisOf("Slicing.concat", axis, shape.length);
        int total = 0;
        for (Tensor x : xs) total += x.rank() == shape.length ? x.dim(a) : 0;
        shape[a] = total;
        Tensor out = Tensor.zeros(xs[0].dtype(), shape);
        concatInto(axis, xs, out);
        return out;
    }

    /** {@link #concat} into {@code out}. */
    public static void concatInto(int axis, Tensor[] xs, Tensor out) {
        String where = "Slicing.concat";
        int a = axisOf(where, axis, out.rank());
        int[] os = out.shape();
        int at = 0;
        for (Tensor x : xs) {
            int[] s = x.shape();
            boolean ok = x.dtype() == out.dtype() && s.length == os.length;
            for (int i = 0; ok && i < s.length; i++) ok = i == a || s[i] == os[i];
            if (!ok) throw new IllegalArgumentException(where + ": cannot place " + x.dtype().safetensorsName() + " " + Tensor.shapeString(s)
                    + " into " + out.dtype().safetensorsName() + " " + Tensor.shapeString(os) + " along axis " + axis);
            at += s[a];
        }
        if (at != os[a]) throw new IllegalArgumentException(where + ": inputs add up to " + at + " along axis " + axis + " but out has " + os[a]);
        int outer = outer(os, a), inner = inner(os, a);
        Object dst = storage(out);
        int offset = 0;
        for (Tensor x : xs) {
            int len = x.dim(a), run = len * inner;
            Object src = storage(x);
            for (int o = 0; o < outer; o++) System.arraycopy(src, o * run, dst, (o * os[a] + offset) * inner, run);
            offset += len;
        }
    }

    /** {@code count} elements along {@code axis} from index {@code first}, every {@code step}-th (both already within bounds). */
    public static Tensor slice(Tensor x, int axis, int first, int count, int step) {
        int[] s = x.shape();
        s[axisOf("Slicing.slice", axis, s.length)] = count;
        Tensor out = Tensor.zeros(x.dtype(), s);
        sliceInto(x, axis, first, step, out);
        return out;
    }

    /** {@link #slice} into {@code out}, whose size along {@code axis} is the count. */
    public static void sliceInto(Tensor x, int axis, int first, int step, Tensor out) {
        int a = checkSlice("Slicing.slice", x.shape(), axis, first, step, out);
        int[] xs = x.shape();
        int outer = outer(xs, a), inner = inner(xs, a), len = xs[a], count = out.dim(a);
        Object src = storage(x), dst = storage(out);
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < count; j++) System.arraycopy(src, (o * len + first + j * step) * inner, dst, (o * count + j) * inner, inner);
        }
    }

    /** Backward of {@link #slice}: zeros shaped {@code inputShape} with {@code grad} written at the sliced positions. */
    public static Tensor sliceBackward(Tensor grad, int[] inputShape, int axis, int first, int step) {
        Tensor out = Tensor.zeros(grad.dtype(), inputShape);
        sliceBackwardInto(grad, axis, first, step, out);
        return out;
    }

    /** {@link #sliceBackward} into {@code out} (overwritten, zeros included). */
    public static void sliceBackwardInto(Tensor grad, int axis, int first, int step, Tensor out) {
        int[] os = out.shape();
        int a = checkSlice("Slicing.sliceBackward", os, axis, first, step, grad);
        int outer = outer(os, a), inner = inner(os, a), len = os[a], count = grad.dim(a);
        Object src = storage(grad), dst = storage(out);
        switch (dst) {
            case float[] f -> Arrays.fill(f, 0, out.size(), 0f);
            case double[] d -> Arrays.fill(d, 0, out.size(), 0d);
            default -> throw new IllegalArgumentException("Slicing.sliceBackward: gradients are F32 or F64, not " + out.dtype().safetensorsName());
        }
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < count; j++) System.arraycopy(src, (o * count + j) * inner, dst, (o * len + first + j * step) * inner, inner);
        }
    }

    /** {@code torch.argmax(x, axis, keepdim)}: I64 indices of the largest value, the first on ties (NaN counts as largest, as in PyTorch). */
    public static Tensor argmax(Tensor x, int axis, boolean keepDims) {
        int[] s = x.shape();
        int a = axisOf("Slicing.argmax", axis, s.length);
        int[] os;
        if (keepDims) {
            os = s.clone();
            os[a] = 1;
        } else {
            os = new int[s.length - 1];
            for (int i = 0, k = 0; i < s.length; i++) if (i != a) os[k++] = s[i];
        }
        Tensor out = Tensor.zeros(DType.I64, os);
        argmaxInto(x, axis, out);
        return out;
    }

    /** {@link #argmax} into an I64 {@code out} of {@code x}'s shape without the axis (or with it as 1). */
    public static void argmaxInto(Tensor x, int axis, Tensor out) {
        String where = "Slicing.argmax";
        int[] s = x.shape();
        int a = axisOf(where, axis, s.length);
        if (s[a] == 0) throw new IllegalArgumentException(where + ": axis " + axis + " of " + Tensor.shapeString(s) + " is empty");
        if (out.dtype() != DType.I64 || out.size() * s[a] != x.size())
            throw new IllegalArgumentException(where + ": out must be I64 with " + x.size() / s[a] + " elements, is "
                    + out.dtype().safetensorsName() + " " + Tensor.shapeString(out.shape()));
        int outer = outer(s, a), inner = inner(s, a), len = s[a];
        long[] dst = out.longs();
        boolean f64 = x.dtype() == DType.F64;
        float[] xf = f64 ? null : x.toF32().data();
        double[] xd = f64 ? x.doubles() : null;
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * len * inner + i, best = 0;
                double max = f64 ? xd[base] : xf[base];
                for (int j = 1; j < len && !Double.isNaN(max); j++) {
                    double v = f64 ? xd[base + j * inner] : xf[base + j * inner];
                    if (v > max || Double.isNaN(v)) { max = v; best = j; }
                }
                dst[o * inner + i] = best;
            }
        }
    }

    /** Copies {@code src} into {@code dst} of the same shape and dtype ({@code dst} may be a prefix view of a larger array). */
    public static void copyInto(Tensor src, Tensor dst) {
        if (src.dtype() != dst.dtype() || !src.sameShape(dst)) throw new IllegalArgumentException("Slicing.copyInto: cannot copy "
                + src.dtype().safetensorsName() + " " + Tensor.shapeString(src.shape()) + " into " + dst.dtype().safetensorsName() + " "
                + Tensor.shapeString(dst.shape()));
        System.arraycopy(storage(src), 0, storage(dst), 0, src.size());
    }

    private static int checkSlice(String where, int[] full, int axis, int first, int step, Tensor part) {
        int a = axisOf(where, axis, full.length);
        int[] ps = part.shape();
        boolean ok = ps.length == full.length && step >= 1 && first >= 0;
        for (int i = 0; ok && i < ps.length; i++) ok = i == a || ps[i] == full[i];
        if (ok && ps[a] > 0) ok = first + (long) (ps[a] - 1) * step < full[a];
        if (!ok) throw new IllegalArgumentException(where + ": " + Tensor.shapeString(ps) + " is not a slice of " + Tensor.shapeString(full)
                + " from " + first + " step " + step + " along axis " + axis);
        return a;
    }

    private static int axisOf(String where, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new IllegalArgumentException(where + ": axis " + axis + " is out of range for rank " + rank);
        return a;
    }

    private static int outer(int[] s, int a) {
        int n = 1;
        for (int i = 0; i < a; i++) n *= s[i];
        return n;
    }

    private static int inner(int[] s, int a) {
        int n = 1;
        for (int i = a + 1; i < s.length; i++) n *= s[i];
        return n;
    }

    private static Object storage(Tensor t) {
        return switch (t.dtype()) {
            case F64 -> t.doubles();
            case I64 -> t.longs();
            case I32 -> t.ints();
            default -> t.data();
        };
    }
}
