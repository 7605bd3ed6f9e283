package dev.mithril.runtime;

import java.util.Arrays;

/**
 * Tensor operations that generated models call, on F32 tensors and on F64 tensors (chosen by
 * {@link Tensor#dtype()}; all operands and {@code out} must share one dtype, else an
 * {@link IllegalArgumentException} names the op and the dtypes). Each op has an allocating form and an
 * {@code ...Into} form that writes a preallocated {@code out} of the exact result shape (checked). Elementwise
 * and unary ops accept {@code out} identical to an input (in place). F32 work is vectorized with the Vector
 * API; large work is split over {@link Parallel}.
 *
 * <pre>{@code
 * Tensor h = Kernels.relu(Kernels.linear(x, w1, b1));
 * Tensor p = Kernels.softmax(Kernels.linear(h, w2, b2), -1);
 * }</pre>
 */
public final class Kernels {
    private static final int UNARY_GRAIN = 1 << 14;

    private Kernels() {}

    // ---------------------------------------------------------------- linear algebra

    /** {@code x[..., in] * w[out, in]^T + bias[out]} (PyTorch {@code nn.Linear}); {@code bias} may be null. */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        Tensor out = Tensor.zeros(floatDtype("Kernels.linear", x), linearShape(x, w, bias));
        linearInto(x, w, bias, out);
        return out;
    }

    /** {@link #linear} into {@code out[..., out]}. */
    public static void linearInto(Tensor x, Tensor w, Tensor bias, Tensor out) {
        int[] os = linearShape(x, w, bias);
        if (!Arrays.equals(os, out.shape())) {
            throw new IllegalArgumentException("Kernels.linear: out has shape " + Tensor.shapeString(out.shape()) + " but x "
                    + Tensor.shapeString(x.shape()) + " and weight " + Tensor.shapeString(w.shape()) + " give " + Tensor.shapeString(os));
        }
        int n = w.dim(0), k = w.dim(1);
        int m = 1;
        for (int i = 0; i < x.rank() - 1; i++) m *= x.dim(i);
        DType dt = bias == null ? commonDtype("Kernels.linear", x, w) : commonDtype("Kernels.linear", x, w, bias);
        checkOutDtype("Kernels.linear", dt, out);
        if (dt == DType.F64) {
            Float64Gemm.linear(x, w, bias, out, m, n, k);
            return;
        }
        float[] o = out.data();
        if (o == x.data()) throw new IllegalArgumentException("Kernels.linear: out must not share storage with x");
        Gemm.linear(x.data(), 0, m, n, k, w.data(), 0, bias == null ? null : bias.data(),
                bias == null ? Epilogue.NONE : Epilogue.BIAS, o, 0);
    }

    private static int[] linearShape(Tensor x, Tensor w, Tensor bias) {
        if (w.rank() != 2) throw new IllegalArgumentException("Kernels.linear: weight must be [out, in], got " + Tensor.shapeString(w.shape()));
        if (x.rank() < 1 || x.dim(-1) != w.dim(1)) {
            throw new IllegalArgumentException("Kernels.linear: x " + Tensor.shapeString(x.shape()) + " does not end in in_features = "
                    + w.dim(1) + " of weight " + Tensor.shapeString(w.shape()));
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != w.dim(0))) {
            throw new IllegalArgumentException("Kernels.linear: bias " + Tensor.shapeString(bias.shape()) + " does not match out_features = "
                    + w.dim(0) + " of weight " + Tensor.shapeString(w.shape()));
        }
        int[] s = x.shape();
        s[s.length - 1] = w.dim(0);
        return s;
    }

    /** {@code torch.matmul}: rank-1 operands are promoted and squeezed, leading batch dims broadcast. */
    public static Tensor matmul(Tensor a, Tensor b) {
        Tensor out = Tensor.zeros(floatDtype("Kernels.matmul", a), MatMul.outShape(a.shape(), b.shape()));
        matmulInto(a, b, out);
        return out;
    }

    /** {@link #matmul} into {@code out}. */
    public static void matmulInto(Tensor a, Tensor b, Tensor out) {
        DType dt = commonDtype("Kernels.matmul", a, b);
        checkOutDtype("Kernels.matmul", dt, out);
        MatMul.apply(a, b, out);
    }

    // ---------------------------------------------------------------- broadcasting arithmetic

    /** The numpy/torch broadcast of two shapes. @throws IllegalArgumentException naming both shapes if incompatible */
    public static int[] broadcastShape(int[] a, int[] b) { return Broadcast.shape("Kernels.broadcastShape", a, b); }

    public static Tensor add(Tensor a, Tensor b) { return binary(Broadcast.ADD, "Kernels.add", a, b); }
    public static Tensor sub(Tensor a, Tensor b) { return binary(Broadcast.SUB, "Kernels.sub", a, b); }
    public static Tensor mul(Tensor a, Tensor b) { return binary(Broadcast.MUL, "Kernels.mul", a, b); }
    public static Tensor div(Tensor a, Tensor b) { return binary(Broadcast.DIV, "Kernels.div", a, b); }

    /** {@code out = a + b} with broadcasting; {@code out} may be {@code a} or {@code b} when it has the result shape. */
    public static void addInto(Tensor a, Tensor b, Tensor out) { Broadcast.apply(Broadcast.ADD, a, b, out); }
    public static void subInto(Tensor a, Tensor b, Tensor out) { Broadcast.apply(Broadcast.SUB, a, b, out); }
    public static void mulInto(Tensor a, Tensor b, Tensor out) { Broadcast.apply(Broadcast.MUL, a, b, out); }
    public static void divInto(Tensor a, Tensor b, Tensor out) { Broadcast.apply(Broadcast.DIV, a, b, out); }

    private static Tensor binary(int op, String where, Tensor a, Tensor b) {
        Tensor out = Tensor.zeros(commonDtype(where, a, b), Broadcast.shape(where, a.shape(), b.shape()));
        Broadcast.apply(op, a, b, out);
        return out;
    }

    // ---------------------------------------------------------------- activations

    public static Tensor relu(Tensor x) { return unary(Epilogue.RELU, x, Tensor.zeros(floatDtype("Kernels.relu", x), x.shape())); }
    /** Exact (erf-based) GELU, as {@code torch.nn.GELU()} with the default {@code approximate='none'}. */
    public static Tensor gelu(Tensor x) { return unary(Epilogue.GELU, x, Tensor.zeros(floatDtype("Kernels.gelu", x), x.shape())); }
    public static Tensor sigmoid(Tensor x) { return unary(Epilogue.SIGMOID, x, Tensor.zeros(floatDtype("Kernels.sigmoid", x), x.shape())); }
    public static Tensor tanh(Tensor x) { return unary(Epilogue.TANH, x, Tensor.zeros(floatDtype("Kernels.tanh", x), x.shape())); }

    /** {@code out = relu(x)}; {@code out} may be {@code x}. */
    public static void reluInto(Tensor x, Tensor out) { unary(Epilogue.RELU, x, out); }
    public static void geluInto(Tensor x, Tensor out) { unary(Epilogue.GELU, x, out); }
    public static void sigmoidInto(Tensor x, Tensor out) { unary(Epilogue.SIGMOID, x, out); }
    public static void tanhInto(Tensor x, Tensor out) { unary(Epilogue.TANH, x, out); }

    /** {@code Kernels.relu}, ... by the activation's ordinal: error messages' prefixes, made once rather than per call. */
    private static final String[] UNARY_WHERE = java.util.Arrays.stream(Epilogue.values())
            .map(e -> "Kernels." + e.name().toLowerCase()).toArray(String[]::new);

    private static Tensor unary(Epilogue act, Tensor x, Tensor out) {
        String where = UNARY_WHERE[act.ordinal()];
        if (!x.sameShape(out)) {
            throw new IllegalArgumentException(where + ": out has shape " + Tensor.shapeString(out.shape()) + " but x has shape "
                    + Tensor.shapeString(x.shape()));
        }
        checkOutDtype(where, floatDtype(where, x), out);
        if (x.dtype() == DType.F64) {
            double[] a = x.doubles(), o = out.doubles();
            Parallel.forRange(x.size(), UNARY_GRAIN, (from, to) -> Activations.map(act, a, from, o, from, to - from));
            return out;
        }
        float[] a = x.data(), o = out.data();
        Parallel.forRange(x.size(), UNARY_GRAIN, (from, to) -> Activations.map(act, a, from, o, from, to - from));
        return out;
    }

    /** The error function; absolute error below 1e-6 everywhere (Abramowitz-Stegun 7.1.26). */
    public static float erf(float x) { return Activations.erf(x); }

    /** {@code 0.5 * x * (1 + erf(x / sqrt 2))}. */
    public static float gelu(float x) { return Activations.gelu(x); }

    /** {@code 1 / (1 + exp(-x))}. */
    public static float sigmoid(float x) { return Activations.sigmoid(x); }

    /** {@link #gelu(float)} in double precision (erf to full double accuracy). */
    public static double gelu(double x) { return Activations.gelu(x); }

    /** {@link #sigmoid(float)} in double precision. */
    public static double sigmoid(double x) { return Activations.sigmoid(x); }

    // ---------------------------------------------------------------- softmax, transpose, reductions

    /** Softmax along {@code axis} (negative counts from the end), subtracting the max for stability. */
    public static Tensor softmax(Tensor x, int axis) {
        Tensor out = Tensor.zeros(floatDtype("Kernels.softmax", x), x.shape());
        Softmax.apply(x, axis, out);
        return out;
    }

    /** {@link #softmax} into {@code out}; {@code out} may be {@code x}. */
    public static void softmaxInto(Tensor x, int axis, Tensor out) { Softmax.apply(x, axis, out); }

    /** Permutes axes: result axis i is input axis {@code perm[i]}. */
    public static Tensor transpose(Tensor x, int... perm) {
        int[] p = Transpose.checkPerm(perm, x.rank());
        Tensor out = Tensor.zeros(floatDtype("Kernels.transpose", x), Transpose.outShape(x.shape(), p));
        Transpose.apply(x, p, out);
        return out;
    }

    /** Swaps two axes (negative counts from the end). */
    public static Tensor transpose(Tensor x, int axis0, int axis1) { return transpose(x, swapPerm(x.rank(), axis0, axis1)); }

    /** {@link #transpose(Tensor, int...)} into {@code out}, which must not share storage with {@code x}. */
    public static void transposeInto(Tensor x, int[] perm, Tensor out) { Transpose.apply(x, perm, out); }

    /** {@link #transpose(Tensor, int, int)} into {@code out}. */
    public static void transposeInto(Tensor x, int axis0, int axis1, Tensor out) {
        Transpose.apply(x, swapPerm(x.rank(), axis0, axis1), out);
    }

    private static int[] swapPerm(int rank, int axis0, int axis1) {
        int a0 = Tensor.normalizeAxis("Kernels.transpose", axis0, rank), a1 = Tensor.normalizeAxis("Kernels.transpose", axis1, rank);
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) p[i] = i;
        p[a0] = a1;
        p[a1] = a0;
        return p;
    }

    /** Sum over {@code axes} (negative allowed; empty = all axes). */
    public static Tensor sum(Tensor x, int[] axes, boolean keepDims) {
        Tensor out = Tensor.zeros(floatDtype("Kernels.sum", x), reducedShape("Kernels.sum", x, axes, keepDims));
        Reduce.apply("Kernels.sum", x, axes, keepDims, false, out);
        return out;
    }

    public static void sumInto(Tensor x, int[] axes, boolean keepDims, Tensor out) {
        Reduce.apply("Kernels.sum", x, axes, keepDims, false, out);
    }

    /** Mean over {@code axes} (negative allowed; empty = all axes). */
    public static Tensor mean(Tensor x, int[] axes, boolean keepDims) {
        Tensor out = Tensor.zeros(floatDtype("Kernels.mean", x), reducedShape("Kernels.mean", x, axes, keepDims));
        Reduce.apply("Kernels.mean", x, axes, keepDims, true, out);
        return out;
    }

    public static void meanInto(Tensor x, int[] axes, boolean keepDims, Tensor out) {
        Reduce.apply("Kernels.mean", x, axes, keepDims, true, out);
    }

    private static int[] reducedShape(String where, Tensor x, int[] axes, boolean keepDims) {
        return Reduce.outShape(x.shape(), Reduce.reduced(where, axes, x.rank()), keepDims);
    }

    // ---------------------------------------------------------------- dtypes

    /** The dtype of an allocated result: F64 for F64 input, else F32 (F16/BF16 inputs compute in F32). */
    static DType floatDtype(String where, Tensor x) {
        return switch (x.dtype()) {
            case F64 -> DType.F64;
            case F32, F16, BF16 -> DType.F32;
            default -> throw new IllegalArgumentException(where + ": needs floating-point tensors, got " + x.dtype()
                    + " " + Tensor.shapeString(x.shape()));
        };
    }

    /** The one compute dtype of all operands. @throws IllegalArgumentException naming every dtype if they differ */
    static DType commonDtype(String where, Tensor... operands) {
        DType dt = floatDtype(where, operands[0]);
        for (Tensor t : operands) {
            if (floatDtype(where, t) != dt) {
                StringBuilder sb = new StringBuilder(where).append(": operands have different dtypes (");
                for (int i = 0; i < operands.length; i++) {
                    sb.append(i == 0 ? "" : ", ").append(operands[i].dtype()).append(' ').append(Tensor.shapeString(operands[i].shape()));
                }
                throw new IllegalArgumentException(sb.append("); convert one of them first").toString());
            }
        }
        return dt;
    }

    /** @throws IllegalArgumentException if {@code out} cannot hold results of dtype {@code dt} */
    static void checkOutDtype(String where, DType dt, Tensor out) {
        if (floatDtype(where, out) != dt) {
            throw new IllegalArgumentException(where + ": out is " + out.dtype() + " but the operands compute in " + dt);
        }
    }
}
