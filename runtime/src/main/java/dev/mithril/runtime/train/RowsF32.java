package dev.mithril.runtime.train;

import dev.mithril.runtime.DType;
import dev.mithril.runtime.Parallel;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CrossEntropy} on float32 logits with class-index targets, row by row, writing the gradient in place: no
 * copy of the logits in double and no temporary per element, which for a language model's vocabulary is most of a
 * training step's memory traffic outside the model. Exponentials in float vectors, every sum in double.
 */
final class RowsF32 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    /** Row losses of the last call on this thread, added in order after the parallel part. */
    private static final ThreadLocal<double[][]> LOSSES = ThreadLocal.withInitial(() -> new double[1][0]);

    private RowsF32() {}

    static boolean applies(Tensor logits, Tensor target) {
        return logits.dtype() == DType.F32 && (target.dtype() == DType.I64 || target.dtype() == DType.I32);
    }

    /** The positions whose target is not {@code ignoreIndex}; every other target is checked to be a class. */
    static long counted(Tensor target, int rows, int c, long ignoreIndex) {
        long n = 0;
        for (int r = 0; r < rows; r++) {
            long y = index(target, r);
            LossValues.checkIndex("CrossEntropy", y, c, ignoreIndex, r);
            if (y != ignoreIndex) n++;
        }
        return n;
    }

    private static long index(Tensor target, int r) { return target.dtype() == DType.I64 ? target.longs()[r] : target.ints()[r]; }

    /**
     * Writes {@code scale * d loss_r / d z} into each row of {@code g} (zeros for ignored rows) and returns the sum of
     * the row losses {@code (1 - e) (lse - z_y) + e (lse - mean(z))}.
     */
    static double run(float[] z, Tensor target, float[] g, int rows, int c, long ignoreIndex, double e, double scale) {
        double[][] holder = LOSSES.get();
        if (holder[0].length < rows) holder[0] = new double[rows];
        double[] losses = holder[0];
        Parallel.forRange(rows, Math.max(1, (1 << 14) / Math.max(1, c)), (from, to) -> {
            for (int r = from; r < to; r++) losses[r] = row(z, r * c, c, index(target, r), ignoreIndex, e, scale, g);
        });
        double total = 0;
        for (int r = 0; r < rows; r++) total += losses[r];
        return total;
    }

    private static double row(float[] z, int off, int c, long y, long ignoreIndex, double e, double scale, float[] g) {
        if (y == ignoreIndex) {
            java.util.Arrays.fill(g, off, off + c, 0f);
            return 0;
        }
        int bound = S.loopBound(c);
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j < bound; j += V) mv = mv.max(FloatVector.fromArray(S, z, off + j));
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; j < c; j++) max = Math.max(max, z[off + j]);
        // exp(z - max) into the gradient row, summed in double over blocks of float vectors.
        double sum = 0, zsum = 0;
        j = 0;
        while (j < bound) {
            int end = Math.min(bound, j + 256);
            VectorMath.expInto(z, off + j, 1f, max, g, off + j, end - j);
            // summed from the arrays (VectorMath.sumOf): no vector is passed to a call C2 might not inline
            sum += VectorMath.sumOf(g, off + j, end - j);
            zsum += VectorMath.sumOf(z, off + j, end - j);
            j = end;
        }
        for (; j < c; j++) {
            float ev = VectorMath.exp(z[off + j] - max);
            g[off + j] = ev;
            sum += ev;
            zsum += z[off + j];
        }
        double lse = max + Math.log(sum);
        // d/dz_j = p_j - e / C - (1 - e) [j = y], times the reduction's scale. Values below the smallest normal float
        // become 0: a confident model's far-off classes have p_j * scale under 1e-38, and subnormal inputs slow every
        // multiply of the GEMMs that read this gradient by a microcode assist (a decoder's training step went from 2.5
        // to 25 s once a few steps had made its logits confident). The change is under 1.2e-38 per element.
        float k = (float) (scale / sum), shift = (float) (scale * e / c);
        j = 0;
        for (; j < bound; j += V) {
            FloatVector v = FloatVector.fromArray(S, g, off + j).mul(k).sub(shift);
            v.blend(0f, v.abs().compare(VectorOperators.LT, Float.MIN_NORMAL)).intoArray(g, off + j);
        }
        for (; j < c; j++) {
            float v = g[off + j] * k - shift;
            g[off + j] = Math.abs(v) < Float.MIN_NORMAL ? 0f : v;
        }
        g[off + (int) y] -= (float) (scale * (1 - e));
        return (1 - e) * (lse - z[off + (int) y]) + e * (lse - zsum / c);
    }
}
