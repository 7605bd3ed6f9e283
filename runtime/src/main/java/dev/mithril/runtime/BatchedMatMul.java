package dev.mithril.runtime;

import java.util.Arrays;

/**
 * {@code op(a) · op(b)} over broadcast batch dimensions, op being a transpose of the last two axes where asked: the
 * batched form of {@link Gradients#matmul}, which backward passes of batched products use so that no transposed copy
 * of an operand is made. Both operands have rank 2 or more; rank 2 alone is one product.
 */
final class BatchedMatMul {
    private BatchedMatMul() {}

    /** Shape and strides of one product. */
    private record Plan(int m, int n, int k, int lda, int ldb, int[] batch, long[] aStride, long[] bStride, int[] out) {}

    private static Plan plan(int[] as, boolean transA, int[] bs, boolean transB) {
        if (as.length < 2 || bs.length < 2) {
            throw new IllegalArgumentException("Gradients.matmul: transposed products need operands of rank 2 or more, got "
                    + Tensor.shapeString(as) + " and " + Tensor.shapeString(bs));
        }
        int ra = as.length, rb = bs.length;
        int m = as[ra - (transA ? 1 : 2)], k = as[ra - (transA ? 2 : 1)];
        int kb = bs[rb - (transB ? 1 : 2)], n = bs[rb - (transB ? 2 : 1)];
        if (k != kb) {
            throw new IllegalArgumentException("Gradients.matmul: " + Tensor.shapeString(as) + (transA ? "ᵀ" : "") + " · "
                    + Tensor.shapeString(bs) + (transB ? "ᵀ" : "") + ": inner dimensions " + k + " and " + kb + " differ");
        }
        int[] aBatch = Arrays.copyOf(as, ra - 2), bBatch = Arrays.copyOf(bs, rb - 2);
        int[] batch = Broadcast.shape("Gradients.matmul", aBatch, bBatch);
        int[] out = Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = m;
        out[batch.length + 1] = n;
        return new Plan(m, n, k, as[ra - 1], bs[rb - 1], batch, Broadcast.expandStrides(aBatch, batch, (long) m * k), Broadcast.expandStrides(bBatch, batch, (long) k * n), out);
    }

    static int[] outShape(int[] as, boolean transA, int[] bs, boolean transB) { return plan(as, transA, bs, transB).out(); }

    static void apply(Tensor a, boolean transA, Tensor b, boolean transB, Tensor out) {
        Plan p = plan(a.shape(), transA, b.shape(), transB);
        if (!Arrays.equals(p.out(), out.shape())) {
            throw new IllegalArgumentException("Gradients.matmul: out has shape " + Tensor.shapeString(out.shape()) + " but "
                    + Tensor.shapeString(a.shape()) + (transA ? "ᵀ" : "") + " · " + Tensor.shapeString(b.shape()) + (transB ? "ᵀ" : "")
                    + " gives " + Tensor.shapeString(p.out()));
        }
        if (a.dtype() != b.dtype() || a.dtype() != out.dtype()) {
            throw new IllegalArgumentException("Gradients.matmul: operands and out must share one float type, got " + a.dtype() + ", "
                    + b.dtype() + " and " + out.dtype());
        }
        int batches = Tensor.checkedSize("Gradients.matmul", p.batch());
        if (batches == 0 || p.m() == 0 || p.n() == 0) return;
        boolean f64 = out.dtype() == DType.F64;
        if (f64 ? out.doubles() == a.doubles() || out.doubles() == b.doubles() : out.data() == a.data() || out.data() == b.data()) {
            throw new IllegalArgumentException("Gradients.matmul: out must not share storage with an operand");
        }
        boolean small = (long) p.m() * p.n() * p.k() < 1 << 18;
        Parallel.forRange(batches, small ? 1 : batches, (from, to) -> {
            for (int t = from; t < to; t++) {
                long oa = 0, ob = 0;
                int rem = t;
                for (int d = p.batch().length - 1; d >= 0; d--) {
                    int idx = rem % p.batch()[d];
                    rem /= p.batch()[d];
                    oa += idx * p.aStride()[d];
                    ob += idx * p.bStride()[d];
                }
                int oc = t * p.m() * p.n();
                if (f64) product64(p, transA, a.doubles(), (int) oa, transB, b.doubles(), (int) ob, out.doubles(), oc);
                else Gemm.sgemm(transA, transB, p.m(), p.n(), p.k(), 1f, a.data(), (int) oa, p.lda(), b.data(), (int) ob, p.ldb(), 0f, out.data(), oc, p.n());
            }
        });
    }

    /** Float64 reference-grade product (float64 serves gradient checks and reference cases, not speed). */
    private static void product64(Plan p, boolean transA, double[] x, int xo, boolean transB, double[] y, int yo, double[] o, int oo) {
        int m = p.m(), n = p.n(), k = p.k(), lda = p.lda(), ldb = p.ldb();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < k; q++) s += x[xo + (transA ? q * lda + i : i * lda + q)] * y[yo + (transB ? j * ldb + q : q * ldb + j)];
                o[oo + i * n + j] = s;
            }
        }
    }
}
