package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MatmulLinearTest {
    /** Every case in float32 and float64 against a plain double product, through {@code matmul} and {@code matmulInto}. */
    @Test void matmulBroadcastingLikeTorch() {
        int[][][] cases = {
                {{7, 13}, {13, 31}, {7, 31}},
                {{13}, {13, 5}, {5}},
                {{4, 13}, {13}, {4}},
                {{13}, {13}, {}},
                {{1}, {1}, {}},
                {{3, 7, 13}, {13, 5}, {3, 7, 5}},
                {{3, 7, 13}, {3, 13, 5}, {3, 7, 5}},
                {{3, 7, 13}, {1, 13, 5}, {3, 7, 5}},
                {{1, 7, 13}, {3, 13, 5}, {3, 7, 5}},
                {{2, 1, 7, 13}, {3, 13, 5}, {2, 3, 7, 5}},
                {{2, 3, 7, 13}, {1, 1, 13, 5}, {2, 3, 7, 5}},
                {{7, 13}, {2, 13, 33}, {2, 7, 33}},
                {{13}, {2, 13, 5}, {2, 5}},
                {{2, 3, 17}, {17}, {2, 3}},
                {{2, 3, 1, 17}, {1, 17, 1}, {2, 3, 1, 1}},
                {{1, 64, 65}, {65, 66}, {1, 64, 66}},
                {{5, 0}, {0, 3}, {5, 3}},
                {{2, 5, 0}, {2, 0, 3}, {2, 5, 3}},
                {{0, 5, 7}, {7, 3}, {0, 5, 3}}};
        long seed = 1;
        for (int[][] c : cases) {
            Tensor a = Tensor.random(seed++, c[0]), b = Tensor.random(seed++, c[1]);
            String what = "matmul " + Arrays.toString(c[0]) + " x " + Arrays.toString(c[1]);
            double[] expected = refMatmul(a, b, c[2]);
            Tensor y = Kernels.matmul(a, b);
            Ref.assertShape(c[2], y);
            Ref.assertClose(toFloats(expected), y.data(), 1e-5, what);
            Tensor out = Tensor.zeros(c[2]);
            Arrays.fill(out.data(), Float.NaN); // every element must be written, none left over
            Kernels.matmulInto(a, b, out);
            assertArrayEquals(y.data(), out.data());
            Tensor y64 = Kernels.matmul(a.toF64(), b.toF64());
            Ref.assertShape(c[2], y64);
            assertClose64(expected, y64.doubles(), what + " f64");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernels.matmul(Tensor.zeros(2, 3), Tensor.zeros(4, 5)));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Kernels.matmul(Tensor.zeros(2, 3, 4), Tensor.zeros(3, 4, 5)));
        assertTrue(e.getMessage().startsWith("Kernels.matmul") && e.getMessage().contains("[2]") && e.getMessage().contains("[3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Kernels.matmulInto(Tensor.zeros(2, 3), Tensor.zeros(3), Tensor.zeros(2, 1)));
        assertTrue(e.getMessage().contains("out has shape [2, 1]") && e.getMessage().contains("gives [2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Kernels.matmul(Tensor.zeros(3), Tensor.zeros(4)));
        assertTrue(e.getMessage().contains("inner dimensions differ") && e.getMessage().contains("(3 vs 4)"), e.getMessage());
    }

    /**
     * Transposed products over batches, against the plain product of materialized transposes: every flag pair, broadcast
     * batch dimensions, sizes off the vector width, in float32 and float64.
     */
    @Test void batchedTransposedProductsEqualProductsOfTransposes() {
        int[][][] cases = {{{2, 3}, {3, 5}}, {{3, 7, 13}, {3, 13, 5}}, {{2, 1, 7, 17}, {3, 17, 33}}, {{1, 19, 1}, {4, 1, 23}},
                {{5, 31, 29}, {29, 18}}, {{4, 3, 5}, {1, 5, 2}}, {{3, 4, 0}, {0, 6}}};
        long seed = 40;
        for (int[][] c : cases) {
            for (int flags = 0; flags < 4; flags++) {
                boolean ta = (flags & 1) != 0, tb = (flags & 2) != 0;
                Tensor a = Tensor.random(seed++, ta ? swapLast(c[0]) : c[0]), b = Tensor.random(seed++, tb ? swapLast(c[1]) : c[1]);
                Tensor pa = ta ? lastTransposed(a) : a, pb = tb ? lastTransposed(b) : b;
                int[] shape = Kernels.broadcastShape(Arrays.copyOf(c[0], c[0].length - 2), Arrays.copyOf(c[1], c[1].length - 2));
                shape = Arrays.copyOf(shape, shape.length + 2);
                shape[shape.length - 2] = c[0][c[0].length - 2];
                shape[shape.length - 1] = c[1][c[1].length - 1];
                double[] expected = refMatmul(pa, pb, shape);
                String what = Arrays.toString(a.shape()) + (ta ? "ᵀ" : "") + " · " + Arrays.toString(b.shape()) + (tb ? "ᵀ" : "");
                Tensor y = Gradients.matmul(a, ta, b, tb);
                Ref.assertShape(shape, y);
                Ref.assertClose(toFloats(expected), y.data(), 1e-5, what);
                Tensor y64 = Gradients.matmul(a.toF64(), ta, b.toF64(), tb);
                assertEquals(DType.F64, y64.dtype());
                assertClose64(expected, y64.doubles(), what + " f64");
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Gradients.matmul(Tensor.zeros(2, 3, 4), true, Tensor.zeros(2, 4, 5), false));
        assertTrue(e.getMessage().contains("[2, 3, 4]ᵀ") && e.getMessage().contains("inner dimensions 3 and 4"), e.getMessage());
        var v = assertThrows(IllegalArgumentException.class, () -> Gradients.matmul(Tensor.zeros(4), true, Tensor.zeros(4, 5), false));
        assertTrue(v.getMessage().contains("rank 2 or more"), v.getMessage());
        var d = assertThrows(IllegalArgumentException.class, () -> Gradients.matmul(Tensor.zeros(2, 3), false, Tensor.zeros(3, 4).toF64(), false));
        assertTrue(d.getMessage().startsWith("Gradients.matmul") && d.getMessage().contains("one float type"), d.getMessage());
    }

    private static int[] swapLast(int[] s) {
        int[] t = s.clone();
        t[s.length - 1] = s[s.length - 2];
        t[s.length - 2] = s[s.length - 1];
        return t;
    }

    private static Tensor lastTransposed(Tensor t) {
        int[] perm = new int[t.rank()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        perm[perm.length - 1] = perm.length - 2;
        perm[perm.length - 2] = perm.length - 1;
        return Kernels.transpose(t, perm);
    }

    /** Promote rank-1 operands, broadcast batch dims, multiply in double. */
    private static double[] refMatmul(Tensor a, Tensor b, int[] outShape) {
        Tensor a2 = a.rank() == 1 ? a.reshape(1, a.dim(0)) : a, b2 = b.rank() == 1 ? b.reshape(b.dim(0), 1) : b;
        double[] x = a2.toF64().doubles(), w = b2.toF64().doubles();
        int m = a2.dim(-2), k = a2.dim(-1), n = b2.dim(-1);
        int[] as = Arrays.copyOf(a2.shape(), a2.rank() - 2), bs = Arrays.copyOf(b2.shape(), b2.rank() - 2);
        int[] batch = Kernels.broadcastShape(as, bs);
        int nb = Ref.size(batch);
        double[] out = new double[nb * m * n];
        for (int t = 0; t < nb; t++) {
            int[] bi = Ref.unravel(t, batch);
            int oa = batchOffset(as, bi) * m * k, ob = batchOffset(bs, bi) * k * n;
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += x[oa + i * k + p] * w[ob + p * n + j];
                out[t * m * n + i * n + j] = s;
            }
        }
        assertEquals(Ref.size(outShape), out.length);
        return out;
    }

    private static int batchOffset(int[] s, int[] idx) {
        int off = 0;
        for (int i = 0; i < s.length; i++) off = off * s[i] + (s[i] == 1 ? 0 : idx[idx.length - s.length + i]);
        return off;
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    private static void assertClose64(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-12 * (1 + Math.abs(expected[i])), what + " at " + i);
    }

    @Test void linearMatchesReference() {
        for (int[] c : new int[][] {{1, 1, 1}, {4, 64, 32}, {7, 13, 97}, {33, 31, 17}}) {
            int m = c[0], k = c[1], n = c[2];
            Tensor x = Tensor.random(m, 2, m, k), w = Tensor.random(k, n, k), b = Tensor.random(n, n);
            Tensor y = Kernels.linear(x, w, b);
            Ref.assertShape(new int[] {2, m, n}, y);
            float[] exp = new float[2 * m * n];
            for (int r = 0; r < 2 * m; r++) for (int j = 0; j < n; j++) {
                double s = b.data()[j];
                for (int p = 0; p < k; p++) s += (double) x.data()[r * k + p] * w.data()[j * k + p];
                exp[r * n + j] = (float) s;
            }
            Ref.assertClose(exp, y.data(), 1e-5, "linear " + Arrays.toString(c));
            Tensor noBias = Kernels.linear(x, w, null);
            for (int r = 0; r < 2 * m; r++) for (int j = 0; j < n; j++) {
                assertEquals(exp[r * n + j] - b.data()[j], noBias.data()[r * n + j], 1e-5 * Math.max(1, k));
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Kernels.linear(Tensor.zeros(4, 10), Tensor.zeros(3, 11), null));
        assertTrue(e.getMessage().contains("[4, 10]") && e.getMessage().contains("[3, 11]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Kernels.linear(Tensor.zeros(4, 10), Tensor.zeros(3, 10), Tensor.zeros(4)));
        assertTrue(e.getMessage().contains("bias"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Kernels.linearInto(Tensor.zeros(4, 10), Tensor.zeros(3, 10), null, Tensor.zeros(3, 4)));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[4, 3]"), e.getMessage());
    }
}
