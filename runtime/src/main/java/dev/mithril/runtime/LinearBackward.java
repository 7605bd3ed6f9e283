package dev.mithril.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The backward pass of a linear layer {@code y = act(x · wᵀ + b)} in float32, as fully optimized training code
 * calls it: the input gradient with the activation's derivative applied while the product is still in cache,
 * and the weight and bias gradients added straight into their accumulators (no temporary, no extra pass).
 * Allocates nothing.
 *
 * <pre>{@code
 * // dPre = relu'(h) ⊙ (dY · w), product computed in row panels into scratch, masked while hot
 * LinearBackward.inputGradient(dY, m, n, w, k, LinearBackward.Activation.RELU, h, scratch, dPre);
 * LinearBackward.weightGradient(dPre, m, k, x, kx, wGrad);   // wGrad += dPreᵀ · x
 * LinearBackward.biasGradient(dPre, m, k, bGrad);            // bGrad += column sums of dPre
 * }</pre>
 */
public final class LinearBackward {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    /** Floats of product a panel holds (1 MiB): small enough to stay in L2 until it is masked. */
    private static final int PANEL_FLOATS = 1 << 18;

    private LinearBackward() {}

    /** The activation whose derivative {@link #inputGradient} applies, and what its operand is. */
    public enum Activation {
        /** {@code g} where the ReLU's output {@code y > 0}: operand is the output. */
        RELU,
        /** {@code g · y · (1 - y)}: operand is the sigmoid's output. */
        SIGMOID,
        /** {@code g · (1 - y²)}: operand is the tanh's output. */
        TANH,
        /**
         * {@code g · (Φ(x) + x·φ(x))}: operand is the GELU's input (vectorized with the forward pass's erf taken as
         * erfc, within 2e-7 of the exact derivative; the scalar tail is {@link Gradients#geluGrad(float, float)}).
         */
        GELU
    }

