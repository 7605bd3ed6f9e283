package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** softmax, transpose, sum and mean against index-by-index references. */
class ShapeOpsTest {
    private static final int[][] SHAPES = {{1}, {7}, {97}, {3, 31}, {13, 1}, {2, 3, 5}, {4, 1, 17, 3}, {5, 33, 7}, {2, 16, 16}};

    @Test void softmaxEveryAxis() {
        int seed = 0;
        for (int[] s : SHAPES) {
            for (int axis = -s.length; axis < s.length; axis++) {
                Tensor x = Tensor.randn(++seed, s);
                x.data()[0] = 80f; // would overflow exp without max-subtraction
                Tensor y = Kernels.softmax(x, axis);
                Ref.assertClose(refSoftmax(x, axis < 0 ? axis + s.length : axis), y.data(), 1e-6,
                        "softmax " + Arrays.toString(s) + " axis " + axis);
                Tensor z = x.copy();
                Kernels.softmaxInto(z, axis, z);
                assertArrayEquals(y.data(), z.data(), "in-place softmax");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Kernels.softmax(Tensor.zeros(2, 3), 2));
    }

    private static float[] refSoftmax(Tensor x, int axis) {
        int[] s = x.shape();
        float[] out = new float[x.size()];
        int[] st = Ref.strides(s);
        for (int i = 0; i < out.length; i++) {
            int[] idx = Ref.unravel(i, s);
            int base = i - idx[axis] * st[axis];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < s[axis]; j++) max = Math.max(max, x.data()[base + j * st[axis]]);
            for (int j = 0; j < s[axis]; j++) sum += Math.exp(x.data()[base + j * st[axis]] - max);
            out[i] = (float) (Math.exp(x.data()[i] - max) / sum);
        }
        return out;
    }

    @Test void transposeAllPermutations() {
        int seed = 100;
        for (int[] s : SHAPES) {
            for (int[] p : permutations(s.length)) {
                Tensor x = Tensor.random(++seed, s);
                Tensor y = Kernels.transpose(x, p);
                int[] os = new int[s.length];
                for (int i = 0; i < s.length; i++) os[i] = s[p[i]];
                Ref.assertShape(os, y);
                for (int i = 0; i < y.size(); i++) {
                    int[] oi = Ref.unravel(i, os), ii = new int[s.length];
                    for (int d = 0; d < s.length; d++) ii[p[d]] = oi[d];
                    assertEquals(x.get(ii), y.data()[i], "transpose " + Arrays.toString(s) + " by " + Arrays.toString(p));
                }
            }
        }
        Tensor big = Tensor.random(7, 129, 67);
        Tensor t = Kernels.transpose(big, -1, 0);
        for (int i = 0; i < 129; i++) for (int j = 0; j < 67; j++) assertEquals(big.get(i, j), t.get(j, i));
        Tensor out = Tensor.zeros(67, 129);
        Kernels.transposeInto(big, 0, 1, out);
        assertArrayEquals(t.data(), out.data());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernels.transpose(big, 0, 0, 1));
        assertTrue(e.getMessage().contains("transpose"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Kernels.transpose(big, 1, 2));
        assertArrayEquals(big.data(), Kernels.transpose(big, 1, 1).data());
    }

    static int[][] permutations(int n) {
        java.util.List<int[]> out = new java.util.ArrayList<>();
        permute(new int[n], new boolean[n], 0, out);
        return out.toArray(new int[0][]);
    }

    private static void permute(int[] cur, boolean[] used, int pos, java.util.List<int[]> out) {
        if (pos == cur.length) { out.add(cur.clone()); return; }
        for (int i = 0; i < cur.length; i++) {
            if (used[i]) continue;
            used[i] = true;
            cur[pos] = i;
            permute(cur, used, pos + 1, out);
            used[i] = false;
        }
    }

    @Test void sumAndMeanEveryAxisSubset() {
        int seed = 200;
        for (int[] s : SHAPES) {
            for (int mask = 0; mask < (1 << s.length); mask++) {
                int[] axes = new int[Integer.bitCount(mask)];
                for (int i = 0, j = 0; i < s.length; i++) if ((mask & (1 << i)) != 0) axes[j++] = (j % 2 == 0) ? i : i - s.length;
                for (boolean keep : new boolean[] {false, true}) {
                    Tensor x = Tensor.random(++seed, s);
                    double[] ref = refSum(x, mask == 0 ? (1 << s.length) - 1 : mask, keep);
                    Tensor sum = Kernels.sum(x, axes, keep), mean = Kernels.mean(x, axes, keep);
                    int count = 1;
                    for (int i = 0; i < s.length; i++) if (mask == 0 || (mask & (1 << i)) != 0) count *= s[i];
                    float[] es = new float[ref.length], em = new float[ref.length];
                    for (int i = 0; i < ref.length; i++) { es[i] = (float) ref[i]; em[i] = (float) (ref[i] / count); }
                    String what = Arrays.toString(s) + " axes " + Arrays.toString(axes) + " keep " + keep;
                    Ref.assertClose(es, sum.data(), 1e-5, "sum " + what);
                    Ref.assertClose(em, mean.data(), 1e-6, "mean " + what);
                    int rank = keep ? s.length : (mask == 0 ? 0 : s.length - axes.length);
                    assertEquals(rank, sum.rank(), what);
                    Tensor into = Tensor.zeros(sum.shape());
                    into.data()[0] = Float.NaN; // stale contents must be ignored
                    Kernels.sumInto(x, axes, keep, into);
                    assertArrayEquals(sum.data(), into.data());
                    double[] sum64 = Kernels.sum(x.toF64(), axes, keep).doubles(), mean64 = Kernels.mean(x.toF64(), axes, keep).doubles();
                    for (int i = 0; i < ref.length; i++) {
                        assertEquals(ref[i], sum64[i], 1e-12 * (1 + Math.abs(ref[i])), "f64 sum " + what);
                        assertEquals(ref[i] / count, mean64[i], 1e-12 * (1 + Math.abs(ref[i])), "f64 mean " + what);
                    }
                }
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Kernels.meanInto(Tensor.zeros(2, 3), new int[] {1}, false, Tensor.zeros(3)));
        assertTrue(e.getMessage().contains("mean") && e.getMessage().contains("[3]") && e.getMessage().contains("[2]"), e.getMessage());
    }

    private static double[] refSum(Tensor x, int mask, boolean keep) {
        int[] s = x.shape();
        int[] os = new int[s.length];
        for (int i = 0; i < s.length; i++) os[i] = (mask & (1 << i)) != 0 ? 1 : s[i];
        double[] out = new double[Ref.size(os)];
        int[] ost = Ref.strides(os);
        for (int i = 0; i < x.size(); i++) {
            int[] idx = Ref.unravel(i, s);
            int o = 0;
            for (int d = 0; d < s.length; d++) o += ((mask & (1 << d)) != 0 ? 0 : idx[d]) * ost[d];
            out[o] += x.data()[i];
        }
        return out;
    }
}
