package dev.mithril.runtime;

import java.util.Arrays;

/** {@code torch.matmul} semantics on top of {@link Gemm}: rank-1 promotion and broadcast batch dimensions. */
final class MatMul {
    private MatMul() {}

    /** Everything derived from the operand shapes. */
    private record Plan(int m, int n, int k, int[] batch, int[] aBatch, int[] bBatch, int[] out) {}

    private static Plan plan(int[] as, int[] bs) {
        if (as.length == 0 || bs.length == 0) {
            throw new IllegalArgumentException("Kernels.matmul: operands must have rank >= 1, got " + Tensor.shapeString(as)
                    + " and " + Tensor.shapeString(bs));
        }
        int m = as.length == 1 ? 1 : as[as.length - 2];
        int k = as[as.length - 1];
        int kb = bs.length == 1 ? bs[0] : bs[bs.length - 2];
        int n = bs.length == 1 ? 1 : bs[bs.length - 1];
        if (k != kb) {
            throw new IllegalArgumentException("Kernels.matmul: inner dimensions differ: " + Tensor.shapeString(as) + " x "
                    + Tensor.shapeString(bs) + " (" + k + " vs " + kb + ")");
        }
        int[] aBatch = as.length > 2 ? Arrays.copyOf(as, as.length - 2) : new int[0];
        int[] bBatch = bs.length > 2 ? Arrays.copyOf(bs, bs.length - 2) : new int[0];
        int[] batch = Broadcast.shape("Kernels.matmul", aBatch, bBatch);
        int[] out = Arrays.copyOf(batch, batch.length + (as.length > 1 ? 1 : 0) + (bs.length > 1 ? 1 : 0));
        int i = batch.length;
        if (as.length > 1) out[i++] = m;
        if (bs.length > 1) out[i] = n;
        return new Plan(m, n, k, batch, aBatch, bBatch, out);
    }

    static int[] outShape(int[] as, int[] bs) { return plan(as, bs).out(); }

    static void apply(Tensor a, Tensor b, Tensor out) {
        Plan p = plan(a.shape(), b.shape());
        if (!Arrays.equals(p.out(), out.shape())) {
            throw new IllegalArgumentException("Kernels.matmul: out has shape " + Tensor.shapeString(out.shape()) + " but "
                    + Tensor.shapeString(a.shape()) + " x " + Tensor.shapeString(b.shape()) + " gives " + Tensor.shapeString(p.out()));
        }
        float[] x = a.data(), y = b.data(), o = out.data();
        if (o == x || o == y) throw new IllegalArgumentException("Kernels.matmul: out must not share storage with an operand");
        int m = p.m(), n = p.n(), k = p.k();
        int batches = Tensor.checkedSize("Kernels.matmul", p.batch());
        if (batches == 0 || m == 0 || n == 0) return;
        int bRows = b.rank() == 1 ? k : n; // ldb: row length of b's stored matrix
        if (p.bBatch().length == 0 || Tensor.checkedSize("", p.bBatch()) == 1 && p.aBatch().length >= p.bBatch().length
                && Tensor.checkedSize("", p.aBatch()) == batches) {
            // One B for all batches and A contiguous: fold the batch into m for one large GEMM.
            Gemm.sgemm(false, b.rank() == 1, batches * m, n, k, 1f, x, 0, k, y, 0, bRows, 0f, o, 0, n);
            return;
        }
        long[] sa = Broadcast.expandStrides(p.aBatch(), p.batch(), (long) m * k), sb = Broadcast.expandStrides(p.bBatch(), p.batch(), (long) k * n);
        int[] bd = p.batch();
        boolean small = (long) m * n * k < 1 << 18;
        Parallel.forRange(batches, small ? 1 : batches, (from, to) -> {
            for (int t = from; t < to; t++) {
                long oa = 0, ob = 0;
                int rem = t;
                for (int d = bd.length - 1; d >= 0; d--) {
                    int idx = rem % bd[d];
                    rem /= bd[d];
                    oa += idx * sa[d];
                    ob += idx * sb[d];
                }
                Gemm.sgemm(false, b.rank() == 1, m, n, k, 1f, x, (int) oa, k, y, (int) ob, bRows, 0f, o, t * m * n, n);
            }
        });
    }
}
