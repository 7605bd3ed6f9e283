package dev.mithril.runtime;

import java.util.Arrays;

/**
 * F64 matrix products for {@link Kernels#linear} and {@link Kernels#matmul} on top of {@link Gemm#dgemm}:
 * bias and {@code torch.matmul}'s broadcast batch dimensions.
 */
final class Float64Gemm {
    private Float64Gemm() {}

    /**
     * {@code c[m, n] (+)= a[m, k] * op(b)} where {@code op(b)} is {@code b[k, n]}, or {@code b[n, k]} transposed
     * when {@code transB}; {@code c} is overwritten unless {@code accumulate}.
     */
    static void gemm(boolean transB, int m, int n, int k, double[] a, int aOff, double[] b, int bOff, double[] c, int cOff,
                     boolean accumulate) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) Arrays.fill(c, cOff, cOff + m * n, 0.0);
            return;
        }
        Gemm.dgemm(false, transB, m, n, k, 1.0, a, aOff, k, b, bOff, transB ? k : n, accumulate ? 1.0 : 0.0, c, cOff, n);
    }

    /** {@code out[m, n] = x[m, k] * w[n, k]^T + bias}. */
    static void linear(Tensor x, Tensor w, Tensor bias, Tensor out, int m, int n, int k) {
        double[] o = out.doubles();
        if (o == x.doubles()) throw new IllegalArgumentException("Kernels.linear: out must not share storage with x");
        gemm(true, m, n, k, x.doubles(), 0, w.doubles(), 0, o, 0, false);
        if (bias != null) {
            double[] bv = bias.doubles();
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) o[i * n + j] += bv[j];
        }
    }

    /** {@code torch.matmul} in F64; {@code out} has the shape {@link MatMul#outShape} gives (checked by the caller). */
    static void matmul(Tensor a, Tensor b, Tensor out) {
        int[] as = a.shape(), bs = b.shape();
        double[] x = a.doubles(), y = b.doubles(), o = out.doubles();
        if (o == x || o == y) throw new IllegalArgumentException("Kernels.matmul: out must not share storage with an operand");
        int m = as.length == 1 ? 1 : as[as.length - 2];
        int k = as[as.length - 1];
        int n = bs.length == 1 ? 1 : bs[bs.length - 1];
        int[] aBatch = as.length > 2 ? Arrays.copyOf(as, as.length - 2) : new int[0];
        int[] bBatch = bs.length > 2 ? Arrays.copyOf(bs, bs.length - 2) : new int[0];
        int[] batch = Broadcast.shape("Kernels.matmul", aBatch, bBatch);
        int batches = Tensor.checkedSize("Kernels.matmul", batch);
        long[] sa = strides(aBatch, batch, (long) m * k), sb = strides(bBatch, batch, (long) k * n);
        for (int t = 0; t < batches; t++) {
            long oa = 0, ob = 0;
            int rem = t;
            for (int d = batch.length - 1; d >= 0; d--) {
                int idx = rem % batch[d];
                rem /= batch[d];
                oa += idx * sa[d];
                ob += idx * sb[d];
            }
            // A rank-1 b is a [k, 1] column: the same memory as [k, n=1] row-major.
            gemm(false, m, n, k, x, (int) oa, y, (int) ob, o, t * m * n, false);
        }
    }

    private static long[] strides(int[] s, int[] batch, long matrix) {
        long[] st = new long[batch.length];
        long stride = matrix;
        for (int i = batch.length - 1; i >= 0; i--) {
            int j = i - (batch.length - s.length);
            int d = j >= 0 ? s[j] : 1;
            st[i] = d == 1 ? 0 : stride;
            stride *= d;
        }
        return st;
    }
}
