package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every {@link Kernels} op on F64 tensors against a plain double-precision reference written here. */
class Float64KernelsTest {
    private static Tensor rand(long seed, int... shape) {
        Tensor t = Tensor.zeros(DType.F64, shape);
        SplittableRandom r = new SplittableRandom(seed);
        double[] d = t.doubles();
        for (int i = 0; i < d.length; i++) d[i] = r.nextDouble() * 4 - 2;
        return t;
    }

    private static void close(double[] expected, Tensor actual, double tol) {
        assertEquals(DType.F64, actual.dtype());
        double[] a = actual.doubles();
        assertEquals(expected.length, a.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(expected[i], a[i], tol * Math.max(1, Math.abs(expected[i])), "element " + i);
        }
    }

    @Test void linearAndMatmul() {
        Tensor x = rand(1, 2, 3, 37), w = rand(2, 70, 37), b = rand(3, 70);
        double[] exp = new double[2 * 3 * 70];
        for (int r = 0; r < 6; r++) for (int o = 0; o < 70; o++) {
            double s = b.doubles()[o];
            for (int i = 0; i < 37; i++) s += x.doubles()[r * 37 + i] * w.doubles()[o * 37 + i];
            exp[r * 70 + o] = s;
        }
        Tensor y = Kernels.linear(x, w, b);
        assertArrayEquals(new int[] {2, 3, 70}, y.shape());
        close(exp, y, 1e-13);

        // Batched matmul with a broadcast batch dimension: [2, 1, 5, 4] x [3, 4, 6] -> [2, 3, 5, 6].
        Tensor a = rand(4, 2, 1, 5, 4), c = rand(5, 3, 4, 6);
        Tensor p = Kernels.matmul(a, c);
        assertArrayEquals(new int[] {2, 3, 5, 6}, p.shape());
        double[] e = new double[2 * 3 * 5 * 6];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int r = 0; r < 5; r++) for (int q = 0; q < 6; q++) {
            double s = 0;
            for (int k = 0; k < 4; k++) s += a.doubles()[(i * 5 + r) * 4 + k] * c.doubles()[(j * 4 + k) * 6 + q];
            e[((i * 3 + j) * 5 + r) * 6 + q] = s;
        }
        close(e, p, 1e-13);
        // Rank-1 right operand: matrix-vector.
        Tensor v = rand(6, 4);
        Tensor mv = Kernels.matmul(rand(7, 3, 4), v);
        assertArrayEquals(new int[] {3}, mv.shape());
        Tensor m3 = rand(7, 3, 4);
        for (int r = 0; r < 3; r++) {
            double s = 0;
            for (int k = 0; k < 4; k++) s += m3.doubles()[r * 4 + k] * v.doubles()[k];
            assertEquals(s, mv.doubles()[r], 1e-13);
        }
    }

    @Test void broadcastingArithmetic() {
        Tensor a = rand(8, 3, 1, 5), b = rand(9, 4, 1);
        for (int op = 0; op < 4; op++) {
            Tensor r = switch (op) {
                case 0 -> Kernels.add(a, b);
                case 1 -> Kernels.sub(a, b);
                case 2 -> Kernels.mul(a, b);
                default -> Kernels.div(a, b);
            };
            assertArrayEquals(new int[] {3, 4, 5}, r.shape());
            double[] e = new double[60];
            for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) for (int k = 0; k < 5; k++) {
                double x = a.doubles()[i * 5 + k], y = b.doubles()[j];
                e[(i * 4 + j) * 5 + k] = switch (op) { case 0 -> x + y; case 1 -> x - y; case 2 -> x * y; default -> x / y; };
            }
            close(e, r, 0);
        }
        Tensor c = rand(10, 3, 4, 5);
        Tensor before = c.copy();
        Kernels.mulInto(c, Kernels.mul(a, b), c); // in place
        for (int i = 0; i < 60; i++) {
            int ii = i / 20, j = i / 5 % 4, k = i % 5;
            assertEquals(before.doubles()[i] * a.doubles()[ii * 5 + k] * b.doubles()[j], c.doubles()[i], 1e-15);
        }
    }

    @Test void activationsToDoublePrecision() {
        Tensor x = rand(11, 1000);
        double[] xs = x.doubles();
        xs[0] = 0; xs[1] = 7; xs[2] = -7; xs[3] = 1e-10;
        double[] relu = new double[1000], gelu = new double[1000], sig = new double[1000], tanh = new double[1000];
        for (int i = 0; i < 1000; i++) {
            relu[i] = Math.max(0, xs[i]);
            gelu[i] = 0.5 * xs[i] * (1 + erfReference(xs[i] / Math.sqrt(2)));
            sig[i] = 1 / (1 + Math.exp(-xs[i]));
            tanh[i] = Math.tanh(xs[i]);
        }
        close(relu, Kernels.relu(x), 0);
        close(gelu, Kernels.gelu(x), 1e-13); // the Simpson reference itself is good to ~2e-14
        close(sig, Kernels.sigmoid(x), 1e-15);
        close(tanh, Kernels.tanh(x), 0);
        // erf known values (Abramowitz-Stegun table 7.1) to 15 digits.
        assertEquals(0.842700792949715, Activations.erf(1.0), 1e-15);
        assertEquals(0.995322265018953, Activations.erf(2.0), 1e-15);
        assertEquals(-0.520499877813047, Activations.erf(-0.5), 1e-15);
        Tensor y = x.copy();
        Kernels.sigmoidInto(y, y);
        close(sig, y, 1e-15);
    }

    /** erf by adaptive Simpson integration of 2/sqrt(pi) exp(-t^2): slow but independent of the kernel's series. */
    private static double erfReference(double x) {
        int n = 2000;
        double h = x / n, s = 0;
        for (int i = 0; i <= n; i++) {
            double t = i * h, f = Math.exp(-t * t);
            s += (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2) * f;
        }
        return s * h / 3 * 2 / Math.sqrt(Math.PI);
    }

    @Test void softmaxAlongEveryAxis() {
        Tensor x = rand(12, 3, 4, 5);
        for (int axis = 0; axis < 3; axis++) {
            Tensor y = Kernels.softmax(x, axis);
            int[] s = {3, 4, 5};
            double[] e = new double[60];
            for (int i = 0; i < 60; i++) {
                int[] idx = {i / 20, i / 5 % 4, i % 5};
                double sum = 0;
                for (int j = 0; j < s[axis]; j++) {
                    int[] jdx = idx.clone();
                    jdx[axis] = j;
                    sum += Math.exp(x.doubles()[(jdx[0] * 4 + jdx[1]) * 5 + jdx[2]]);
                }
                e[i] = Math.exp(x.doubles()[i]) / sum;
            }
            close(e, y, 1e-14);
        }
    }

    @Test void transposeSumAndMean() {
        Tensor x = rand(13, 3, 40, 50);
        Tensor t = Kernels.transpose(x, 2, 0, 1);
        assertArrayEquals(new int[] {50, 3, 40}, t.shape());
        for (int i = 0; i < 3; i++) for (int j = 0; j < 40; j++) for (int k = 0; k < 50; k++) {
            assertEquals(x.doubles()[(i * 40 + j) * 50 + k], t.doubles()[(k * 3 + i) * 40 + j]);
        }
        Tensor s = Kernels.sum(x, new int[] {0, 2}, true);
        Tensor m = Kernels.mean(x, new int[] {-1}, false);
        assertArrayEquals(new int[] {1, 40, 1}, s.shape());
        assertArrayEquals(new int[] {3, 40}, m.shape());
        double[] es = new double[40], em = new double[120];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 40; j++) for (int k = 0; k < 50; k++) {
            double v = x.doubles()[(i * 40 + j) * 50 + k];
            es[j] += v;
            em[i * 40 + j] += v / 50;
        }
        close(es, s, 1e-13);
        close(em, m, 1e-13);
        assertEquals(DType.F64, Kernels.sum(x, new int[0], false).dtype());
    }

    @Test void mixedDtypesAreRejectedByName() {
        Tensor d = rand(14, 2, 3), f = Tensor.random(1, 2, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> Kernels.add(d, f));
        assertTrue(e.getMessage().contains("Kernels.add") && e.getMessage().contains("float64") && e.getMessage().contains("float32"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Kernels.linear(f, Tensor.zeros(DType.F64, 4, 3), null));
        assertThrows(IllegalArgumentException.class, () -> Kernels.reluInto(d, Tensor.zeros(2, 3)));
        assertThrows(IllegalArgumentException.class, () -> Kernels.softmaxInto(d, -1, Tensor.zeros(2, 3)));
        assertThrows(IllegalArgumentException.class, () -> Kernels.relu(Tensor.ofLongs(new long[] {1}, 1)));
    }
}
