package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every kernel that generated code calls with planned buffers, run on {@link Tensor#view prefix views} whose
 * storage is longer than the shape: the result equals the exact-size run bit for bit, and the storage tail
 * (NaN, so that any read of it would show) is left untouched.
 */
class PrefixViewTest {
    private static final int TAIL = 37;

    /** One kernel call over operands given as tensors; the last operand is the output. */
    private record Case(String name, int[][] shapes, Consumer<Tensor[]> kernel) {}

    private static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        cs.add(new Case("linear", s(s(5, 7), s(3, 7), s(3), s(5, 3)), t -> Kernels.linearInto(t[0], t[1], t[2], t[3])));
        cs.add(new Case("linearNoBias", s(s(2, 4, 7), s(3, 7), s(2, 4, 3)), t -> Kernels.linearInto(t[0], t[1], null, t[2])));
        cs.add(new Case("matmul", s(s(5, 7), s(7, 3), s(5, 3)), t -> Kernels.matmulInto(t[0], t[1], t[2])));
        cs.add(new Case("matmulBatched", s(s(2, 5, 7), s(2, 7, 3), s(2, 5, 3)), t -> Kernels.matmulInto(t[0], t[1], t[2])));
        cs.add(new Case("matmulVector", s(s(5, 7), s(7), s(5)), t -> Kernels.matmulInto(t[0], t[1], t[2])));
        cs.add(new Case("add", s(s(4, 9), s(4, 9), s(4, 9)), t -> Kernels.addInto(t[0], t[1], t[2])));
        cs.add(new Case("subRow", s(s(4, 9), s(9), s(4, 9)), t -> Kernels.subInto(t[0], t[1], t[2])));
        cs.add(new Case("mulColumn", s(s(4, 1), s(4, 9), s(4, 9)), t -> Kernels.mulInto(t[0], t[1], t[2])));
        cs.add(new Case("divScalar", s(s(4, 9), s(1), s(4, 9)), t -> Kernels.divInto(t[0], t[1], t[2])));
        cs.add(new Case("relu", s(s(3, 11), s(3, 11)), t -> Kernels.reluInto(t[0], t[1])));
        cs.add(new Case("gelu", s(s(3, 11), s(3, 11)), t -> Kernels.geluInto(t[0], t[1])));
        cs.add(new Case("sigmoid", s(s(3, 11), s(3, 11)), t -> Kernels.sigmoidInto(t[0], t[1])));
        cs.add(new Case("tanh", s(s(3, 11), s(3, 11)), t -> Kernels.tanhInto(t[0], t[1])));
        cs.add(new Case("softmaxLast", s(s(3, 11), s(3, 11)), t -> Kernels.softmaxInto(t[0], -1, t[1])));
        cs.add(new Case("softmaxFirst", s(s(3, 11), s(3, 11)), t -> Kernels.softmaxInto(t[0], 0, t[1])));
        cs.add(new Case("transpose", s(s(3, 4, 5), s(5, 3, 4)), t -> Kernels.transposeInto(t[0], new int[] {2, 0, 1}, t[1])));
        cs.add(new Case("sumAll", s(s(3, 4, 5), new int[0]), t -> Kernels.sumInto(t[0], new int[0], false, t[1])));
        cs.add(new Case("sumInner", s(s(3, 4, 5), s(3, 4)), t -> Kernels.sumInto(t[0], new int[] {2}, false, t[1])));
        cs.add(new Case("meanOuter", s(s(3, 4, 5), s(1, 4, 5)), t -> Kernels.meanInto(t[0], new int[] {0}, true, t[1])));
        cs.add(new Case("reluGrad", s(s(3, 11), s(3, 11), s(3, 11)), t -> Gradients.reluGradInto(t[0], t[1], t[2])));
        cs.add(new Case("geluGrad", s(s(3, 11), s(3, 11), s(3, 11)), t -> Gradients.geluGradInto(t[0], t[1], t[2])));
        cs.add(new Case("sigmoidGrad", s(s(3, 11), s(3, 11), s(3, 11)), t -> Gradients.sigmoidGradInto(t[0], t[1], t[2])));
        cs.add(new Case("tanhGrad", s(s(3, 11), s(3, 11), s(3, 11)), t -> Gradients.tanhGradInto(t[0], t[1], t[2])));
        cs.add(new Case("sumTo", s(s(3, 4, 5), s(4, 1)), t -> Gradients.sumToInto(t[0], t[1])));
        cs.add(new Case("expand", s(s(4, 1), s(3, 4, 5)), t -> Gradients.expandInto(t[0], 15, t[1])));
        cs.add(new Case("matmulTransA", s(s(7, 5), s(7, 3), s(5, 3)), t -> Gradients.matmulInto(t[0], true, t[1], false, t[2])));
        cs.add(new Case("matmulTransB", s(s(5, 7), s(3, 7), s(5, 3)), t -> Gradients.matmulInto(t[0], false, t[1], true, t[2])));
        return cs;
    }

    @Test
    void everyKernelMatchesItsExactSizeRunAndLeavesTheTailAlone() {
        for (DType dt : List.of(DType.F32, DType.F64)) {
            for (Case c : cases()) {
                SplittableRandom r = new SplittableRandom(c.name().hashCode());
                int k = c.shapes().length;
                Tensor[] exact = new Tensor[k], views = new Tensor[k];
                for (int i = 0; i < k; i++) {
                    int[] shape = c.shapes()[i];
                    int n = Tensor.checkedSize("test", shape);
                    if (dt == DType.F32) {
                        float[] e = new float[n], v = new float[n + TAIL];
                        java.util.Arrays.fill(v, Float.NaN);
                        for (int j = 0; j < n; j++) e[j] = v[j] = i == k - 1 ? 0f : (float) (r.nextDouble() * 4 - 2);
                        exact[i] = Tensor.of(e, shape);
                        views[i] = Tensor.view(v, shape);
                    } else {
                        double[] e = new double[n], v = new double[n + TAIL];
                        java.util.Arrays.fill(v, Double.NaN);
                        for (int j = 0; j < n; j++) e[j] = v[j] = i == k - 1 ? 0 : r.nextDouble() * 4 - 2;
                        exact[i] = Tensor.of(e, shape);
                        views[i] = Tensor.view(v, shape);
                    }
                }
                c.kernel().accept(exact);
                c.kernel().accept(views);
                String what = c.name() + " " + dt;
                for (int i = 0; i < k; i++) {
                    int n = exact[i].size();
                    if (dt == DType.F32) {
                        float[] v = views[i].data();
                        assertArrayEquals(exact[i].data(), java.util.Arrays.copyOf(v, n), what + " operand " + i);
                        for (int j = n; j < v.length; j++) assertTrue(Float.isNaN(v[j]), what + " wrote the tail of operand " + i + " at " + j);
                    } else {
                        double[] v = views[i].doubles();
                        assertArrayEquals(exact[i].doubles(), java.util.Arrays.copyOf(v, n), what + " operand " + i);
                        for (int j = n; j < v.length; j++) assertTrue(Double.isNaN(v[j]), what + " wrote the tail of operand " + i + " at " + j);
                    }
                }
                // The exact-size result holds no NaN, so no kernel read the tail either.
                Tensor out = exact[k - 1];
                for (int j = 0; j < out.size(); j++) assertTrue(!Double.isNaN(out.get(unflatten(j, out.shape()))), what);
            }
        }
    }

    @Test
    void viewsShareStorageAndCopiesAreExact() {
        float[] buffer = new float[12];
        Tensor a = Tensor.view(buffer, 2, 3);
        a.set(5f, 1, 2);
        assertEquals(5f, buffer[5]);
        assertEquals(6, a.size());
        assertEquals(6, a.copy().data().length, "a copy holds only the view's elements");
        assertEquals(24, a.segment().byteSize());
        assertEquals(6, a.reshape(-1).size());
        double[] d = new double[10];
        assertEquals(DType.F64, Tensor.view(d, 2, 5).dtype());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.view(buffer, 4, 4));
        assertTrue(e.getMessage().contains("storage has 12 elements but shape [4, 4] needs 16"), e.getMessage());
    }

    private static int[] unflatten(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    private static int[] s(int... dims) { return dims; }

    private static int[][] s(int[]... shapes) { return shapes; }
}
