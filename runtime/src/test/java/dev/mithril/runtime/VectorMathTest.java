package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * {@link VectorMath}: sums in the documented order (checked against a scalar butterfly over many calls, so across the
 * JIT's tiers), the transcendental functions against {@code Math} and against their scalar twins bit for bit, and
 * their special values ({@link KernelAllocationTest}: the kernels built on them box nothing).
 */
class VectorMathTest {
    private static final int FV = VectorMath.F.length(), DV = VectorMath.D.length();

    /** Random floats of very different magnitudes and both signs, so that the order of a sum shows in its bits. */
    private static float[] spread(long seed, int n) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * Math.exp(r.nextGaussian() * 4));
        return a;
    }

    @Test
    void sumsFollowTheButterflyOnEveryCall() {
        float[] a = spread(1, FV * 64);
        double[] d = new double[DV * 64];
        for (int i = 0; i < d.length; i++) d[i] = a[i % a.length] * (1 + 1e-9 * i);
        int orderShows = 0;
        for (int call = 0; call < 3000; call++) { // the first calls run interpreted, the last compiled
            for (int v = 0; v < 64; v++) {
                float got = VectorMath.sum(FloatVector.fromArray(VectorMath.F, a, v * FV));
                float want = VectorMath.sumInOrder(a, v * FV, FV);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), "float sum of vector " + v + ", call " + call);
                double gd = VectorMath.sum(DoubleVector.fromArray(VectorMath.D, d, v * DV));
                assertEquals(Double.doubleToRawLongBits(VectorMath.sumInOrder(d, v * DV, DV)), Double.doubleToRawLongBits(gd),
                        "double sum of vector " + v + ", call " + call);
                if (call == 0) {
                    float sequential = 0f;
                    for (int i = 0; i < FV; i++) sequential += a[v * FV + i];
                    if (sequential != want) orderShows++;
                }
            }
        }
        if (FV >= 4) assertTrue(orderShows > 10, "the data tells orders apart: " + orderShows + " of 64 sums differ from lane-by-lane");
    }

    @Test
    void sumsIntoGivesEachVectorsSumInTheSameOrder() {
        for (int n : new int[] {1, 3, 4, 5, 8, 10, 16, 20, 33}) {
            for (int off : new int[] {0, 3, 16}) {
                float[] src = spread(10 + n, off + VectorMath.groupedLength(n, FV));
                for (int call = 0; call < 300; call++) {
                    float[] t = src.clone();
                    VectorMath.sumsInto(t, off, n);
                    for (int r = 0; r < n; r++) {
                        assertEquals(Float.floatToRawIntBits(VectorMath.sumInOrder(src, off + r * FV, FV)), Float.floatToRawIntBits(t[off + r]),
                                "n=" + n + " off=" + off + " vector " + r);
                    }
                }
                double[] dsrc = new double[off + VectorMath.groupedLength(n, DV)];
                for (int i = 0; i < dsrc.length; i++) dsrc[i] = src[i % src.length] * 1.000001;
                double[] dt = dsrc.clone();
                VectorMath.sumsInto(dt, off, n);
                for (int r = 0; r < n; r++) {
                    assertEquals(VectorMath.sumInOrder(dsrc, off + r * DV, DV), dt[off + r], 0.0, "double n=" + n + " vector " + r);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> VectorMath.sumInOrder(new float[6], 0, 6));
    }

    /** ulps of the float nearest x between got and x (0 where both overflow to the same infinity). */
    private static double ulps(float got, double x) {
        float want = (float) x;
        if (Float.isInfinite(want)) return got == want ? 0 : Math.abs(got - x) / Math.ulp(Float.MAX_VALUE);
        if (Float.isInfinite(got)) return Double.POSITIVE_INFINITY;
        return Math.abs(got - x) / Math.ulp(want == 0f ? Float.MIN_VALUE : want);
    }

    /** An array-level function of VectorMath: {@code o[oOff + i] = f(a[aOff + i])}. */
    private interface ArrayFn { void apply(float[] a, int aOff, float[] o, int oOff, int n); }

    private static final ArrayFn EXP = (a, ao, o, oo, n) -> VectorMath.expInto(a, ao, 1f, 0f, o, oo, n);

    /**
     * Every 997th float magnitude up to max(-lo, hi), by bit pattern, with either sign where in [lo, hi], through the
     * array form in batches of 1,001 (whole vectors and a tail), in place every other batch: each result equals the
     * scalar twin's bits; the worst distance from {@code exact} in ulps.
     */
    private static double worstUlps(float lo, float hi, ArrayFn f, java.util.function.DoubleUnaryOperator scalarTwin,
                                    java.util.function.DoubleUnaryOperator exact) {
        float[] x = new float[1001], y = new float[1001];
        double worst = 0;
        int top = Float.floatToIntBits(Math.max(-lo, hi)), filled = 0, batches = 0;
        for (int bits = 0; bits <= top; bits += 997) {
            for (int sign = 0; sign < 2; sign++) {
                float v = Float.intBitsToFloat(bits) * (sign == 0 ? 1 : -1);
                if (v < lo || v > hi) continue;
                x[filled++] = v;
                if (filled < x.length && !(bits + 997 > top && sign == 1)) continue;
                float[] in = x.clone();
                float[] out = batches++ % 2 == 0 ? y : x; // in place every other batch
                f.apply(x, 0, out, 0, filled);
                for (int i = 0; i < filled; i++) {
                    float twin = (float) scalarTwin.applyAsDouble(in[i]);
                    assertEquals(Float.floatToRawIntBits(twin), Float.floatToRawIntBits(out[i]), "array form and scalar at " + in[i] + ", element " + i);
                    if (Float.isNaN(out[i])) fail("NaN at " + in[i]);
                    worst = Math.max(worst, ulps(out[i], exact.applyAsDouble(in[i])));
                }
                filled = 0;
            }
        }
        return worst;
    }

    @Test
    void expIsWithinTwoUlpsAndItsScalarTwinIsBitEqual() {
        double worst = worstUlps(-86.98f, 89f, EXP, x -> VectorMath.exp((float) x), Math::exp);
        assertTrue(worst <= 2.0, "exp: worst " + worst + " ulp");
        // small arguments, where e^x is nearly 1
        assertTrue(worstUlps(-1e-3f, 1e-3f, EXP, x -> VectorMath.exp((float) x), Math::exp) <= 1.0);
        // the argument as one fused multiply-add: e^(scale x - shift)
        float[] a = {0.5f, -3f, 10f}, o = new float[3];
        VectorMath.expInto(a, 0, -2f, 1.5f, o, 0, 3);
        for (int i = 0; i < 3; i++) assertEquals(VectorMath.exp(Math.fma(a[i], -2f, -1.5f)), o[i], 0f);
    }

    /**
     * Below about -86.99 (n = round(x log2 e) under -125) e^x is flushed to 0: every float argument from -120 to -86
     * gives either 0 or a normal float within 2 ulp of e^x, 0 for all below -86.99 and a normal float for all from
     * -86.98 up, in the array form and the scalar twin alike. A subnormal result would make the kernels that read it
     * slow (a microcode assist per multiply) for a value under 1.2e-38.
     */
    @Test
    void expFlushesWhatWouldBeSubnormalToZero() {
        float[] x = new float[4096], y = new float[4096];
        int filled = 0, zeros = 0, normals = 0;
        for (float v = -120f; v <= -86f; v = Math.nextUp(v)) {
            x[filled++] = v;
            if (filled < x.length && Math.nextUp(v) <= -86f) continue;
            VectorMath.expInto(x, 0, 1f, 0f, y, 0, filled);
            for (int i = 0; i < filled; i++) {
                float got = y[i];
                assertEquals(Float.floatToRawIntBits(VectorMath.exp(x[i])), Float.floatToRawIntBits(got), "array form and scalar at " + x[i]);
                if (got == 0f) {
                    zeros++;
                    assertTrue(x[i] < -86.98f, "0 at " + x[i]);
                } else {
                    normals++;
                    assertTrue(got >= Float.MIN_NORMAL && x[i] > -86.99f, "e^" + x[i] + " = " + got);
                    assertTrue(ulps(got, Math.exp(x[i])) <= 2.0, "e^" + x[i] + " = " + got + " against " + Math.exp(x[i]));
                }
            }
            filled = 0;
        }
        assertTrue(zeros > 1_000_000 && normals > 100_000, zeros + " zeros, " + normals + " normal results");
    }

    @Test
    void expSpecialValues() {
        float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1f, VectorMath.EXP_HI,
                Math.nextUp(VectorMath.EXP_HI), -86.98f, -87f, -90f, -100f, 88f, 1000f, -1000f, 0.5f, -1e30f, 1e30f};
        float[] want = {Float.NaN, Float.POSITIVE_INFINITY, 0f, 1f, 1f, (float) Math.E, Float.POSITIVE_INFINITY,
                Float.POSITIVE_INFINITY, (float) Math.exp(-86.98f), 0f, 0f, 0f, (float) Math.exp(88),
                Float.POSITIVE_INFINITY, 0f, (float) Math.exp(0.5), 0f, Float.POSITIVE_INFINITY};
        for (int i = 0; i < x.length; i++) {
            float got = VectorMath.exp(x[i]);
            if (Float.isNaN(want[i])) { assertTrue(Float.isNaN(got), "exp(NaN)"); continue; }
            if (want[i] == 0f || Float.isInfinite(want[i])) assertEquals(want[i], got, 0f, "exp(" + x[i] + ")");
            else assertTrue(ulps(got, Math.exp(x[i])) <= 2.0, "exp(" + x[i] + ") = " + got + " against " + Math.exp(x[i]));
            float[] lanes = new float[FV + 1];
            java.util.Arrays.fill(lanes, x[i]);
            EXP.apply(lanes, 0, lanes, 0, FV + 1);
            assertEquals(Float.floatToRawIntBits(got), Float.floatToRawIntBits(lanes[FV - 1]), "vector exp(" + x[i] + ")");
        }
        float last = Math.nextDown(VectorMath.EXP_HI); // e^EXP_HI itself rounds past Float.MAX_VALUE
        assertTrue(Float.isFinite(VectorMath.exp(last)) && ulps(VectorMath.exp(last), Math.exp(last)) <= 2.0, "the largest finite result");
    }

    @Test
    void tanhAndSigmoidAreWithinAFewUlpsOddAndSaturate() {
        double tanhWorst = worstUlps(-12f, 12f, VectorMath::tanhInto, x -> VectorMath.tanh((float) x), Math::tanh);
        assertTrue(tanhWorst <= 3.0, "tanh: worst " + tanhWorst + " ulp");
        double sigWorst = worstUlps(-80f, 80f, VectorMath::sigmoidInto, x -> VectorMath.sigmoid((float) x), x -> 1 / (1 + Math.exp(-x)));
        assertTrue(sigWorst <= 3.0, "sigmoid: worst " + sigWorst + " ulp");
        for (float x : new float[] {1e-30f, 0.3f, 0.624f, 0.625f, 0.626f, 2f, 9f, 50f}) {
            assertEquals(-VectorMath.tanh(x), VectorMath.tanh(-x), 0f, "tanh is odd at " + x);
        }
        assertEquals(1f, VectorMath.tanh(Float.POSITIVE_INFINITY), 0f);
        assertEquals(-1f, VectorMath.tanh(Float.NEGATIVE_INFINITY), 0f);
        assertEquals(1f, VectorMath.tanh(100f), 0f);
        assertTrue(Float.isNaN(VectorMath.tanh(Float.NaN)));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(VectorMath.tanh(-0f)), "tanh(-0) = -0");
        assertEquals(0f, VectorMath.sigmoid(-200f), 0f);
        assertEquals(1f, VectorMath.sigmoid(200f), 0f);
        assertEquals(0.5f, VectorMath.sigmoid(0f), 0f);
    }
}
