package dev.mithril.runtime.train;

import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import java.util.Arrays;

/** Reading prediction and target values as doubles and writing gradients back in the prediction's dtype. */
final class LossValues {
    private LossValues() {}

    /** The values of a floating-point tensor as doubles (a copy for F32, the live array for F64). */
    static double[] values(String where, String what, Tensor t) {
        return switch (t.dtype()) {
            case F64 -> t.doubles();
            case F32, F16, BF16 -> {
                float[] f = t.data();
                double[] d = new double[f.length];
                for (int i = 0; i < f.length; i++) d[i] = f[i];
                yield d;
            }
            default -> throw new IllegalArgumentException(where + ": " + what + " must be floating point, got " + t.dtype()
                    + " " + Tensor.shapeString(t.shape()));
        };
    }

    /** Copies a computed gradient into the caller's {@code gradient}, which must have its shape and dtype. */
    static void copyGradient(String where, Tensor computed, Tensor gradient) {
        checkGradient(where, computed, gradient);
        if (computed.dtype() == DType.F64) System.arraycopy(computed.doubles(), 0, gradient.doubles(), 0, computed.size());
        else System.arraycopy(computed.data(), 0, gradient.data(), 0, computed.size());
    }

    /** {@code gradient} has the shape of {@code prediction} and the dtype its gradient has (F64 for F64, else F32). */
    static void checkGradient(String where, Tensor prediction, Tensor gradient) {
        DType dt = prediction.dtype() == DType.F64 ? DType.F64 : DType.F32;
        if (gradient == null || !gradient.sameShape(prediction) || gradient.dtype() != dt) {
            throw new IllegalArgumentException(where + ": gradient must be " + dt.safetensorsName() + " " + Tensor.shapeString(prediction.shape())
                    + " like the prediction, got " + (gradient == null ? "null" : gradient.dtype().safetensorsName() + " "
                    + Tensor.shapeString(gradient.shape())));
        }
    }

    /** A new tensor with {@code g} in the dtype of {@code like} (F64 stays F64, everything else becomes F32). */
    static Tensor gradient(Tensor like, double[] g) {
        if (like.dtype() == DType.F64) return Tensor.of(g, like.shape());
        float[] f = new float[g.length];
        for (int i = 0; i < g.length; i++) f[i] = (float) g[i];
        return Tensor.of(f, like.shape());
    }

    /** Class indices from an I64 or I32 tensor. */
    static long[] indices(String where, Tensor t) {
        return switch (t.dtype()) {
            case I64 -> t.longs();
            case I32 -> { int[] a = t.ints(); long[] l = new long[a.length]; for (int i = 0; i < a.length; i++) l[i] = a[i]; yield l; }
            default -> throw new IllegalArgumentException(where + ": class-index targets must be I64 or I32, got " + t.dtype()
                    + " " + Tensor.shapeString(t.shape()));
        };
    }

    /** @throws IllegalArgumentException unless both tensors have the same shape */
    static void sameShape(String where, Tensor prediction, Tensor target) {
        if (!prediction.sameShape(target)) {
            throw new IllegalArgumentException(where + ": prediction " + Tensor.shapeString(prediction.shape()) + " and target "
                    + Tensor.shapeString(target.shape()) + " must have the same shape");
        }
    }

    /** Checks that {@code target} is the prediction's shape without its last (class) axis. */
    static void indexTargetShape(String where, Tensor prediction, Tensor target) {
        int[] p = prediction.shape();
        if (p.length < 1) throw new IllegalArgumentException(where + ": prediction must have a class axis, got a scalar");
        if (!Arrays.equals(Arrays.copyOf(p, p.length - 1), target.shape())) {
            throw new IllegalArgumentException(where + ": class-index target " + Tensor.shapeString(target.shape())
                    + " must have the shape of the prediction " + Tensor.shapeString(p) + " without its last (class) axis, "
                    + Tensor.shapeString(Arrays.copyOf(p, p.length - 1)));
        }
    }

    /** @throws IllegalArgumentException naming the position, unless the index is a class or {@code ignoreIndex} */
    static void checkIndex(String where, long y, int classes, long ignoreIndex, int position) {
        if (y != ignoreIndex && (y < 0 || y >= classes)) {
            throw new IllegalArgumentException(where + ": target " + y + " at position " + position + " is not a class in [0, "
                    + classes + ") nor the ignore index " + ignoreIndex);
        }
    }
}
