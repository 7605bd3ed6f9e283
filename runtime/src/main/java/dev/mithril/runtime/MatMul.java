package dev.mithril.runtime;

/**
 * {@code torch.matmul} semantics: a vector operand is a one-row matrix (a vector {@code b} read transposed, as a
 * column) and its axis is dropped from the result; the product itself, broadcast batch dimensions included, is
 * {@link BatchedMatMul}'s.
 */
final class MatMul {
    private MatMul() {}

    private static void check(int[] as, int[] bs) {
        if (as.length == 0 || bs.length == 0) {
            throw new IllegalArgumentException("Kernels.matmul: operands must have rank >= 1, got " + Tensor.shapeString(as)
                    + " and " + Tensor.shapeString(bs));
        }
        int k = as[as.length - 1];
        int kb = bs.length == 1 ? bs[0] : bs[bs.length - 2];
        if (k != kb) {
            throw new IllegalArgumentException("Kernels.matmul: inner dimensions differ: " + Tensor.shapeString(as) + " x "
                    + Tensor.shapeString(bs) + " (" + k + " vs " + kb + ")");
        }
        BatchedMatMul.checkBatches("Kernels.matmul", as, bs);
    }

    static int[] outShape(int[] as, int[] bs) {
        check(as, bs);
        return BatchedMatMul.outShape(as, bs, BatchedMatMul.rows(as, false), BatchedMatMul.cols(bs, bs.length == 1), as.length == 1,
                bs.length == 1);
    }

    /** {@code out} (float32 or float64, the operands' type) must have the shape {@link #outShape} gives. */
    static void apply(Tensor a, Tensor b, Tensor out) {
        int[] as = a.shapeArray(), bs = b.shapeArray();
        check(as, bs);
        // A vector b is the row [1, k] read transposed: the same memory as the column [k, 1].
        boolean transB = bs.length == 1;
        if (!BatchedMatMul.fits(out.shapeArray(), as, bs, BatchedMatMul.rows(as, false), BatchedMatMul.cols(bs, transB), as.length == 1,
                bs.length == 1)) {
            throw new IllegalArgumentException("Kernels.matmul: out has shape " + Tensor.shapeString(out.shape()) + " but "
                    + Tensor.shapeString(as) + " x " + Tensor.shapeString(bs) + " gives " + Tensor.shapeString(outShape(as, bs)));
        }
        BatchedMatMul.run("Kernels.matmul", a, false, b, transB, out);
    }
}
