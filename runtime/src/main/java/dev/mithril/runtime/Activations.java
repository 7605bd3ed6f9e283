package dev.mithril.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scalar and vector forms of the activation functions, shared by {@link Kernels} and the GEMM epilogue
 * so that fused and unfused code compute bit-for-bit the same function.
 */
final class Activations {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();

    // Abramowitz & Stegun 7.1.26: |error| <= 1.5e-7 on the whole real line, cheap enough to vectorize.
    static final float P = 0.3275911f;
    static final float A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f,
            A4 = -1.453152027f, A5 = 1.061405429f;
    static final float INV_SQRT2 = 0.70710678118654752f;
    /** {@code 1 / sqrt(2 pi)}: the normal density's factor, for the GELU's derivative. */
    static final float INV_SQRT_2PI = 0.3989422804014327f;

    private Activations() {}

    static float erf(float x) {
        float ax = Math.abs(x);
        float t = 1f / (1f + P * ax);
        float poly = ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t;
        float y = 1f - poly * (float) Math.exp(-(double) ax * ax);
        return Math.copySign(y, x);
    }

    static float gelu(float x) { return 0.5f * x * (1f + erf(x * INV_SQRT2)); }

    /** {@link VectorMath#sigmoid(float)}: the vector loops' lanes and their scalar tails agree bit for bit. */
    static float sigmoid(float x) { return VectorMath.sigmoid(x); }

    /** {@link VectorMath#tanh(float)}, likewise. */
    static float tanh(float x) { return VectorMath.tanh(x); }

    static float relu(float x) { return x > 0f ? x : 0f; }

    /**
     * Applies {@code act} in place to {@code n} values starting at {@code off}.
     *
     * <p>Each activation is one loop whose vector expression is written out in full, with no vector-valued helper
     * call: C2 boxes a vector that crosses a call it did not inline (and it declines to inline a helper that was
     * already compiled on its own into a "medium method"), which costs a heap allocation per vector and runs the
     * Vector API's Java fallback. Arrays go in, arrays come out.
     */
    static void apply(Epilogue act, float[] a, int off, int n) {
        switch (act) {
            case NONE, BIAS -> { }
            case RELU, BIAS_RELU -> reluInPlace(a, off, n);
            case GELU, BIAS_GELU -> geluInPlace(a, off, n);
            case SIGMOID, BIAS_SIGMOID -> sigmoidInPlace(a, off, n);
            case TANH, BIAS_TANH -> tanhInPlace(a, off, n);
        }
    }

    static void reluInPlace(float[] a, int off, int n) {
        int i = 0;
        for (; i <= n - V; i += V) FloatVector.fromArray(S, a, off + i).max(0f).intoArray(a, off + i);
        for (; i < n; i++) a[off + i] = relu(a[off + i]);
    }

    /** {@code 0.5 x (1 + erf(x / sqrt 2))} with the vector form of {@link #erf(float)} written in line. */
    static void geluInPlace(float[] a, int off, int n) {
        int bound = n - n % V;
        float[] e = Scratch.floats(Scratch.GELU_EXP, VectorMath.PIECE);
        for (int c = 0; c < bound; c += VectorMath.PIECE) { // e^(-z^2) for a piece, then the rest
            int len = Math.min(VectorMath.PIECE, bound - c);
            gaussianPiece(a, off + c, len, e);
            for (int i = 0; i < len; i += V) {
                FloatVector x = FloatVector.fromArray(S, a, off + c + i);
                FloatVector z = x.mul(INV_SQRT2), az = z.abs();
                FloatVector t = FloatVector.broadcast(S, 1f).div(az.fma(P, 1f));
                FloatVector poly = t.fma(A5, A4).fma(t, FloatVector.broadcast(S, A3)).fma(t, FloatVector.broadcast(S, A2))
                        .fma(t, FloatVector.broadcast(S, A1)).mul(t);
                FloatVector y = FloatVector.broadcast(S, 1f).sub(poly.mul(FloatVector.fromArray(S, e, i)));
                FloatVector erf = y.blend(y.neg(), z.compare(VectorOperators.LT, 0f));
                x.mul(0.5f).mul(erf.add(1f)).intoArray(a, off + c + i);
            }
        }
        for (int i = bound; i < n; i++) a[off + i] = gelu(a[off + i]);
    }

    /**
     * {@code e[i] = e^(-z^2)} with {@code z = x[off + i] / sqrt 2}, for {@code i < len} (whole vectors): the factor of
     * the erf approximation and of the normal density that GELU and its gradient share, through
     * {@link VectorMath#expInto} so that it is the same in every JIT tier.
     */
    static void gaussianPiece(float[] x, int off, int len, float[] e) {
        for (int i = 0; i < len; i += V) {
            FloatVector az = FloatVector.fromArray(S, x, off + i).mul(INV_SQRT2).abs();
            az.mul(az).intoArray(e, i);
        }
        VectorMath.expInto(e, 0, -1f, 0f, e, 0, len);
    }

    static void sigmoidInPlace(float[] a, int off, int n) {
        VectorMath.sigmoidInto(a, off, a, off, n);
    }

    static void tanhInPlace(float[] a, int off, int n) {
        VectorMath.tanhInto(a, off, a, off, n);
    }

    /** {@code dst[i] = act(src[i])} for {@code n} values; {@code dst} may be {@code src}. */
    static void map(Epilogue act, float[] src, int so, float[] dst, int dO, int n) {
        if (src != dst || so != dO) System.arraycopy(src, so, dst, dO, n);
        apply(act, dst, dO, n);
    }

    // ---------------------------------------------------------------- F64

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    /**
     * The error function to double precision. For |x| < 6 the series
     * {@code erf x = 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1))} has only positive terms, so it
     * keeps full relative precision (no cancellation); beyond 6, erf is 1 in double.
     */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax >= 6) return Math.copySign(1.0, x);
        double x2 = ax * ax, term = ax, sum = ax;
        for (int n = 1; term > sum * 1e-17; n++) {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
        }
        return Math.copySign(Math.min(1.0, TWO_OVER_SQRT_PI * Math.exp(-x2) * sum), x);
    }

    static double gelu(double x) { return 0.5 * x * (1 + erf(x * 0.7071067811865476)); }

    static double sigmoid(double x) { return 1 / (1 + Math.exp(-x)); }

    static double apply(Epilogue act, double x) {
        return switch (act) {
            case NONE, BIAS -> x;
            case RELU, BIAS_RELU -> x > 0 ? x : 0.0;
            case GELU, BIAS_GELU -> gelu(x);
            case SIGMOID, BIAS_SIGMOID -> sigmoid(x);
            case TANH, BIAS_TANH -> Math.tanh(x);
        };
    }

    /** {@code dst[i] = act(src[i])} for {@code n} doubles; {@code dst} may be {@code src}. */
    static void map(Epilogue act, double[] src, int so, double[] dst, int dO, int n) {
        for (int i = 0; i < n; i++) dst[dO + i] = apply(act, src[so + i]);
    }
}
