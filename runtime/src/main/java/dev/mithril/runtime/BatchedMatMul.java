package dev.mithril.runtime;

import java.util.Arrays;

/**
 * {@code op(a) · op(b)} over broadcast batch dimensions, op being a transpose of the last two axes where asked: the
 * batched form of {@link Gradients#matmul}, which backward passes of batched products use so that no transposed copy
 * of an operand is made, and the product behind {@link MatMul}. An operand's matrix is its last two axes, a missing
 * axis reading as 1 (so a vector is one row), and its batch the axes before them. Float32 goes to {@link Gemm#sgemm},
 * float64 to {@link Gemm#dgemm}. Checks and products read the shapes in place: a product that fits its {@code out}
 * allocates nothing but what a parallel split over batches needs.
 */
final class BatchedMatMul {
    private BatchedMatMul() {}

    /** Axis {@code i} of shape {@code s} counted from the end (1: the last), 1 where it has fewer axes. */
    private static int fromEnd(int[] s, int i) { return s.length >= i ? s[s.length - i] : 1; }

    private static int batchRank(int[] s) { return Math.max(0, s.length - 2); }

    /** Axis {@code d} of {@code s}'s batch aligned to the right in a broadcast batch of rank {@code rank}, 1 where it has none. */
    private static int batchDim(int[] s, int rank, int d) {
        int j = d - (rank - batchRank(s));
        return j >= 0 ? s[j] : 1;
    }

    /** Broadcast batch axis {@code d}: the operands' sizes where they agree, else the one that is not 1 (0 included). */
    private static int batchDim(int[] as, int[] bs, int rank, int d) {
        int da = batchDim(as, rank, d);
        return da == 1 ? batchDim(bs, rank, d) : da;
    }

    static int rows(int[] s, boolean trans) { return fromEnd(s, trans ? 1 : 2); }

    static int cols(int[] s, boolean trans) { return fromEnd(s, trans ? 2 : 1); }

    private static String operands(int[] as, boolean transA, int[] bs, boolean transB) {
        return Tensor.shapeString(as) + (transA ? "ᵀ" : "") + " · " + Tensor.shapeString(bs) + (transB ? "ᵀ" : "");
    }

    /** @throws IllegalArgumentException naming both shapes unless the batches broadcast */
    static void checkBatches(String where, int[] as, int[] bs) {
        int rank = Math.max(batchRank(as), batchRank(bs));
        for (int d = 0; d < rank; d++) {
            int da = batchDim(as, rank, d), db = batchDim(bs, rank, d);
            if (da != db && da != 1 && db != 1) { // Broadcast.shape says which axis, in the form every broadcast error has
                Broadcast.shape(where, Arrays.copyOf(as, batchRank(as)), Arrays.copyOf(bs, batchRank(bs)));
            }
        }
    }

    /**
     * Whether {@code out} has the product's shape: the broadcast batch, then {@code m} unless {@code dropM}, then
     * {@code n} unless {@code dropN} ({@code torch.matmul} drops the axis of a vector operand). Batches must broadcast.
     */
    static boolean fits(int[] os, int[] as, int[] bs, int m, int n, boolean dropM, boolean dropN) {
        int rank = Math.max(batchRank(as), batchRank(bs));
        if (os.length != rank + (dropM ? 0 : 1) + (dropN ? 0 : 1)) return false;
        for (int d = 0; d < rank; d++) if (os[d] != batchDim(as, bs, rank, d)) return false;
        return (dropM || os[rank] == m) && (dropN || os[os.length - 1] == n);
    }

    /** The product's shape, batch then {@code [m, n]}, with {@link #fits}'s drops. */
    static int[] outShape(int[] as, int[] bs, int m, int n, boolean dropM, boolean dropN) {
        int rank = Math.max(batchRank(as), batchRank(bs));
        int[] s = new int[rank + (dropM ? 0 : 1) + (dropN ? 0 : 1)];
        for (int d = 0; d < rank; d++) s[d] = batchDim(as, bs, rank, d);
        if (!dropM) s[rank] = m;
        if (!dropN) s[s.length - 1] = n;
        return s;
    }

    /** The shape {@link Gradients#matmul} gives, after its checks. */
    static int[] outShape(int[] as, boolean transA, int[] bs, boolean transB) {
        check(as, transA, bs, transB);
        return outShape(as, bs, rows(as, transA), cols(bs, transB), false, false);
    }

    private static void check(int[] as, boolean transA, int[] bs, boolean transB) {
        if (as.length < 2 || bs.length < 2) {
            throw new IllegalArgumentException("Gradients.matmul: transposed products need operands of rank 2 or more, got "
                    + Tensor.shapeString(as) + " and " + Tensor.shapeString(bs));
        }
        int k = cols(as, transA), kb = rows(bs, transB);
        if (k != kb) {
            throw new IllegalArgumentException("Gradients.matmul: " + operands(as, transA, bs, transB) + ": inner dimensions " + k
                    + " and " + kb + " differ");
        }
        checkBatches("Gradients.matmul", as, bs);
    }

