package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Plain, obviously correct reference code and comparison helpers for the kernel tests. */
final class Ref {
    private Ref() {}

    static int size(int[] s) {
        int n = 1;
        for (int d : s) n *= d;
        return n;
    }

    static int[] strides(int[] s) {
        int[] st = new int[s.length];
        for (int i = s.length - 1, acc = 1; i >= 0; acc *= s[i], i--) st[i] = acc;
        return st;
    }

    /** Multi-index of flat position {@code flat} in shape {@code s}. */
    static int[] unravel(int flat, int[] s) {
        int[] idx = new int[s.length];
        for (int i = s.length - 1; i >= 0; i--) {
            idx[i] = flat % s[i];
            flat /= s[i];
        }
        return idx;
    }

    /** Value of {@code t} at the (right-aligned, broadcast) index {@code outIdx}. */
    static float broadcastGet(Tensor t, int[] outIdx) {
        int[] s = t.shape();
        int off = 0;
        int[] st = strides(s);
        for (int i = 0; i < s.length; i++) {
            int j = outIdx[outIdx.length - s.length + i];
            off += (s[i] == 1 ? 0 : j) * st[i];
        }
        return t.data()[off];
    }

    /** Asserts |actual - expected| <= tol * max(1, max |expected|). */
    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        if (expected.length != actual.length) fail(what + ": length " + actual.length + " != " + expected.length);
        double max = 1;
        for (float e : expected) max = Math.max(max, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs((double) expected[i] - actual[i]);
            if (!(err <= tol * max)) fail(what + ": at " + i + " expected " + expected[i] + " but got " + actual[i] + " (tol " + tol * max + ")");
        }
    }

    static void assertShape(int[] expected, Tensor t) { assertArrayEquals(expected, t.shape(), "shape of " + t); }

    /** c = op(A) op(B) in double, row-major, with BLAS-style leading dims. */
    static double[] gemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    float av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += (double) av * bv;
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    static float[] randomArray(long seed, int n) { return Tensor.random(seed, n).data(); }

    static double erf(double x) {
        // Math has no erf: sum the Taylor series in double for |x| < 3 (converges well there) and use
        // the asymptotic erfc expansion beyond, where it is accurate to better than 1e-9.
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double term = ax, sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= -ax * ax / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17) break;
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) ~ exp(-x^2)/(x sqrt(pi)) * (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6)); error < 1e-9 here
            double x2 = ax * ax;
            double erfc = Math.exp(-x2) / (ax * Math.sqrt(Math.PI)) * (1 - 1 / (2 * x2) + 3 / (4 * x2 * x2) - 15 / (8 * x2 * x2 * x2));
            r = 1 - erfc;
        }
        return Math.copySign(r, x);
    }
}
