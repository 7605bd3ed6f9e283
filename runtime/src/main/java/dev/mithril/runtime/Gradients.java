package dev.mithril.runtime;

import static dev.mithril.runtime.Activations.A1;
import static dev.mithril.runtime.Activations.A2;
import static dev.mithril.runtime.Activations.A3;
import static dev.mithril.runtime.Activations.A4;
import static dev.mithril.runtime.Activations.A5;
import static dev.mithril.runtime.Activations.INV_SQRT2;
import static dev.mithril.runtime.Activations.P;

import java.util.Arrays;

/**
 * Kernels of the backward pass that generated training code calls: activation gradients, undoing and
 * redoing broadcasts, and products with transposed operands. Like {@link Kernels}, each has an
 * allocating form and an {@code ...Into} form writing a preallocated {@code out} of the result shape;
 * F32 and F64 tensors are both accepted (chosen by dtype). Loops are bounded by {@link Tensor#size()}.
 *
 * <pre>{@code
 * Tensor dPre = Gradients.reluGrad(h, dH);                   // dH where h > 0
 * Tensor dW = Gradients.matmul(dPre, true, x, false);        // dPreᵀ · x
 * }</pre>
 */
public final class Gradients {
    private static final double INV_SQRT_2PI = 0.3989422804014327;

    private Gradients() {}

    // ---------------------------------------------------------------- scalar forms (fused loops call these)

    /** {@code g} where the ReLU's output {@code y > 0}, else 0. */
    public static float reluGrad(float y, float g) { return y > 0f ? g : 0f; }

    /**
     * {@code g · (Φ(x) + x·φ(x))}: the derivative of exact GELU at its input {@code x}, in float32. Φ comes from the
     * forward's erf approximation (Abramowitz &amp; Stegun 7.1.26, absolute error under 1.5e-7) taken as erfc, so
     * that the left tail is computed at its own scale instead of as {@code 1 - (1 - small)}; φ shares its
     * {@code exp(-x²/2)}; {@link LinearBackward.Activation#GELU} is its vector form. This replaced a double-precision
     * erf series (13.6% of the decoder's training step); the two agree to about 1e-7 absolute (the gradient is at most
     * 1.13).
     */
    public static float geluGrad(float x, float g) {
        float e = (float) Math.exp(-0.5 * (double) x * x);
        float t = 1f / (1f + P * (Math.abs(x) * INV_SQRT2));
        float half = 0.5f * ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t * e; // Φ(-|x|) = erfc(|x|/√2) / 2
        float cdf = x >= 0f ? 1f - half : half;
        return g * (cdf + x * Activations.INV_SQRT_2PI * e);
    }

    /** {@code g · y · (1 - y)} from the sigmoid's output {@code y}. */
    public static float sigmoidGrad(float y, float g) { return g * y * (1f - y); }

    /** {@code g · (1 - y²)} from the tanh's output {@code y}. */
    public static float tanhGrad(float y, float g) { return g * (1f - y * y); }

    public static double reluGrad(double y, double g) { return y > 0 ? g : 0; }