    /** {@link Gradients#matmulInto}: checks, then {@link #run}. */
    static void apply(Tensor a, boolean transA, Tensor b, boolean transB, Tensor out) {
        int[] as = a.shapeArray(), bs = b.shapeArray();
        check(as, transA, bs, transB);
        int m = rows(as, transA), n = cols(bs, transB);
        if (!fits(out.shapeArray(), as, bs, m, n, false, false)) {
            throw new IllegalArgumentException("Gradients.matmul: out has shape " + Tensor.shapeString(out.shape()) + " but "
                    + operands(as, transA, bs, transB) + " gives " + Tensor.shapeString(outShape(as, bs, m, n, false, false)));
        }
        run("Gradients.matmul", a, transA, b, transB, out);
    }

    /**
     * The product into {@code out}, whose shape the caller has checked ({@link #fits}, inner dimensions, batches);
     * errors name {@code where}.
     */
    static void run(String where, Tensor a, boolean transA, Tensor b, boolean transB, Tensor out) {
        if (a.dtype() != b.dtype() || a.dtype() != out.dtype()) {
            throw new IllegalArgumentException(where + ": operands and out must share one float type, got " + a.dtype() + ", "
                    + b.dtype() + " and " + out.dtype());
        }
        boolean f64 = out.dtype() == DType.F64;
        if (f64 ? out.doubles() == a.doubles() || out.doubles() == b.doubles() : out.data() == a.data() || out.data() == b.data()) {
            throw new IllegalArgumentException(where + ": out must not share storage with an operand");
        }
        int[] as = a.shapeArray(), bs = b.shapeArray();
        int m = rows(as, transA), n = cols(bs, transB), k = cols(as, transA);
        // An empty row (k = 0, or m = 0 when transposed) still has a leading dimension of 1 for Gemm's bounds check.
        int lda = Math.max(1, fromEnd(as, 1)), ldb = Math.max(1, fromEnd(bs, 1));
        int rank = Math.max(batchRank(as), batchRank(bs));
        int batches = 1;
        boolean oneB = true;
        for (int d = 0; d < rank; d++) {
            batches *= batchDim(as, bs, rank, d);
            oneB &= batchDim(bs, rank, d) == 1;
        }
        if (batches == 0 || m == 0 || n == 0) return;
        if (oneB && !transA) {
            // One B for every batch and A's rows back to back: the batch folds into m, one large product.
            product(f64, transA, transB, batches * m, n, k, a, 0, lda, b, 0, ldb, out, 0);
        } else if ((long) m * n * k < 1 << 18 && batches > 1 && Parallel.threads() > 1) {
            // Small products: split the batches over threads (large ones split inside Gemm instead).
            Parallel.forRange(batches, 1, (from, to) -> products(f64, transA, transB, m, n, k, a, lda, b, ldb, out, rank, from, to));
        } else {
            products(f64, transA, transB, m, n, k, a, lda, b, ldb, out, rank, 0, batches);
        }
    }

    /** Products {@code from..to} of the batch, each operand's matrix found by walking the broadcast batch axes. */
    private static void products(boolean f64, boolean transA, boolean transB, int m, int n, int k, Tensor a, int lda, Tensor b, int ldb,
                                 Tensor out, int rank, int from, int to) {
        int[] as = a.shapeArray(), bs = b.shapeArray();
        for (int t = from; t < to; t++) {
            long oa = 0, ob = 0, sa = (long) m * k, sb = (long) k * n;
            int rem = t;
            for (int d = rank - 1; d >= 0; d--) {
                int da = batchDim(as, rank, d), db = batchDim(bs, rank, d), size = da == 1 ? db : da;
                int idx = rem % size;
                rem /= size;
                if (da != 1) oa += idx * sa;
                if (db != 1) ob += idx * sb;
                sa *= da;
                sb *= db;
            }
            product(f64, transA, transB, m, n, k, a, (int) oa, lda, b, (int) ob, ldb, out, t * m * n);
        }
    }

    private static void product(boolean f64, boolean transA, boolean transB, int m, int n, int k, Tensor a, int aOff, int lda,
                                Tensor b, int bOff, int ldb, Tensor out, int outOff) {
        if (f64) Gemm.dgemm(transA, transB, m, n, k, 1.0, a.doubles(), aOff, lda, b.doubles(), bOff, ldb, 0.0, out.doubles(), outOff, n);
        else Gemm.sgemm(transA, transB, m, n, k, 1f, a.data(), aOff, lda, b.data(), bOff, ldb, 0f, out.data(), outOff, n);
    }
}
