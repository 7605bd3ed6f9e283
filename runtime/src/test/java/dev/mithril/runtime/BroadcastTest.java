package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class BroadcastTest {
    private static final int[][][] CASES = {
            {{7}, {7}}, {{1}, {1}}, {{31, 13}, {31, 13}}, {{97}, {}}, {{}, {97}}, {{}, {}},
            {{5, 17}, {17}}, {{5, 17}, {5, 1}}, {{1, 17}, {5, 1}}, {{3, 1, 13}, {7, 1}},
            {{2, 3, 4, 33}, {3, 1, 33}}, {{4, 1, 1}, {1, 31, 1}}, {{1}, {2, 3, 5}}, {{16, 16}, {16}},
            {{0, 3}, {3}}, {{129, 65}, {129, 65}}};

    private interface Op { float apply(float a, float b); }

    @Test void allOpsMatchReferenceOnAllShapes() {
        int seed = 0;
        for (int[][] c : CASES) {
            Tensor a = Tensor.random(++seed, c[0]), b = Tensor.random(++seed, c[1]);
            // keep divisors away from zero
            float[] bd = b.data();
            for (int i = 0; i < bd.length; i++) bd[i] = bd[i] >= 0 ? bd[i] + 0.5f : bd[i] - 0.5f;
            check("add", a, b, Kernels.add(a, b), (x, y) -> x + y);
            check("sub", a, b, Kernels.sub(a, b), (x, y) -> x - y);
            check("mul", a, b, Kernels.mul(a, b), (x, y) -> x * y);
            check("div", a, b, Kernels.div(a, b), (x, y) -> x / y);
        }
    }

    private static void check(String name, Tensor a, Tensor b, Tensor out, Op op) {
        int[] os = Kernels.broadcastShape(a.shape(), b.shape());
        Ref.assertShape(os, out);
        float[] exp = new float[Ref.size(os)];
        for (int i = 0; i < exp.length; i++) {
            int[] idx = Ref.unravel(i, os);
            exp[i] = op.apply(Ref.broadcastGet(a, idx), Ref.broadcastGet(b, idx));
        }
        assertArrayEquals(exp, out.data(), name + " " + Tensor.shapeString(a.shape()) + " " + Tensor.shapeString(b.shape()));
    }

    @Test void inPlaceIntoWorks() {
        Tensor a = Tensor.random(1, 9, 37), b = Tensor.random(2, 37);
        float[] before = a.data().clone();
        Kernels.addInto(a, b, a);
        for (int i = 0; i < before.length; i++) assertEquals(before[i] + b.data()[i % 37], a.data()[i]);
        Tensor c = Tensor.random(3, 9, 37), d = Tensor.random(4, 9, 37);
        float[] cd = c.data().clone();
        Kernels.mulInto(c, d, d);
        for (int i = 0; i < cd.length; i++) assertEquals(cd[i] * Tensor.random(4, 9, 37).data()[i], d.data()[i]);
    }

    @Test void largeParallelCaseMatches() {
        Tensor a = Tensor.random(5, 301, 257), b = Tensor.random(6, 301, 1);
        Tensor o = Kernels.sub(a, b);
        for (int i = 0; i < 301; i++) for (int j = 0; j < 257; j++) assertEquals(a.get(i, j) - b.get(i, 0), o.get(i, j));
        // Same shapes take the flat path: several blocks of 16384 elements and a partial last one, float32 and float64.
        Tensor c = Tensor.random(7, 301, 257), q = Kernels.div(a, c);
        for (int i = 0; i < 301; i++) for (int j = 0; j < 257; j++) assertEquals(a.get(i, j) / c.get(i, j), q.get(i, j));
        double[] x = new double[301 * 257], y = new double[x.length];
        for (int i = 0; i < x.length; i++) { x[i] = a.data()[i]; y[i] = c.data()[i] + 0.5; }
        Tensor m = Kernels.mul(Tensor.of(x, 301, 257), Tensor.of(y, 301, 257));
        for (int i = 0; i < x.length; i++) assertEquals(x[i] * y[i], m.doubles()[i], "float64 element " + i);
    }

    @Test void incompatibleShapesNameBoth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Kernels.add(Tensor.zeros(2, 3), Tensor.zeros(4)));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]") && e.getMessage().contains("add"), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> Kernels.addInto(Tensor.zeros(2, 3), Tensor.zeros(3), Tensor.zeros(3, 2)));
        assertTrue(e2.getMessage().contains("[3, 2]"), e2.getMessage());
        assertArrayEquals(new int[] {4, 2, 3}, Kernels.broadcastShape(new int[] {4, 1, 3}, new int[] {2, 1}));
    }
}