    /**
     * {@code out[m][k] = act'(y) ⊙ (g[m][n] · w[n][k])}: the gradient with respect to a layer's pre-activation
     * from the gradient {@code g} of the next layer's output and its weight {@code w} (row-major, PyTorch layout).
     * The product goes into {@code scratch} (m x k) one panel of rows at a time, each panel multiplied by the
     * derivative right after its GEMM, while it is in cache. {@code out} may be {@code y} (in place) or
     * {@code scratch}, but must not overlap {@code g} or {@code w}.
     */
    public static void inputGradient(float[] g, int m, int n, float[] w, int k, Activation act, float[] y, float[] scratch,
                                     float[] out) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("LinearBackward.inputGradient: negative size m=" + m
                + ", n=" + n + ", k=" + k);
        check("g", g, (long) m * n);
        check("w", w, (long) n * k);
        check("y", y, (long) m * k);
        check("scratch", scratch, (long) m * k);
        check("out", out, (long) m * k);
        if (m == 0 || k == 0) return;
        int rows = Math.max(1, Math.min(m, PANEL_FLOATS / k));
        for (int r = 0; r < m; r += rows) {
            int mr = Math.min(rows, m - r);
            int off = r * k;
            Gemm.sgemm(false, false, mr, k, n, 1f, g, r * n, n, w, 0, k, 0f, scratch, off, k);
            apply(act, y, scratch, out, off, mr * k);
        }
    }

    /** {@code wGrad[n][k] += g[m][n]ᵀ · x[m][k]}: the weight gradient accumulated by the GEMM itself (beta = 1). */
    public static void weightGradient(float[] g, int m, int n, float[] x, int k, float[] wGrad) {
        check("g", g, (long) m * n);
        check("x", x, (long) m * k);
        check("wGrad", wGrad, (long) n * k);
        Gemm.sgemm(true, false, n, k, m, 1f, g, 0, n, x, 0, k, 1f, wGrad, 0, k);
    }

    /** {@code bGrad[j] += Σ_i g[i][j]} for a row-major {@code g[m][n]}: the bias gradient, accumulated. */
    public static void biasGradient(float[] g, int m, int n, float[] bGrad) {
        check("g", g, (long) m * n);
        check("bGrad", bGrad, n);
        int j = 0;
        // Four vectors of columns at a time: each row's values are read once, sums stay in registers down the rows.
        for (; j <= n - 4 * V; j += 4 * V) {
            FloatVector s0 = FloatVector.fromArray(S, bGrad, j), s1 = FloatVector.fromArray(S, bGrad, j + V);
            FloatVector s2 = FloatVector.fromArray(S, bGrad, j + 2 * V), s3 = FloatVector.fromArray(S, bGrad, j + 3 * V);
            for (int i = 0, o = j; i < m; i++, o += n) {
                s0 = s0.add(FloatVector.fromArray(S, g, o));
                s1 = s1.add(FloatVector.fromArray(S, g, o + V));
                s2 = s2.add(FloatVector.fromArray(S, g, o + 2 * V));
                s3 = s3.add(FloatVector.fromArray(S, g, o + 3 * V));
            }
            s0.intoArray(bGrad, j);
            s1.intoArray(bGrad, j + V);
            s2.intoArray(bGrad, j + 2 * V);
            s3.intoArray(bGrad, j + 3 * V);
        }
        for (; j <= n - V; j += V) {
            FloatVector s = FloatVector.fromArray(S, bGrad, j);
            for (int i = 0, o = j; i < m; i++, o += n) s = s.add(FloatVector.fromArray(S, g, o));
            s.intoArray(bGrad, j);
        }
        for (; j < n; j++) {
            float s = bGrad[j];
            for (int i = 0, o = j; i < m; i++, o += n) s += g[o];
            bGrad[j] = s;
        }
    }

    /**
     * {@code out[off + i] = act'(y[off + i]) · g[off + i]} for {@code i < len}, vectorized; {@code out} may be
     * {@code y} or {@code g}. Each activation is its own loop with the vector expression written in line, so that
     * C2 keeps the vectors in registers (see {@link Activations}).
     */
    public static void apply(Activation act, float[] y, float[] g, float[] out, int off, int len) {
        int i = 0;
        switch (act) {
            case RELU -> {
                for (; i <= len - V; i += V) {
                    FloatVector yv = FloatVector.fromArray(S, y, off + i), gv = FloatVector.fromArray(S, g, off + i);
                    FloatVector.zero(S).blend(gv, yv.compare(VectorOperators.GT, 0f)).intoArray(out, off + i);
                }
                for (; i < len; i++) out[off + i] = Gradients.reluGrad(y[off + i], g[off + i]);
            }
            case SIGMOID -> {
                for (; i <= len - V; i += V) {
                    FloatVector yv = FloatVector.fromArray(S, y, off + i), gv = FloatVector.fromArray(S, g, off + i);
                    gv.mul(yv).mul(yv.neg().add(1f)).intoArray(out, off + i);
                }
                for (; i < len; i++) out[off + i] = Gradients.sigmoidGrad(y[off + i], g[off + i]);
            }
            case TANH -> {
                for (; i <= len - V; i += V) {
                    FloatVector yv = FloatVector.fromArray(S, y, off + i), gv = FloatVector.fromArray(S, g, off + i);
                    gv.mul(yv.mul(yv).neg().add(1f)).intoArray(out, off + i);
                }
                for (; i < len; i++) out[off + i] = Gradients.tanhGrad(y[off + i], g[off + i]);
            }
            case GELU -> {
                // Φ(x) = (1 + erf(z)) / 2 with z = x / sqrt 2, and φ(x) = exp(-z²) / sqrt(2π): one exp serves both,
                // taken for a piece of the row at a time through VectorMath.expInto into a scratch piece
                float[] es = Scratch.floats(Scratch.GELU_EXP, VectorMath.PIECE);
                int bound = len - len % V;
                for (int c = 0; c < bound; c += VectorMath.PIECE) {
                    int pl = Math.min(VectorMath.PIECE, bound - c);
                    Activations.gaussianPiece(y, off + c, pl, es);
                    for (int q = 0; q < pl; q += V) geluGradVector(y, g, out, off + c + q, es, q);
                }
                i = bound;
                for (; i < len; i++) out[off + i] = Gradients.geluGrad(y[off + i], g[off + i]);
            }
        }
    }

    /** One vector of the GELU's gradient at {@code at}, with e^(-z^2) at {@code es[eOff]}. */
    private static void geluGradVector(float[] y, float[] g, float[] out, int at, float[] es, int eOff) {
        FloatVector x = FloatVector.fromArray(S, y, at), gv = FloatVector.fromArray(S, g, at);
        FloatVector z = x.mul(Activations.INV_SQRT2), az = z.abs();
        FloatVector t = FloatVector.broadcast(S, 1f).div(az.fma(Activations.P, 1f));
        FloatVector poly = t.fma(Activations.A5, Activations.A4).fma(t, FloatVector.broadcast(S, Activations.A3))
                .fma(t, FloatVector.broadcast(S, Activations.A2)).fma(t, FloatVector.broadcast(S, Activations.A1)).mul(t);
        FloatVector e = FloatVector.fromArray(S, es, eOff);
        FloatVector half = poly.mul(e).mul(0.5f); // Φ(-|x|), at its own scale in the left tail
        FloatVector cdf = FloatVector.broadcast(S, 1f).sub(half).blend(half, z.compare(VectorOperators.LT, 0f));
        FloatVector pdf = e.mul(Activations.INV_SQRT_2PI);
        gv.mul(x.fma(pdf, cdf)).intoArray(out, at);
    }

    private static void check(String what, float[] a, long need) {
        if (a == null) throw new IllegalArgumentException("LinearBackward: " + what + " is null");
        if (a.length < need) throw new IllegalArgumentException("LinearBackward: " + what + " holds " + a.length
                + " floats but needs " + need);
    }
}
