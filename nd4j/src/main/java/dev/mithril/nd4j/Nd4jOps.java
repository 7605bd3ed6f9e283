package dev.mithril.nd4j;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The operations generated ND4J code needs that ND4J has no single call for, with Mithril's semantics:
 * exact GELU, {@code torch.matmul}, and PyTorch's linear layer (weight {@code [out, in]}) over inputs of
 * any rank. Each has an allocating form and one that writes a given (planned) array. The backward
 * pass adds the gradient rules of the elementwise activations, transposed products, and the two ops that
 * undo or redo broadcasting ({@link #sumTo}, {@link #expand}); these allocate their result.
 */
public final class Nd4jOps {
    private static final double SQRT1_2 = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;

    private Nd4jOps() {}

    /**
     * Exact GELU, {@code x/2 * (1 + erf(x/sqrt(2)))}, as PyTorch's default computes it. ND4J's {@code GELU}
     * op is the sigmoid approximation {@code x * sigmoid(1.702 x)} and {@code PreciseGELU} the tanh one;
     * neither matches to 1e-5.
     */
    public static INDArray gelu(INDArray x) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, x.shape());
        return gelu(x, out);
    }

    /**
     * Exact GELU of {@code x} into {@code out}, which may share {@code x}'s memory (a planned in-place node);
     * then one temporary is allocated, since {@code x} is read again after the first write.
     */
    public static INDArray gelu(INDArray x, INDArray out) {
        boolean inPlace = out == x || Nd4jBridge.address(out) == Nd4jBridge.address(x);
        INDArray t = inPlace ? x.mul(SQRT1_2) : out.assign(x).muli(SQRT1_2);
        Nd4j.exec(new Erf(t, t));
        t.addi(1.0);
        Nd4j.exec(new MulOp(t, x, out));
        return out.muli(0.5);
    }

    /** {@code x·Wᵀ + b} for {@code x [..., in]}, {@code w [out, in]}, {@code b [out]} (or null). */
    public static INDArray linear(INDArray x, INDArray w, INDArray b) {
        long[] shape = x.shape().clone();
        shape[shape.length - 1] = w.size(0);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, shape);
        return linear(x, w, b, out);
    }

    /** {@code x·Wᵀ + b} into {@code out}: the product by one GEMM, then the bias added row by row. */
    public static INDArray linear(INDArray x, INDArray w, INDArray b, INDArray out) {
        INDArray out2 = rows(out, w.size(0));
        Nd4j.gemm(rows(x, w.size(1)), w, out2, false, true, 1.0, 0.0);
        if (b != null) out2.addiRowVector(b);
        return out;
    }

    /**
     * {@code torch.matmul}: matrix product over the last two dimensions, broadcast over the leading ones;
     * a rank-1 first operand is a row, a rank-1 second operand a column (both dropped from the result).
     */
    public static INDArray matmul(INDArray a, INDArray b) {
        int ra = a.rank(), rb = b.rank();
        INDArray a2 = ra == 1 ? a.reshape('c', 1, a.length()) : a;
        INDArray b2 = rb == 1 ? b.reshape('c', b.length(), 1) : b;
        INDArray r;
        if (b2.rank() == 2) {
            // One GEMM over every row of a: the batch dimensions of a are just more rows.
            long k = a2.size(-1), n = b2.size(1);
            long[] shape = a2.shape().clone();
            shape[shape.length - 1] = n;
            r = rows(a2, k).mmul(b2).reshape('c', shape);
        } else {
            long[] batch = broadcast(Arrays.copyOf(a2.shape(), a2.rank() - 2), Arrays.copyOf(b2.shape(), b2.rank() - 2));
            INDArray ab = expand(a2, batch), bb = expand(b2, batch);
            long m = ab.size(-2), k = ab.size(-1), n = bb.size(-1), count = 1;
            for (long d : batch) count *= d;
            INDArray a3 = ab.reshape('c', count, m, k), b3 = bb.reshape('c', count, k, n);
            INDArray r3 = Nd4j.createUninitialized(DataType.FLOAT, count, m, n);
            for (long i = 0; i < count; i++) r3.slice(i).assign(a3.slice(i).mmul(b3.slice(i)));
            long[] shape = Arrays.copyOf(batch, batch.length + 2);
            shape[batch.length] = m;
            shape[batch.length + 1] = n;
            r = r3.reshape('c', shape);
        }
        long[] s = r.shape();
        if (rb == 1) s = drop(s, s.length - 1);
        if (ra == 1) s = drop(s, s.length - (rb == 1 ? 1 : 2));
        return s.length == 0 ? Nd4j.scalar(r.getFloat(0)) : r.reshape('c', s);
    }

    /** {@code torch.matmul} into {@code out}; a 2-D right operand is one GEMM straight into {@code out}. */
    public static INDArray matmul(INDArray a, INDArray b, INDArray out) {
        if (a.rank() >= 2 && b.rank() == 2) {
            Nd4j.gemm(rows(a, b.size(0)), b, rows(out, b.size(1)), false, false, 1.0, 0.0);
            return out;
        }
        return out.assign(matmul(a, b));
    }

    /** {@code op(a)·op(b)} where {@code op} transposes the last two axes when its flag is set (batched like {@link #matmul(INDArray, INDArray)}). */
    public static INDArray matmul(INDArray a, INDArray b, boolean transA, boolean transB) {
        // Transposed views, not Nd4j.gemm's flags: in 1.0.0-M2.1 those check the shapes untransposed.
        if (a.rank() == 2 && b.rank() == 2) return (transA ? a.transpose() : a).mmul(transB ? b.transpose() : b);
        return matmul(transA ? swapLast(a) : a, transB ? swapLast(b) : b);
    }

    /** {@code a} with its last two axes swapped, row-major. */
    private static INDArray swapLast(INDArray a) {
        int[] perm = new int[a.rank()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        perm[perm.length - 2] = perm.length - 1;
        perm[perm.length - 1] = perm.length - 2;
        return a.permute(perm).dup('c');
    }

    /**
     * {@code g} summed down to {@code shape}, the shape of an operand broadcast to {@code g}'s shape: over
     * {@code g}'s extra leading axes and over every axis where {@code shape} has a 1.
     */
    public static INDArray sumTo(INDArray g, long... shape) {
        int pad = g.rank() - shape.length;
        int[] axes = new int[g.rank()];
        int count = 0;
        for (int i = 0; i < g.rank(); i++) if (i < pad || (shape[i - pad] == 1 && g.size(i) != 1)) axes[count++] = i;
        INDArray summed = count == 0 ? g.dup() : g.sum(true, Arrays.copyOf(axes, count));
        return shape.length == 0 ? Nd4j.scalar(g.dataType(), summed.getDouble(0)) : summed.reshape('c', shape);
    }

    /** {@code g} broadcast to {@code shape} (leading axes added as needed) and divided by {@code divisor} (a mean's count, else 1). */
    public static INDArray expand(INDArray g, long[] shape, double divisor) {
        long[] padded = new long[shape.length];
        Arrays.fill(padded, 1);
        System.arraycopy(g.shape(), 0, padded, shape.length - g.rank(), g.rank());
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, shape);
        INDArray source = g.reshape('c', padded);
        out.assign(Arrays.equals(padded, shape) ? source : source.broadcast(shape));
        return divisor == 1 ? out : out.divi(divisor);
    }

    /** The gradient of ReLU from its output {@code y}: {@code g} where {@code y > 0}, else 0. */
    public static INDArray reluGrad(INDArray y, INDArray g) {
        return y.gt(0.0).castTo(DataType.FLOAT).muli(g);
    }

    /** The gradient of the sigmoid from its output {@code y}: {@code g·y·(1 - y)}. */
    public static INDArray sigmoidGrad(INDArray y, INDArray g) {
        return y.rsub(1.0).muli(y).muli(g);
    }

    /** The gradient of tanh from its output {@code y}: {@code g·(1 - y²)}. */
    public static INDArray tanhGrad(INDArray y, INDArray g) {
        return y.mul(y).rsubi(1.0).muli(g);
    }

    /** The gradient of exact GELU from its input {@code x}: {@code g·(Φ(x) + x·φ(x))}, Φ and φ the normal CDF and density. */
    public static INDArray geluGrad(INDArray x, INDArray g) {
        INDArray cdf = x.mul(SQRT1_2);
        Nd4j.exec(new Erf(cdf, cdf));
        cdf.addi(1.0).muli(0.5);
        INDArray density = org.nd4j.linalg.ops.transforms.Transforms.exp(x.mul(x).muli(-0.5), false).muli(INV_SQRT_2PI);
        return density.muli(x).addi(cdf).muli(g);
    }

    /** {@code a} as a matrix of rows of {@code width} (a view when {@code a} is row-major and contiguous). */
    private static INDArray rows(INDArray a, long width) {
        if (a.rank() == 2) return a;
        return a.reshape('c', a.length() / width, width);
    }

    private static INDArray expand(INDArray a, long[] batch) {
        long[] target = Arrays.copyOf(batch, batch.length + 2);
        target[batch.length] = a.size(-2);
        target[batch.length + 1] = a.size(-1);
        if (Arrays.equals(a.shape(), target)) return a;
        long[] padded = new long[target.length];
        Arrays.fill(padded, 1);
        System.arraycopy(a.shape(), 0, padded, target.length - a.rank(), a.rank());
        return a.reshape('c', padded).broadcast(target);
    }

    private static long[] broadcast(long[] x, long[] y) {
        int r = Math.max(x.length, y.length);
        long[] out = new long[r];
        for (int i = 0; i < r; i++) {
            long dx = i < r - x.length ? 1 : x[i - (r - x.length)], dy = i < r - y.length ? 1 : y[i - (r - y.length)];
            if (dx != dy && dx != 1 && dy != 1)
                throw new IllegalArgumentException("Nd4jOps.matmul: batch dimensions " + Arrays.toString(x) + " and " + Arrays.toString(y) + " do not broadcast");
            out[i] = dx == 1 ? dy : dx;
        }
        return out;
    }

    private static long[] drop(long[] s, int axis) {
        long[] out = new long[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) if (i != axis) out[j++] = s[i];
        return out;
    }
}