    public static double geluGrad(double x, double g) {
        double cdf = 0.5 * (1 + Activations.erf(x * 0.7071067811865476));
        return g * (cdf + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x));
    }

    public static double sigmoidGrad(double y, double g) { return g * y * (1 - y); }

    public static double tanhGrad(double y, double g) { return g * (1 - y * y); }

    // ---------------------------------------------------------------- activation gradients

    public static Tensor reluGrad(Tensor y, Tensor g) { return activation(LinearBackward.Activation.RELU, y, g, like(y)); }
    public static Tensor geluGrad(Tensor x, Tensor g) { return activation(LinearBackward.Activation.GELU, x, g, like(x)); }
    public static Tensor sigmoidGrad(Tensor y, Tensor g) { return activation(LinearBackward.Activation.SIGMOID, y, g, like(y)); }
    public static Tensor tanhGrad(Tensor y, Tensor g) { return activation(LinearBackward.Activation.TANH, y, g, like(y)); }

    /** {@link #reluGrad(Tensor, Tensor)} into {@code out}, which may be {@code y} or {@code g}. */
    public static void reluGradInto(Tensor y, Tensor g, Tensor out) { activation(LinearBackward.Activation.RELU, y, g, out); }
    public static void geluGradInto(Tensor x, Tensor g, Tensor out) { activation(LinearBackward.Activation.GELU, x, g, out); }
    public static void sigmoidGradInto(Tensor y, Tensor g, Tensor out) { activation(LinearBackward.Activation.SIGMOID, y, g, out); }
    public static void tanhGradInto(Tensor y, Tensor g, Tensor out) { activation(LinearBackward.Activation.TANH, y, g, out); }

    private static Tensor activation(LinearBackward.Activation act, Tensor a, Tensor g, Tensor out) {
        String where = switch (act) {
            case RELU -> "Gradients.reluGrad";
            case GELU -> "Gradients.geluGrad";
            case SIGMOID -> "Gradients.sigmoidGrad";
            case TANH -> "Gradients.tanhGrad";
        };
        if (!a.sameShape(g) || !a.sameShape(out)) throw new IllegalArgumentException(where + ": operand " + Tensor.shapeString(a.shape())
                + ", gradient " + Tensor.shapeString(g.shape()) + " and out " + Tensor.shapeString(out.shape()) + " must have one shape");
        int n = out.size();
        if (out.dtype() == DType.F64) {
            double[] x = a.doubles(), d = g.doubles(), o = out.doubles();
            for (int i = 0; i < n; i++) {
                o[i] = switch (act) {
                    case RELU -> reluGrad(x[i], d[i]);
                    case GELU -> geluGrad(x[i], d[i]);
                    case SIGMOID -> sigmoidGrad(x[i], d[i]);
                    case TANH -> tanhGrad(x[i], d[i]);
                };
            }
            return out;
        }
        float[] x = a.data(), d = g.data(), o = out.data();
        Parallel.forRange(n, 1 << 14, (from, to) -> LinearBackward.apply(act, x, d, o, from, to - from));
        return out;
    }

    // ---------------------------------------------------------------- broadcasting in reverse

    /** {@code g} summed down to {@code shape}, which must broadcast to {@code g}'s shape. */
    public static Tensor sumTo(Tensor g, int... shape) {
        Tensor out = Tensor.zeros(g.dtype() == DType.F64 ? DType.F64 : DType.F32, shape);
        sumToInto(g, out);
        return out;
    }

    /** {@link #sumTo} into {@code out} (overwritten, not accumulated). */
    public static void sumToInto(Tensor g, Tensor out) {
        int rowLength = Broadcast.suffixSize(out.shapeArray(), g.shapeArray());
        if (rowLength > 0 && out.dtype() == g.dtype()) {
            sumRows(g, out, g.size() / rowLength, rowLength);
            return;
        }
        int[] from = g.shape(), strides = strides("Gradients.sumTo", out.shape(), from);
        int n = g.size();
        if (out.dtype() == DType.F64) {
            double[] a = g.doubles(), o = out.doubles();
            Arrays.fill(o, 0, out.size(), 0);
            for (int i = 0; i < n; i++) o[offset(i, from, strides)] += a[i];
            return;
        }
        float[] a = g.data(), o = out.data();
        Arrays.fill(o, 0, out.size(), 0f);
        for (int i = 0; i < n; i++) o[offset(i, from, strides)] += a[i];
    }

    /** {@code out[j] = sum over r of g[r * k + j]}, rows added in order (the same sums on every run). */
    private static void sumRows(Tensor g, Tensor out, int rows, int k) {
        if (out.dtype() == DType.F64) {
            double[] a = g.doubles(), o = out.doubles();
            Arrays.fill(o, 0, k, 0);
            for (int r = 0; r < rows; r++) for (int j = 0, off = r * k; j < k; j++) o[j] += a[off + j];
            return;
        }
        float[] a = g.data(), o = out.data();
        Arrays.fill(o, 0, k, 0f);
        for (int r = 0; r < rows; r++) Reduce.addRow(a, r * k, o, 0, k);
    }

    /** {@code g} broadcast to {@code shape} and divided by {@code divisor} (the backward of a sum or a mean). */
    public static Tensor expand(Tensor g, int divisor, int... shape) {
        Tensor out = Tensor.zeros(g.dtype() == DType.F64 ? DType.F64 : DType.F32, shape);
        expandInto(g, divisor, out);
        return out;
    }

    /** {@link #expand} into {@code out}, which must not share storage with {@code g}. */
    public static void expandInto(Tensor g, int divisor, Tensor out) {
        int[] to = out.shape(), strides = strides("Gradients.expand", g.shape(), to);
        int n = out.size();
        if (out.dtype() == DType.F64) {
            double[] a = g.doubles(), o = out.doubles();
            double s = 1.0 / divisor;
            for (int i = 0; i < n; i++) o[i] = a[offset(i, to, strides)] * s;
            return;
        }
        float[] a = g.data(), o = out.data();
        float s = 1f / divisor;
        for (int i = 0; i < n; i++) o[i] = a[offset(i, to, strides)] * s;
    }

    /**
     * Strides of {@code small} read over {@code big}'s index space (0 along broadcast axes).
     * @throws IllegalArgumentException naming both shapes when {@code small} does not broadcast to {@code big}
     */
    private static int[] strides(String where, int[] small, int[] big) {
        int pad = big.length - small.length;
        int[] st = new int[big.length];
        boolean ok = pad >= 0;
        int s = 1;
        for (int i = big.length - 1; ok && i >= 0; i--) {
            int j = i - pad;
            if (j < 0) continue;
            if (small[j] == big[i]) { st[i] = small[j] == 1 ? 0 : s; s *= small[j]; }
            else if (small[j] == 1) st[i] = 0;
            else ok = false;
        }
        if (!ok) throw new IllegalArgumentException(where + ": shape " + Tensor.shapeString(small) + " does not broadcast to "
                + Tensor.shapeString(big));
        return st;
    }

    private static int offset(int flat, int[] shape, int[] strides) {
        int off = 0;
        for (int d = shape.length - 1; d >= 0 && flat > 0; d--) {
            off += (flat % shape[d]) * strides[d];
            flat /= shape[d];
        }
        return off;
    }

    // ---------------------------------------------------------------- transposed products

    /**
     * {@code op(a) · op(b)}, op being a transpose (of the last two axes) where asked: no transpose is materialized.
     * Operands of rank above 2 are batches of matrices whose leading dimensions broadcast as in {@code torch.matmul}.
     */
    public static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        Tensor out = Tensor.zeros(a.dtype() == DType.F64 ? DType.F64 : DType.F32, BatchedMatMul.outShape(a.shape(), transA, b.shape(), transB));
        matmulInto(a, transA, b, transB, out);
        return out;
    }

    /** {@link #matmul} into {@code out} (overwritten), which must not share storage with an operand. */
    public static void matmulInto(Tensor a, boolean transA, Tensor b, boolean transB, Tensor out) {
        BatchedMatMul.apply(a, transA, b, transB, out);
    }

    private static Tensor like(Tensor t) { return Tensor.zeros(t.dtype() == DType.F64 ? DType.F64 : DType.F32, t.shape()); }
}
