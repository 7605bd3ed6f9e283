package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.DoubleSupplier;

/** Helpers for kernels that run in F32 and F64: random inputs, comparison to double references, finite differences. */
final class NumericCheck {
    private NumericCheck() {}

    /** Standard-normal values (the same numbers for both dtypes, rounded to float). */
    static Tensor randn(DType dtype, long seed, int... shape) {
        Tensor f = Tensor.randn(seed, shape);
        return dtype == DType.F32 ? f : of(dtype, values(f), shape);
    }

    static Tensor of(DType dtype, double[] v, int... shape) {
        if (dtype == DType.F64) return Tensor.of(v.clone(), shape);
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return Tensor.of(f, shape);
    }

    /** The values of an F32 or F64 tensor in double. */
    static double[] values(Tensor t) {
        if (t.dtype() == DType.F64) return t.doubles().clone();
        float[] f = t.data();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** Tolerance for a dtype: loose for F32, tight for F64 (whose kernels differ from references only in order). */
    static double tol(DType dtype, double f32) { return dtype == DType.F32 ? f32 : 1e-10; }

    /** Asserts |actual - expected| <= tol * max(1, max |expected|) element by element. */
    static void assertClose(double[] expected, Tensor actual, double tol, String what) {
        double[] a = values(actual);
        if (a.length != expected.length) fail(what + ": " + a.length + " values, expected " + expected.length);
        double max = 1;
        for (double e : expected) max = Math.max(max, Math.abs(e));
        for (int i = 0; i < a.length; i++) {
            double err = Math.abs(expected[i] - a[i]);
            if (!(err <= tol * max)) fail(what + ": at " + i + " expected " + expected[i] + " but got " + a[i] + " (tol " + tol * max + ")");
        }
    }

    /** Central differences of {@code loss} with respect to every value of the F64 tensor {@code x} (restored after). */
    static double[] numericGrad(Tensor x, DoubleSupplier loss) {
        double[] v = x.doubles(), g = new double[v.length];
        double h = 1e-6;
        for (int i = 0; i < v.length; i++) {
            double old = v[i];
            v[i] = old + h;
            double up = loss.getAsDouble();
            v[i] = old - h;
            double down = loss.getAsDouble();
            v[i] = old;
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    /** {@code sum(w * y)}: a scalar loss whose gradient with respect to {@code y} is {@code w}. */
    static double weighted(Tensor y, Tensor w) {
        double[] a = values(y), b = values(w);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
