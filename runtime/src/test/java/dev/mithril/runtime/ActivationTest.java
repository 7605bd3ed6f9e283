package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

class ActivationTest {
    @Test void erfIsAccurate() {
        double worst = 0;
        for (int i = -600_000; i <= 600_000; i++) {
            float x = i * 1e-5f;
            worst = Math.max(worst, Math.abs(Kernels.erf(x) - Ref.erf(x)));
        }
        for (float x : new float[] {8f, -8f, 30f, -1e30f, Float.MAX_VALUE, Float.MIN_VALUE, 1e-30f}) {
            worst = Math.max(worst, Math.abs(Kernels.erf(x) - Ref.erf(x)));
        }
        assertTrue(worst < 1e-6, "max abs error " + worst);
        assertEquals(0f, Kernels.erf(0f));
        assertEquals(1f, Kernels.erf(Float.POSITIVE_INFINITY));
        assertEquals(-1f, Kernels.erf(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(Kernels.erf(Float.NaN)));
    }

    @Test void scalarHelpers() {
        assertEquals(0.8413447460685429 * 1.0, Kernels.gelu(1f), 1e-6);
        assertEquals(-0.15865525393145707, Kernels.gelu(-1f), 1e-6);
        assertEquals(0.7310585786300049, Kernels.sigmoid(1f), 1e-7);
        assertEquals(0f, Kernels.sigmoid(-1000f));
        assertEquals(1f, Kernels.sigmoid(1000f));
    }

    @Test void vectorKernelsMatchDoubleReference() {
        for (int n : new int[] {1, 7, 13, 16, 31, 97, 1000, 40_001}) {
            Tensor x = Tensor.randn(n, n);
            float[] d = x.data();
            for (int i = 0; i < d.length; i++) d[i] *= 4; // reach the tails of every function
            if (n > 3) { d[0] = 0f; d[1] = -30f; d[2] = 30f; }
            check("relu", x, Kernels.relu(x), v -> Math.max(0, v), 0);
            check("gelu", x, Kernels.gelu(x), v -> 0.5 * v * (1 + Ref.erf(v / Math.sqrt(2))), 2e-6);
            check("sigmoid", x, Kernels.sigmoid(x), v -> 1 / (1 + Math.exp(-v)), 1e-6);
            check("tanh", x, Kernels.tanh(x), Math::tanh, 1e-6);
        }
    }

    private static void check(String name, Tensor x, Tensor y, DoubleUnaryOperator f, double tol) {
        Ref.assertShape(x.shape(), y);
        float[] a = x.data(), b = y.data();
        for (int i = 0; i < a.length; i++) {
            double e = f.applyAsDouble(a[i]);
            assertEquals(e, b[i], tol * Math.max(1, Math.abs(e)), name + "(" + a[i] + ") at " + i + " of " + a.length);
        }
    }

    @Test void inPlaceAndShapeChecks() {
        Tensor x = Tensor.randn(9, 3, 37);
        float[] orig = x.data().clone();
        Kernels.geluInto(x, x);
        for (int i = 0; i < orig.length; i++) assertEquals(Kernels.gelu(orig[i]), x.data()[i], 1e-6);
        Tensor y = Tensor.randn(10, 5, 5);
        Tensor out = Tensor.zeros(5, 5);
        Kernels.reluInto(y, out);
        for (int i = 0; i < 25; i++) assertEquals(Math.max(0, y.data()[i]), out.data()[i]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernels.sigmoidInto(y, Tensor.zeros(25)));
        assertTrue(e.getMessage().contains("sigmoid") && e.getMessage().contains("[25]") && e.getMessage().contains("[5, 5]"), e.getMessage());
    }
}
