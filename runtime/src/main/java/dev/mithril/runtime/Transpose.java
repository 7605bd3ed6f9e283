package dev.mithril.runtime;

import java.util.Arrays;

/** Axis permutation into a new contiguous layout. */
final class Transpose {
    private static final int TILE = 32;

    private Transpose() {}

    static int[] checkPerm(int[] perm, int rank) {
        if (perm.length != rank) {
            throw new IllegalArgumentException("Kernels.transpose: permutation " + Arrays.toString(perm) + " has "
                    + perm.length + " axes but the tensor has rank " + rank);
        }
        int[] p = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            int a = Tensor.normalizeAxis("Kernels.transpose", perm[i], rank);
            if (seen[a]) throw new IllegalArgumentException("Kernels.transpose: axis " + a + " repeated in permutation " + Arrays.toString(perm));
            seen[a] = true;
            p[i] = a;
        }
        return p;
    }

    static int[] outShape(int[] s, int[] p) {
        int[] o = new int[p.length];
        for (int i = 0; i < p.length; i++) o[i] = s[p[i]];
        return o;
    }

    static void apply(Tensor x, int[] perm, Tensor out) {
        int[] s = x.shape();
        int[] p = checkPerm(perm, s.length);
        int[] os = outShape(s, p);
        if (!Arrays.equals(os, out.shape())) {
            throw new IllegalArgumentException("Kernels.transpose: out has shape " + Tensor.shapeString(out.shape())
                    + " but transposing " + Tensor.shapeString(s) + " by " + Arrays.toString(perm) + " gives " + Tensor.shapeString(os));
        }
        Kernels.checkOutDtype("Kernels.transpose", Kernels.floatDtype("Kernels.transpose", x), out);
        if (x.size() == 0) return;
        boolean f64 = x.dtype() == DType.F64;
        // float[] or double[]: the copies below are System.arraycopy, the tiles typed.
        Object a = f64 ? x.doubles() : x.data(), o = f64 ? out.doubles() : out.data();
        if (a == o) throw new IllegalArgumentException("Kernels.transpose: out must not share storage with x");
        int r = s.length;
        int[] inStride = new int[r];
        for (int i = r - 1, st = 1; i >= 0; st *= s[i], i--) inStride[i] = st;
        // Stride in the input of each output axis; merge output axes that stay contiguous in the input.
        int[] dims = new int[r], str = new int[r];
        int q = 0;
        for (int i = r - 1; i >= 0; i--) {
            if (os[i] == 1) continue;
            int st = inStride[p[i]];
            if (q > 0 && st == str[q - 1] * dims[q - 1]) dims[q - 1] *= os[i];
            else { dims[q] = os[i]; str[q] = st; q++; }
        }
        if (q <= 1) { System.arraycopy(a, 0, o, 0, x.size()); return; }
        // After merging, innermost-first: the two innermost output axes form a (strided) 2-D transpose.
        int n0 = dims[0], s0 = str[0], n1 = dims[1], s1 = str[1];
        int outer = x.size() / (n0 * n1);
        final int qq = q;
        Parallel.forRange(outer, Math.max(1, 16384 / (n0 * n1)), (from, to) -> {
            for (int b = from; b < to; b++) {
                int rem = b, inOff = 0;
                for (int d = 2; d < qq; d++) {
                    inOff += (rem % dims[d]) * str[d];
                    rem /= dims[d];
                }
                int outOff = b * n0 * n1;
                if (s0 == 1) {
                    for (int j = 0; j < n1; j++) System.arraycopy(a, inOff + j * s1, o, outOff + j * n0, n0);
                } else if (f64) {
                    tile((double[]) a, inOff, s0, s1, (double[]) o, outOff, n0, n1);
                } else {
                    tile((float[]) a, inOff, s0, s1, (float[]) o, outOff, n0, n1);
                }
            }
        });
    }

    /** o[j*n0 + i] = a[off + i*s0 + j*s1], tiled so both sides stay in cache. */
    private static void tile(float[] a, int off, int s0, int s1, float[] o, int oOff, int n0, int n1) {
        for (int j0 = 0; j0 < n1; j0 += TILE) {
            int j1 = Math.min(n1, j0 + TILE);
            for (int i0 = 0; i0 < n0; i0 += TILE) {
                int i1 = Math.min(n0, i0 + TILE);
                for (int j = j0; j < j1; j++) {
                    int ob = oOff + j * n0, ib = off + j * s1;
                    for (int i = i0; i < i1; i++) o[ob + i] = a[ib + i * s0];
                }
            }
        }
    }

    /** The F64 form of the tile above. */
    private static void tile(double[] a, int off, int s0, int s1, double[] o, int oOff, int n0, int n1) {
        for (int j0 = 0; j0 < n1; j0 += TILE) {
            int j1 = Math.min(n1, j0 + TILE);
            for (int i0 = 0; i0 < n0; i0 += TILE) {
                int i1 = Math.min(n0, i0 + TILE);
                for (int j = j0; j < j1; j++) {
                    int ob = oOff + j * n0, ib = off + j * s1;
                    for (int i = i0; i < i1; i++) o[ob + i] = a[ib + i * s0];
                }
            }
        }
    }
}
