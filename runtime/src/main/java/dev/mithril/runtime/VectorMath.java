package dev.mithril.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane sums and transcendental functions on the preferred vector species that give the same bits however the JVM runs
 * the code: interpreted, compiled by C1 or compiled by C2.
 *
 * <p>The Vector API leaves two things open that make its own operations unsuitable where results must repeat:
 * <ul>
 *   <li>{@code reduceLanes(ADD)} on floating-point lanes sums in an unspecified order. The Java implementation (the
 *       interpreter and C1) adds lane by lane from lane 0; C2's intrinsic folds halves. Measured on JDK 25: 63% of
 *       random 16-lane float sums, 53% of 8-lane ones, differ in the last bits between a method's first calls and
 *       the same calls once compiled.</li>
 *   <li>{@code lanewise(EXP)}, {@code TANH} and the other transcendental operators are computed by
 *       {@code Math}/{@code StrictMath} in Java but by a different vector library in C2's code: 1.5% (512-bit) and
 *       4.5% (256-bit) of {@code EXP}'s float results differ between the two.</li>
 * </ul>
 * So a model's output would change in its last bits as the JIT warms up, and a product split over two threads could
 * differ from the same product on one (a worker may run a kernel still interpreted while the caller runs it compiled).
 *
 * <p>Every function here is written with lane-wise operations that IEEE 754 defines exactly (add, multiply, fused
 * multiply-add, compare, blend, integer shifts, rearrangements), in a fixed order, so each tier computes the same
 * bits. The kernels call the array-level forms ({@link #sumOf}, {@link #dotOf}, {@code sumsInto}, {@link #expInto},
 * {@link #tanhInto}, {@link #sigmoidInto}): no vector crosses a call, so none is boxed where C2 does not inline one.
 * Each transcendental has a scalar twin with the same operations in the same order, for loop tails and tests:
 * {@link #exp(float)} equals what {@link #expInto} writes for the same argument, bit for bit.
 */
public final class VectorMath {
    /** The species these functions take: the preferred ones, as every kernel of the runtime uses. */
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    public static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int FV = F.length(), DV = D.length();

    private VectorMath() {}

    // ---- sums -------------------------------------------------------------------------------------------------

    /** Lane i with lane i ^ d; the identity where the species has no such level (never used then). */
    static final VectorShuffle<Float> FX32 = swap(F, 32), FX16 = swap(F, 16), FX8 = swap(F, 8), FX4 = swap(F, 4),
            FX2 = swap(F, 2), FX1 = swap(F, 1);
    static final VectorShuffle<Double> DX16 = swap(D, 16), DX8 = swap(D, 8), DX4 = swap(D, 4), DX2 = swap(D, 2),
            DX1 = swap(D, 1);

    /** Lanes with bit d set (the second vector's, in a fold), for d = 8, 4, 2, 1; bit-reversed lane order. */
    static final VectorMask<Float> FM8 = upper(F, 8), FM4 = upper(F, 4), FM2 = upper(F, 2), FM1 = upper(F, 1);
    static final VectorMask<Double> DM4 = upper(D, 4), DM2 = upper(D, 2), DM1 = upper(D, 1);
    /**
     * The same masks as bits, for kernels that make them where they use them: {@code VectorMask.fromLong} of a constant
     * compiles to a move into a mask register, where a static mask's lanes are loaded and converted at each use
     * (GemmDot).
     */
    static final long FM8_BITS = FM8.toLong(), FM4_BITS = FM4.toLong(), FM2_BITS = FM2.toLong(), FM1_BITS = FM1.toLong(),
            DM4_BITS = DM4.toLong(), DM2_BITS = DM2.toLong(), DM1_BITS = DM1.toLong();
    static final VectorShuffle<Float> FREV = reversed(F);
    /** For 16 lanes: lane a takes lane 8 (a & 1) + 4 (a >> 1 & 1) (see fold4of16); only lanes 0 to 3 are kept. */
    private static final VectorShuffle<Float> F4REV = VectorShuffle.fromOp(F, a -> FV == 16 ? 8 * (a & 1) + 4 * (a >> 1 & 1) : a);
    private static final VectorShuffle<Double> DREV = reversed(D);

    private static <E> VectorMask<E> upper(VectorSpecies<E> s, int d) {
        boolean[] m = new boolean[s.length()];
        for (int i = 0; i < m.length; i++) m[i] = (i & d) != 0;
        return VectorMask.fromArray(s, m, 0);
    }

    private static <E> VectorShuffle<E> reversed(VectorSpecies<E> s) {
        int n = s.length(), bits = Integer.numberOfTrailingZeros(n);
        int[] ix = new int[n];
        for (int i = 0; i < n; i++) ix[i] = bits == 0 ? 0 : Integer.reverse(i) >>> (32 - bits);
        return VectorShuffle.fromArray(s, ix, 0);
    }

    private static <E> VectorShuffle<E> swap(VectorSpecies<E> s, int d) {
        int n = s.length();
        int[] ix = new int[n];
        for (int i = 0; i < n; i++) ix[i] = d < n ? i ^ d : i;
        return VectorShuffle.fromArray(s, ix, 0);
    }

    /**
     * The sum of the lanes of {@code v}, as a butterfly: every lane i is added to lane {@code i ^ (V/2)}, then to lane
     * {@code i ^ (V/4)}, and so on down to {@code i ^ 1}; lane 0 holds the sum ({@link #sumInOrder} is the same order
     * on an array). A vector argument is boxed if C2 does not inline this call; in kernels prefer the array-level
     * {@link #sumOf}, {@link #dotOf} and {@code sumsInto}, which cannot box.
     */
    public static float sum(FloatVector v) {
        if (FV >= 64) v = v.add(v.rearrange(FX32)); // up to 2048-bit vectors (ARM SVE's widest)
        if (FV >= 32) v = v.add(v.rearrange(FX16));
        if (FV >= 16) v = v.add(v.rearrange(FX8));
        if (FV >= 8) v = v.add(v.rearrange(FX4));
        if (FV >= 4) v = v.add(v.rearrange(FX2));
        if (FV >= 2) v = v.add(v.rearrange(FX1));
        return v.lane(0);
    }

    /** {@link #sum(FloatVector)} for doubles. */
    public static double sum(DoubleVector v) {
        if (DV >= 32) v = v.add(v.rearrange(DX16));
        if (DV >= 16) v = v.add(v.rearrange(DX8));
        if (DV >= 8) v = v.add(v.rearrange(DX4));
        if (DV >= 4) v = v.add(v.rearrange(DX2));
        if (DV >= 2) v = v.add(v.rearrange(DX1));
        return v.lane(0);
    }

    /**
     * Replaces {@code t[off .. off + n)} with the lane sums of the {@code n} vectors stored at {@code t[off],
     * t[off + V], ..., t[off + (n - 1) V]}, each as {@link #sum(FloatVector)} sums it. For kernels with many
     * accumulators (GEMM's dot-product blocks, attention's rows): a call of {@code sum} per accumulator, in line,
     * would take such a method past C2's inlining budget, and a vector passed to a call that is not inlined is boxed
     * (an allocation per sum). Stored to an array, no vector crosses a call. The butterfly is written out here rather
     * than calling {@code sum}, for the same reason.
     */
    static void sumsInto(float[] t, int off, int n) {
        int r = 0;
        // groups of V vectors fold together: at each level two vectors' halves are blended and added, so one permute
        // serves two sums (60 operations for 16 sums against 128 for 16 butterflies). The last group reads whole V
        // vectors whatever n is (t must hold them, see groupedLength); lanes never mix across vectors, so what lies
        // past the n-th only makes sums that are not kept.
        if (FV == 16) {
            for (; r + 16 <= n; r += 16) fold16(t, off + r * 16, off + r);
            if (r < n && n - r <= 4) { fold4of16(t, off + r * 16, off + r); r = n; }
            for (; r < n; r += 16) fold16(t, off + r * 16, off + r);
        }
        if (FV == 8) for (; r < n; r += 8) fold8(t, off + r * 8, off + r);
        for (; r < n; r++) { // sum r lands at or before vector r's first float, which is already read
            FloatVector v = FloatVector.fromArray(F, t, off + r * FV);
            if (FV >= 64) v = v.add(v.rearrange(FX32));
            if (FV >= 32) v = v.add(v.rearrange(FX16));
            if (FV >= 16) v = v.add(v.rearrange(FX8));
            if (FV >= 8) v = v.add(v.rearrange(FX4));
            if (FV >= 4) v = v.add(v.rearrange(FX2));
            if (FV >= 2) v = v.add(v.rearrange(FX1));
            t[off + r] = v.lane(0);
        }
    }

    /** Floats (or doubles, with {@code lanes} = D's) {@code sumsInto} may read from {@code off} for n sums. */
    static int groupedLength(int n, int lanes) { return (n + lanes - 1) / lanes * lanes * lanes; }

    /** {@link #sumsInto(float[], int, int)} for doubles. */
    static void sumsInto(double[] t, int off, int n) {
        int r = 0;
        if (DV == 8) for (; r < n; r += 8) fold8(t, off + r * 8, off + r);
        if (DV == 4) for (; r < n; r += 4) fold4(t, off + r * 4, off + r);
        for (; r < n; r++) {
            DoubleVector v = DoubleVector.fromArray(D, t, off + r * DV);
            if (DV >= 32) v = v.add(v.rearrange(DX16));
            if (DV >= 16) v = v.add(v.rearrange(DX8));
            if (DV >= 8) v = v.add(v.rearrange(DX4));
            if (DV >= 4) v = v.add(v.rearrange(DX2));
            if (DV >= 2) v = v.add(v.rearrange(DX1));
            t[off + r] = v.lane(0);
        }
    }

    /*
     * The folds. A level at distance d takes two vectors a and b whose lanes hold partial sums of their own
     * accumulators and returns one: lanes without bit d hold a[i] + a[i + d], lanes with it b[i] + b[i - d], the same
     * pairs as sum()'s butterfly (an IEEE sum does not depend on its operands' order). After the last level lane L
     * holds the sum of the accumulator whose index is L's bits reversed; the last permute puts them in order. The
     * group's sums are stored over its first vector, or over vectors of an earlier group, all already read.
     */
    /** 16 vectors of 16 lanes at {@code t[off]}: their sums, in order, to {@code t[dst .. dst + 16)}. */
    private static void fold16(float[] t, int off, int dst) {
        FloatVector v0 = FloatVector.fromArray(F, t, off + 0 * 16), v1 = FloatVector.fromArray(F, t, off + 1 * 16),
                v2 = FloatVector.fromArray(F, t, off + 2 * 16), v3 = FloatVector.fromArray(F, t, off + 3 * 16);
        FloatVector v4 = FloatVector.fromArray(F, t, off + 4 * 16), v5 = FloatVector.fromArray(F, t, off + 5 * 16),
                v6 = FloatVector.fromArray(F, t, off + 6 * 16), v7 = FloatVector.fromArray(F, t, off + 7 * 16);
        FloatVector v8 = FloatVector.fromArray(F, t, off + 8 * 16), v9 = FloatVector.fromArray(F, t, off + 9 * 16),
                v10 = FloatVector.fromArray(F, t, off + 10 * 16), v11 = FloatVector.fromArray(F, t, off + 11 * 16);
        FloatVector v12 = FloatVector.fromArray(F, t, off + 12 * 16), v13 = FloatVector.fromArray(F, t, off + 13 * 16),
                v14 = FloatVector.fromArray(F, t, off + 14 * 16), v15 = FloatVector.fromArray(F, t, off + 15 * 16);
        v0 = v0.blend(v1, FM8).add(v1.blend(v0, FM8).rearrange(FX8));
        v2 = v2.blend(v3, FM8).add(v3.blend(v2, FM8).rearrange(FX8));
        v4 = v4.blend(v5, FM8).add(v5.blend(v4, FM8).rearrange(FX8));
        v6 = v6.blend(v7, FM8).add(v7.blend(v6, FM8).rearrange(FX8));
        v8 = v8.blend(v9, FM8).add(v9.blend(v8, FM8).rearrange(FX8));
        v10 = v10.blend(v11, FM8).add(v11.blend(v10, FM8).rearrange(FX8));
        v12 = v12.blend(v13, FM8).add(v13.blend(v12, FM8).rearrange(FX8));
        v14 = v14.blend(v15, FM8).add(v15.blend(v14, FM8).rearrange(FX8));
        v0 = v0.blend(v2, FM4).add(v2.blend(v0, FM4).rearrange(FX4));
        v4 = v4.blend(v6, FM4).add(v6.blend(v4, FM4).rearrange(FX4));
        v8 = v8.blend(v10, FM4).add(v10.blend(v8, FM4).rearrange(FX4));
        v12 = v12.blend(v14, FM4).add(v14.blend(v12, FM4).rearrange(FX4));
        v0 = v0.blend(v4, FM2).add(v4.blend(v0, FM2).rearrange(FX2));
        v8 = v8.blend(v12, FM2).add(v12.blend(v8, FM2).rearrange(FX2));
        v0 = v0.blend(v8, FM1).add(v8.blend(v0, FM1).rearrange(FX1));
        v0.rearrange(FREV).intoArray(t, dst);
    }

    /**
     * 4 vectors of 16 lanes at {@code t[off]}: their sums to {@code t[dst .. dst + 4)}, and 12 floats not kept after
     * them. Two levels as pairs, then two within the one vector left; lane {@code 8 (a & 1) + 4 (a >> 1)} then holds
     * vector a's sum.
     */
    private static void fold4of16(float[] t, int off, int dst) {
        FloatVector v0 = FloatVector.fromArray(F, t, off), v1 = FloatVector.fromArray(F, t, off + 16),
                v2 = FloatVector.fromArray(F, t, off + 32), v3 = FloatVector.fromArray(F, t, off + 48);
        v0 = v0.blend(v1, FM8).add(v1.blend(v0, FM8).rearrange(FX8));
        v2 = v2.blend(v3, FM8).add(v3.blend(v2, FM8).rearrange(FX8));
        v0 = v0.blend(v2, FM4).add(v2.blend(v0, FM4).rearrange(FX4));
        v0 = v0.add(v0.rearrange(FX2));
        v0 = v0.add(v0.rearrange(FX1));
        v0.rearrange(F4REV).intoArray(t, dst);
    }

    /** 8 vectors of 8 lanes at {@code t[off]}: their sums, in order, to {@code t[dst .. dst + 8)}. */
    private static void fold8(float[] t, int off, int dst) {
        FloatVector v0 = FloatVector.fromArray(F, t, off + 0 * 8), v1 = FloatVector.fromArray(F, t, off + 1 * 8),
                v2 = FloatVector.fromArray(F, t, off + 2 * 8), v3 = FloatVector.fromArray(F, t, off + 3 * 8);
        FloatVector v4 = FloatVector.fromArray(F, t, off + 4 * 8), v5 = FloatVector.fromArray(F, t, off + 5 * 8),
                v6 = FloatVector.fromArray(F, t, off + 6 * 8), v7 = FloatVector.fromArray(F, t, off + 7 * 8);
        v0 = v0.blend(v1, FM4).add(v1.blend(v0, FM4).rearrange(FX4));
        v2 = v2.blend(v3, FM4).add(v3.blend(v2, FM4).rearrange(FX4));
        v4 = v4.blend(v5, FM4).add(v5.blend(v4, FM4).rearrange(FX4));
        v6 = v6.blend(v7, FM4).add(v7.blend(v6, FM4).rearrange(FX4));
        v0 = v0.blend(v2, FM2).add(v2.blend(v0, FM2).rearrange(FX2));
        v4 = v4.blend(v6, FM2).add(v6.blend(v4, FM2).rearrange(FX2));
        v0 = v0.blend(v4, FM1).add(v4.blend(v0, FM1).rearrange(FX1));
        v0.rearrange(FREV).intoArray(t, dst);
    }

    /** 8 vectors of 8 lanes at {@code t[off]}: their sums, in order, to {@code t[dst .. dst + 8)}. */
    private static void fold8(double[] t, int off, int dst) {
        DoubleVector v0 = DoubleVector.fromArray(D, t, off + 0 * 8), v1 = DoubleVector.fromArray(D, t, off + 1 * 8),
                v2 = DoubleVector.fromArray(D, t, off + 2 * 8), v3 = DoubleVector.fromArray(D, t, off + 3 * 8);
        DoubleVector v4 = DoubleVector.fromArray(D, t, off + 4 * 8), v5 = DoubleVector.fromArray(D, t, off + 5 * 8),
                v6 = DoubleVector.fromArray(D, t, off + 6 * 8), v7 = DoubleVector.fromArray(D, t, off + 7 * 8);
        v0 = v0.blend(v1, DM4).add(v1.blend(v0, DM4).rearrange(DX4));
        v2 = v2.blend(v3, DM4).add(v3.blend(v2, DM4).rearrange(DX4));
        v4 = v4.blend(v5, DM4).add(v5.blend(v4, DM4).rearrange(DX4));
        v6 = v6.blend(v7, DM4).add(v7.blend(v6, DM4).rearrange(DX4));
        v0 = v0.blend(v2, DM2).add(v2.blend(v0, DM2).rearrange(DX2));
        v4 = v4.blend(v6, DM2).add(v6.blend(v4, DM2).rearrange(DX2));
        v0 = v0.blend(v4, DM1).add(v4.blend(v0, DM1).rearrange(DX1));
        v0.rearrange(DREV).intoArray(t, dst);
    }

    /** 4 vectors of 4 lanes at {@code t[off]}: their sums, in order, to {@code t[dst .. dst + 4)}. */
    private static void fold4(double[] t, int off, int dst) {
        DoubleVector v0 = DoubleVector.fromArray(D, t, off + 0 * 4), v1 = DoubleVector.fromArray(D, t, off + 1 * 4),
                v2 = DoubleVector.fromArray(D, t, off + 2 * 4), v3 = DoubleVector.fromArray(D, t, off + 3 * 4);
        v0 = v0.blend(v1, DM2).add(v1.blend(v0, DM2).rearrange(DX2));
        v2 = v2.blend(v3, DM2).add(v3.blend(v2, DM2).rearrange(DX2));
        v0 = v0.blend(v2, DM1).add(v2.blend(v0, DM1).rearrange(DX1));
        v0.rearrange(DREV).intoArray(t, dst);
    }

    /**
     * The sum of {@code a[off .. off + n)}, any n: the whole vectors added lane by lane in index order, their lanes
     * summed as {@link #sum(FloatVector)} does, then the floats past the last whole vector one by one. For kernels that
     * sum a row they have just written: it takes the array, not a vector, so it never boxes one whether or not C2
     * inlines it (a large kernel can pass C2's node budget before its call of {@code sum} is reached).
     */
    public static float sumOf(float[] a, int off, int n) {
        int bound = n - n % FV, i = 0;
        float s = 0f;
        if (bound > 0) {
            FloatVector v = FloatVector.fromArray(F, a, off);
            for (i = FV; i < bound; i += FV) v = v.add(FloatVector.fromArray(F, a, off + i));
            if (FV >= 64) v = v.add(v.rearrange(FX32));
            if (FV >= 32) v = v.add(v.rearrange(FX16));
            if (FV >= 16) v = v.add(v.rearrange(FX8));
            if (FV >= 8) v = v.add(v.rearrange(FX4));
            if (FV >= 4) v = v.add(v.rearrange(FX2));
            if (FV >= 2) v = v.add(v.rearrange(FX1));
            s = v.lane(0);
        }
        for (; i < n; i++) s += a[off + i];
        return s;
    }

    /**
     * {@code sum of x[xo + p] * y[yo + p]} for {@code p < k}: two accumulators over alternate whole vectors (fused
     * multiply-adds in index order), added, their lanes summed as {@link #sum(FloatVector)} does, then the products past
     * the last whole vector one by one. Array-level, like {@link #sumOf}.
     */
    public static float dotOf(float[] x, int xo, float[] y, int yo, int k) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0;
        int p = 0;
        for (; p <= k - 2 * FV; p += 2 * FV) {
            s0 = FloatVector.fromArray(F, x, xo + p).fma(FloatVector.fromArray(F, y, yo + p), s0);
            s1 = FloatVector.fromArray(F, x, xo + p + FV).fma(FloatVector.fromArray(F, y, yo + p + FV), s1);
        }
        for (; p <= k - FV; p += FV) s0 = FloatVector.fromArray(F, x, xo + p).fma(FloatVector.fromArray(F, y, yo + p), s0);
        FloatVector v = s0.add(s1);
        if (FV >= 64) v = v.add(v.rearrange(FX32));
        if (FV >= 32) v = v.add(v.rearrange(FX16));
        if (FV >= 16) v = v.add(v.rearrange(FX8));
        if (FV >= 8) v = v.add(v.rearrange(FX4));
        if (FV >= 4) v = v.add(v.rearrange(FX2));
        if (FV >= 2) v = v.add(v.rearrange(FX1));
        float s = v.lane(0);
        for (; p < k; p++) s += x[xo + p] * y[yo + p];
        return s;
    }

    /** {@link #dotOf(float[], int, float[], int, int)} for doubles, with one accumulator. */
    public static double dotOf(double[] x, int xo, double[] y, int yo, int k) {
        DoubleVector v = DoubleVector.zero(D);
        int p = 0;
        for (; p <= k - DV; p += DV) v = DoubleVector.fromArray(D, x, xo + p).fma(DoubleVector.fromArray(D, y, yo + p), v);
        if (DV >= 32) v = v.add(v.rearrange(DX16));
        if (DV >= 16) v = v.add(v.rearrange(DX8));
        if (DV >= 8) v = v.add(v.rearrange(DX4));
        if (DV >= 4) v = v.add(v.rearrange(DX2));
        if (DV >= 2) v = v.add(v.rearrange(DX1));
        double s = v.lane(0);
        for (; p < k; p++) s += x[xo + p] * y[yo + p];
        return s;
    }

    /**
     * The sum of {@code a[off .. off + n)} (n a power of two) in {@link #sum(FloatVector)}'s order: pairs
     * {@code i, i ^ (n/2)} first, down to {@code i, i ^ 1}.
     */
    public static float sumInOrder(float[] a, int off, int n) {
        if (Integer.bitCount(n) != 1) throw new IllegalArgumentException("VectorMath.sumInOrder: " + n + " is not a power of two");
        float[] t = java.util.Arrays.copyOfRange(a, off, off + n);
        for (int d = n / 2; d >= 1; d /= 2) {
            float[] u = new float[n];
            for (int i = 0; i < n; i++) u[i] = t[i] + t[i ^ d];
            t = u;
        }
        return t[0];
    }

    /** {@link #sumInOrder(float[], int, int)} for doubles. */
    public static double sumInOrder(double[] a, int off, int n) {
        if (Integer.bitCount(n) != 1) throw new IllegalArgumentException("VectorMath.sumInOrder: " + n + " is not a power of two");
        double[] t = java.util.Arrays.copyOfRange(a, off, off + n);
        for (int d = n / 2; d >= 1; d /= 2) {
            double[] u = new double[n];
            for (int i = 0; i < n; i++) u[i] = t[i] + t[i ^ d];
            t = u;
        }
        return t[0];
    }

    // ---- exp ---------------------------------------------------------------------------------------------------

    /** Past this, e^x is not a finite float. */
    static final float EXP_HI = 88.72283935546875f;
    /**
     * n = round(x log2 e) below this gives 0: from n = -125 up, the result is a normal float (at least about 1.7e-38,
     * reached near x = -86.99). Below, e^x would be one of the float range's subnormals or 0: flushed to 0.
     */
    static final float EXP_N_MIN = -125f;
    private static final float LOG2E = 1.44269504088896341f;
    /**
     * 1.5 * 2^23 + 126: adding it rounds a float of magnitude below 2^22 to an integer n (ties to even, as 126 is),
     * which the sum's low bits then hold biased by 126, so that shifting them into the exponent field makes 2^(n - 1).
     */
    private static final float ROUND = 12583038f;
    /** ln 2 in two parts; n * LN2_HI is exact for the n used here (|n| <= 150). */
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** e^r = 1 + r + r^2 (P0 r^5 + ... + P5) for |r| <= ln2 / 2 (Cephes's expf). */
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /**
     * {@code o[oOff + i] = e^(scale * a[aOff + i] - shift)} for {@code i < n} ({@code scale * a - shift} as one fused
     * multiply-add); {@code o} may be {@code a} at the same offset. Within 2 ulp of the exact value (1 ulp at worst
     * over every 7th float from -87 to 89, measured against {@code Math.exp}); NaN gives NaN, past about 88.72 +inf,
     * and below about -86.99, where e^x is under 1.7e-38, 0: no subnormal result, so no kernel downstream pays for
     * subnormal arithmetic. Each element equals {@link #exp(float)} of its argument, bit for bit. The steps: n =
     * round(x log2 e), r = x - n ln 2 (in two parts), e^r by a polynomial, doubled, times 2^(n - 1), whose exponent
     * field is the rounding sum's low bits shifted; masks for the two ends, with no clamp of x first (what the
     * arithmetic makes of an argument past either end is replaced).
     *
     * <p>The kernels' exponentials all come through here, an array-level call: a method that takes a vector and is
     * not inlined by C2 boxes it (C2 declines, for instance, a callee it has already compiled when the call site's
     * profile looks cold), while an array argument costs nothing either way.
     */
    public static void expInto(float[] a, int aOff, float scale, float shift, float[] o, int oOff, int n) {
        expLoop(a, aOff, scale, shift, o, oOff, n, EXP);
    }

    /** What {@link #expLoop} stores: e, the sigmoid 1 / (1 + e) of -a, or tanh a from e^(2|a|). */
    private static final int EXP = 0, LOGISTIC = 1, TANH = 2;

    /**
     * {@link #expInto}'s loop, which also finishes the sigmoid and tanh in the same pass ({@code mode}). The mode is
     * the same in every iteration, so C2 compiles a loop for each mode a call site uses.
     */
    private static void expLoop(float[] a, int aOff, float scale, float shift, float[] o, int oOff, int n, int mode) {
        FloatVector ln2Hi = FloatVector.broadcast(F, -LN2_HI), ln2Lo = FloatVector.broadcast(F, -LN2_LO);
        int i = 0, bound = n - n % FV;
        for (; i < bound; i += FV) {
            FloatVector in = FloatVector.fromArray(F, a, aOff + i);
            FloatVector x = (mode == TANH ? in.abs() : in).fma(scale, -shift);
            FloatVector t = x.fma(LOG2E, ROUND), k = t.sub(ROUND);
            VectorMask<Float> over = x.compare(VectorOperators.GT, EXP_HI), under = k.compare(VectorOperators.LT, EXP_N_MIN);
            FloatVector r = k.fma(ln2Lo, k.fma(ln2Hi, x));
            FloatVector p = r.fma(P0, P1).fma(r, FloatVector.broadcast(F, P2)).fma(r, FloatVector.broadcast(F, P3))
                    .fma(r, FloatVector.broadcast(F, P4)).fma(r, FloatVector.broadcast(F, P5));
            p = p.fma(r.mul(r), r).fma(2f, 2f); // 2 e^r, rounded once as e^r is
            FloatVector scaleDown = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats(); // 2^(n - 1)
            FloatVector e = p.mul(scaleDown).blend(Float.POSITIVE_INFINITY, over).blend(0f, under);
            if (mode == LOGISTIC) {
                e = FloatVector.broadcast(F, 1f).div(e.add(1f));
            } else if (mode == TANH) { // below |x| = 0.625 an odd polynomial, above 1 - 2 / (e^2|x| + 1) with x's sign
                FloatVector ax = in.abs(), z = in.mul(in);
                FloatVector small = z.fma(T0, T1).fma(z, FloatVector.broadcast(F, T2)).fma(z, FloatVector.broadcast(F, T3))
                        .fma(z, FloatVector.broadcast(F, T4)).mul(z).fma(in, in);
                FloatVector big = FloatVector.broadcast(F, 1f).sub(FloatVector.broadcast(F, 2f).div(e.add(1f)));
                big = big.blend(big.neg(), in.compare(VectorOperators.LT, 0f));
                e = big.blend(small, ax.compare(VectorOperators.LT, TANH_SMALL)).blend(in, ax.compare(VectorOperators.LT, TANH_TINY));
            }
            e.intoArray(o, oOff + i);
        }
        for (; i < n; i++) {
            float v = a[aOff + i];
            o[oOff + i] = mode == TANH ? tanh(v) : mode == LOGISTIC ? 1f / (exp(Math.fma(v, scale, -shift)) + 1f)
                    : exp(Math.fma(v, scale, -shift));
        }
    }

    /** e^x, the same operations as {@link #expInto} on one value, so the same bits. */
    public static float exp(float x) {
        float t = Math.fma(x, LOG2E, ROUND), k = t - ROUND;
        float r = Math.fma(k, -LN2_LO, Math.fma(k, -LN2_HI, x));
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, P0, P1), r, P2), r, P3), r, P4), r, P5);
        p = Math.fma(Math.fma(p, r * r, r), 2f, 2f);
        float e = p * Float.intBitsToFloat(Float.floatToRawIntBits(t) << 23);
        if (x > EXP_HI) return Float.POSITIVE_INFINITY;
        if (k < EXP_N_MIN) return 0f;
        return e;
    }

    // ---- tanh --------------------------------------------------------------------------------------------------

    /** Below this magnitude tanh is an odd polynomial; above, 1 - 2 / (e^2|x| + 1); below TANH_TINY, x itself. */
    private static final float TANH_SMALL = 0.625f, TANH_TINY = 0x1p-12f;
    /** tanh x = x + x^3 (T0 x^8 + ... + T4) for |x| < 0.625 (Cephes's tanhf). */
    private static final float T0 = -5.70498872745e-3f, T1 = 2.06390887954e-2f, T2 = -5.37397155531e-2f,
            T3 = 1.33314422036e-1f, T4 = -3.33332819422e-1f;

    /**
     * Floats per piece of a row for kernels that take their exponentials through a scratch piece (GELU and its
     * gradient): a multiple of every vector length.
     */
    static final int PIECE = 256;

    /**
     * {@code o[oOff + i] = tanh(a[aOff + i])} for {@code i < n}, {@code o} may be {@code a} at the same offset. Below
     * |x| = 0.625 an odd polynomial (Cephes's tanhf), above 1 - 2 / (e^2|x| + 1) with the sign of x, and x itself
     * below 2^-12 (which keeps -0); within 1.5 ulp (measured). Each element equals {@link #tanh(float)} bit for bit.
     */
    public static void tanhInto(float[] a, int aOff, float[] o, int oOff, int n) {
        expLoop(a, aOff, 2f, 0f, o, oOff, n, TANH); // e^(2|x|)
    }

    /** tanh x, the same operations as {@link #tanhInto} on one value, so the same bits. */
    public static float tanh(float x) {
        float ax = Math.abs(x);
        if (ax < TANH_TINY) return x;
        if (ax < TANH_SMALL) {
            float z = x * x;
            return Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(z, T0, T1), z, T2), z, T3), z, T4) * z, x, x);
        }
        float big = 1f - 2f / (exp(ax + ax) + 1f);
        return x < 0f ? -big : big;
    }

    /**
     * The logistic function {@code o[oOff + i] = 1 / (1 + e^-a[aOff + i])} for {@code i < n}; {@code o} may be
     * {@code a} at the same offset. Within 3 ulp (measured); each element equals {@link #sigmoid(float)} bit for bit.
     */
    public static void sigmoidInto(float[] a, int aOff, float[] o, int oOff, int n) {
        expLoop(a, aOff, -1f, 0f, o, oOff, n, LOGISTIC);
    }

    /** The logistic function on one value, as {@link #sigmoidInto} computes it. */
    public static float sigmoid(float x) { return 1f / (exp(Math.fma(x, -1f, -0f)) + 1f); }
}
