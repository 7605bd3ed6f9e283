package dev.mithril.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 micro-kernels of {@link Gemm}: an {@code MR x NR} block of C ({@code NR} = three vectors of the
 * preferred species) held in registers while streaming a packed A sliver and a packed B panel, then written back
 * with alpha/beta, bias, residual and activation. {@code MR} follows the register file: 8 rows (24 accumulators)
 * where there are 32 vector registers (AVX-512, AArch64), 3 rows (9 accumulators) where there are 16 (AVX2). With 16
 * registers a 4-row tile's 12 accumulators, 3 B vectors and the broadcasts C2 hoists above them do not fit: it kept 4
 * accumulators on the stack, each step loading, adding and storing them, and ran at 0.58-0.62 of the FMA rate on hot
 * data, where 3 rows ran at 0.84-0.87 (eighteenth session, {@code -XX:UseAVX=2}). Row tails of at most 4 of the
 * 8-row tile use the 4-row kernel; everything else is padded with zeros by the packing.
 */
final class GemmKernel {
    static final VectorSpecies<Float> S = Activations.S;
    static final int V = Activations.V;
    static final int MR = GemmTuning.WIDE_REGISTER_FILE ? 8 : 3;
    static final int NR = 3 * V;
    /**
     * Floats of the next B panel slice that one tile touches per k step: a tile covers 1/8 of a slice ({@code kc * NR}
     * floats), so the 8 slivers of a 64-row block touch all of the next panel's slice while they compute this one.
     */
    static final int TOUCH_B = NR / 8;
    /** Written only if the touched lines' bits sum to one value, so the touch loads stay (see {@link #tile}). */
    private static int sink;

    /**
     * Everything about one GEMM call that the store step needs: on the first k block C becomes
     * {@code alpha * AB + beta * C} ({@code beta == 0}: old C ignored, even NaN); on the last, {@code bias[col]} and
     * {@code res[rOff + row * ldr + col]} are added (when non-null) and the activation of {@code ep} applied.
     */
    static final class Out {
        private static final ThreadLocal<Out> MINE = ThreadLocal.withInitial(Out::new);

        private float[] c, bias, res;
        private int cOff, ldc, rOff, ldr;
        private float alpha, beta;
        private Epilogue ep;

        private Out() {}

        Out(float[] c, int cOff, int ldc, float alpha, float beta, float[] bias, Epilogue ep, float[] res, int rOff, int ldr) {
            set(c, cOff, ldc, alpha, beta, bias, ep, res, rOff, ldr);
        }

        /**
         * This thread's instance, filled in for one call. GEMM calls never nest on a thread (the pool runs a
         * region's chunks, which never call back into GEMM), so one per thread is enough, and a call allocates
         * nothing for it; {@link #release()} drops the array references when the call is done.
         */
        static Out reuse(float[] c, int cOff, int ldc, float alpha, float beta, float[] bias, Epilogue ep, float[] res, int rOff, int ldr) {
            return MINE.get().set(c, cOff, ldc, alpha, beta, bias, ep, res, rOff, ldr);
        }

        private Out set(float[] c, int cOff, int ldc, float alpha, float beta, float[] bias, Epilogue ep, float[] res, int rOff, int ldr) {
            this.c = c; this.cOff = cOff; this.ldc = ldc; this.alpha = alpha; this.beta = beta;
            this.bias = bias; this.ep = ep; this.res = res; this.rOff = rOff; this.ldr = ldr;
            return this;
        }

        void release() { c = bias = res = null; }

        float[] c() { return c; }
        int cOff() { return cOff; }
        int ldc() { return ldc; }
        float alpha() { return alpha; }
        float beta() { return beta; }
        float[] bias() { return bias; }
        Epilogue ep() { return ep; }
        float[] res() { return res; }
        int rOff() { return rOff; }
        int ldr() { return ldr; }
    }

    private GemmKernel() {}

    /**
     * C[row.., col..] (+)= A sliver x B panel slice over {@code kc} steps, for {@code rows <= MR} and
     * {@code cols <= NR}. {@code first}: the first k block (apply beta); {@code last}: the final one (epilogue).
     * A whole 8-row tile whose store is a plain sum (alpha 1; beta 0 or 1, or a later k block) goes from the
     * accumulators straight into C (adding the old C), with no round trip through {@code t}. An edge
     * panel computes only the vectors that hold real columns (16 of 48 at n = 1024), not its zero padding.
     * <p>
     * {@code aNext} and {@code bNext} are where the data that the caller's next tiles read starts in {@code ap} and
     * {@code bp}: a whole tile's k loop also loads one float per step from {@code ap[aNext + p * MR]} and
     * {@code bp[bNext + p * TOUCH_B]}, which pulls those lines into L1 while the tile computes. That is
     * a prefetch for Java, which has no prefetch instruction: the loads' values are folded into an int that
     * nothing reads, and no FMA waits for them. {@code aNext} must have {@code kc * MR} readable floats and
     * {@code bNext} {@code kc * TOUCH_B} (pass {@code aO} and {@code bO} for nothing new).
     */
    static void tile(Out o, float[] ap, int aO, float[] bp, int bO, int kc, int row, int col, int rows, int cols,
                     boolean first, boolean last, float[] t, int aNext, int bNext) {
        if (MR == 8 && rows == MR) {
            int width = (cols + V - 1) / V * V;
            if (width == cols && o.alpha() == 1f && (!first || o.beta() == 0f || o.beta() == 1f)) {
                int off = o.cOff() + row * o.ldc() + col;
                k8(ap, aO, bp, bO, kc, o.c(), off, o.ldc(), !first || o.beta() == 1f, cols, aNext, bNext);
                if (last && (o.ep() != Epilogue.NONE || o.res() != null)) {
                    for (int r = 0; r < MR; r++) finish(o, row + r, col, cols);
                }
                return;
            }
            k8(ap, aO, bp, bO, kc, t, 0, NR, false, width, aNext, bNext);
        } else if (MR == 8 && rows > 4) {
            k8(ap, aO, bp, bO, kc, t, 0, NR, false, NR, aNext, bNext);
        } else if (MR == 8) {
            k4(ap, aO, bp, bO, kc, t);
        } else {
            k3(ap, aO, bp, bO, kc, t);
        }
        for (int r = 0; r < rows; r++) store(o, t, r * NR, row + r, col, cols, first, last);
    }

    /** The 8-row kernel for {@code width} (one, two or three vectors) computed columns. */
    private static void k8(float[] ap, int aO, float[] bp, int bO, int kc, float[] out, int off, int ld, boolean accumulate, int width,
                           int aNext, int bNext) {
        if (width == NR) k8(ap, aO, bp, bO, kc, out, off, ld, accumulate, aNext, bNext);
        else if (width == 2 * V) k8x2(ap, aO, bp, bO, kc, out, off, ld, accumulate);
        else k8x1(ap, aO, bp, bO, kc, out, off, ld, accumulate);
    }

    /**
     * The 8 x NR tile at {@code out[off..]} (row stride {@code ld}) = A sliver x B panel slice, plus its old value
     * when {@code accumulate}. The old value is read after the k loop, not before: the previous tile's stores went to
     * addresses 8 rows (often a multiple of 4 KiB) away, and loads issued right behind them stall on the false
     * dependency (measured 8-10% of the whole product at n = 1024). The touches of {@code aNext} and {@code bNext}
     * (see {@link #tile}) took 1024 cubed from 0.79-0.85 to 0.88-0.91 of OpenBLAS on one thread.
     */
    private static void k8(float[] ap, int aO, float[] bp, int bO, int kc, float[] out, int off, int ld, boolean accumulate,
                           int aNext, int bNext) {
        int touched = 0;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00,
                c10 = c00, c11 = c00, c12 = c00,
                c20 = c00, c21 = c00, c22 = c00,
                c30 = c00, c31 = c00, c32 = c00,
                c40 = c00, c41 = c00, c42 = c00,
                c50 = c00, c51 = c00, c52 = c00,
                c60 = c00, c61 = c00, c62 = c00,
                c70 = c00, c71 = c00, c72 = c00;
        for (int p = 0; p < kc; p++) {
            int a = aO + p * MR, b = bO + p * NR;
            touched += Float.floatToRawIntBits(ap[aNext + p * MR]);
            touched ^= Float.floatToRawIntBits(bp[bNext + p * TOUCH_B]);
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + V), b2 = FloatVector.fromArray(S, bp, b + 2 * V);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[a]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, ap[a + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, ap[a + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, ap[a + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, ap[a + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(S, ap[a + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52);
            x = FloatVector.broadcast(S, ap[a + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61); c62 = x.fma(b2, c62);
            x = FloatVector.broadcast(S, ap[a + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71); c72 = x.fma(b2, c72);
        }
        if (touched == 0x7f7f7f7f) sink = touched; // keeps the touches: C2 cannot prove them dead
        if (accumulate) {
            int o = off;
            c00 = c00.add(FloatVector.fromArray(S, out, o)); c01 = c01.add(FloatVector.fromArray(S, out, o + V)); c02 = c02.add(FloatVector.fromArray(S, out, o + 2 * V)); o += ld;
            c10 = c10.add(FloatVector.fromArray(S, out, o)); c11 = c11.add(FloatVector.fromArray(S, out, o + V)); c12 = c12.add(FloatVector.fromArray(S, out, o + 2 * V)); o += ld;
            c20 = c20.add(FloatVector.fromArray(S, out, o)); c21 = c21.add(FloatVector.fromArray(S, out, o + V)); c22 = c22.add(FloatVector.fromArray(S, out, o + 2 * V)); o += ld;
            c30 = c30.add(FloatVector.fromArray(S, out, o)); c31 = c31.add(FloatVector.fromArray(S, out, o + V)); c32 = c32.add(FloatVector.fromArray(S, out, o + 2 * V)); o += ld;
            c40 = c40.add(FloatVector.fromArray(S, out, o)); c41 = c41.add(FloatVector.fromArray(S, out, o + V)); c42 = c42.add(FloatVector.fromArray(S, out, o + 2 * V)); o += ld;
            c50 = c50.add(FloatVector.fromArray(S, out, o)); c51 = c51.add(FloatVector.fromArray(S, out, o + V)); c52 = c52.add(FloatVector.fromArray(S, out, o + 2 * V)); o += ld;
            c60 = c60.add(FloatVector.fromArray(S, out, o)); c61 = c61.add(FloatVector.fromArray(S, out, o + V)); c62 = c62.add(FloatVector.fromArray(S, out, o + 2 * V)); o += ld;
            c70 = c70.add(FloatVector.fromArray(S, out, o)); c71 = c71.add(FloatVector.fromArray(S, out, o + V)); c72 = c72.add(FloatVector.fromArray(S, out, o + 2 * V));
        }
        int o = off;
        c00.intoArray(out, o); c01.intoArray(out, o + V); c02.intoArray(out, o + 2 * V); o += ld;
        c10.intoArray(out, o); c11.intoArray(out, o + V); c12.intoArray(out, o + 2 * V); o += ld;
        c20.intoArray(out, o); c21.intoArray(out, o + V); c22.intoArray(out, o + 2 * V); o += ld;
        c30.intoArray(out, o); c31.intoArray(out, o + V); c32.intoArray(out, o + 2 * V); o += ld;
        c40.intoArray(out, o); c41.intoArray(out, o + V); c42.intoArray(out, o + 2 * V); o += ld;
        c50.intoArray(out, o); c51.intoArray(out, o + V); c52.intoArray(out, o + 2 * V); o += ld;
        c60.intoArray(out, o); c61.intoArray(out, o + V); c62.intoArray(out, o + 2 * V); o += ld;
        c70.intoArray(out, o); c71.intoArray(out, o + V); c72.intoArray(out, o + 2 * V);
    }

    /** As {@link #k8} for an edge panel whose columns fit in 1 vector: the padding lanes are not computed. */
    private static void k8x1(float[] ap, int aO, float[] bp, int bO, int kc, float[] out, int off, int ld, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c10 = c00, c20 = c00, c30 = c00, c40 = c00, c50 = c00, c60 = c00, c70 = c00;
        for (int p = 0; p < kc; p++) {
            int a = aO + p * MR, b = bO + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[a]); c00 = x.fma(b0, c00);
            x = FloatVector.broadcast(S, ap[a + 1]); c10 = x.fma(b0, c10);
            x = FloatVector.broadcast(S, ap[a + 2]); c20 = x.fma(b0, c20);
            x = FloatVector.broadcast(S, ap[a + 3]); c30 = x.fma(b0, c30);
            x = FloatVector.broadcast(S, ap[a + 4]); c40 = x.fma(b0, c40);
            x = FloatVector.broadcast(S, ap[a + 5]); c50 = x.fma(b0, c50);
            x = FloatVector.broadcast(S, ap[a + 6]); c60 = x.fma(b0, c60);
            x = FloatVector.broadcast(S, ap[a + 7]); c70 = x.fma(b0, c70);
        }
        if (accumulate) {
            int o = off;
            c00 = c00.add(FloatVector.fromArray(S, out, o)); o += ld;
            c10 = c10.add(FloatVector.fromArray(S, out, o)); o += ld;
            c20 = c20.add(FloatVector.fromArray(S, out, o)); o += ld;
            c30 = c30.add(FloatVector.fromArray(S, out, o)); o += ld;
            c40 = c40.add(FloatVector.fromArray(S, out, o)); o += ld;
            c50 = c50.add(FloatVector.fromArray(S, out, o)); o += ld;
            c60 = c60.add(FloatVector.fromArray(S, out, o)); o += ld;
            c70 = c70.add(FloatVector.fromArray(S, out, o));
        }
        int o = off;
        c00.intoArray(out, o); o += ld;
        c10.intoArray(out, o); o += ld;
        c20.intoArray(out, o); o += ld;
        c30.intoArray(out, o); o += ld;
        c40.intoArray(out, o); o += ld;
        c50.intoArray(out, o); o += ld;
        c60.intoArray(out, o); o += ld;
        c70.intoArray(out, o);
    }

    /** As {@link #k8} for an edge panel whose columns fit in 2 vectors: the padding lanes are not computed. */
    private static void k8x2(float[] ap, int aO, float[] bp, int bO, int kc, float[] out, int off, int ld, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00,
                c10 = c00, c11 = c00,
                c20 = c00, c21 = c00,
                c30 = c00, c31 = c00,
                c40 = c00, c41 = c00,
                c50 = c00, c51 = c00,
                c60 = c00, c61 = c00,
                c70 = c00, c71 = c00;
        for (int p = 0; p < kc; p++) {
            int a = aO + p * MR, b = bO + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + V);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[a]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[a + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[a + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, ap[a + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, ap[a + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        if (accumulate) {
            int o = off;
            c00 = c00.add(FloatVector.fromArray(S, out, o)); c01 = c01.add(FloatVector.fromArray(S, out, o + V)); o += ld;
            c10 = c10.add(FloatVector.fromArray(S, out, o)); c11 = c11.add(FloatVector.fromArray(S, out, o + V)); o += ld;
            c20 = c20.add(FloatVector.fromArray(S, out, o)); c21 = c21.add(FloatVector.fromArray(S, out, o + V)); o += ld;
            c30 = c30.add(FloatVector.fromArray(S, out, o)); c31 = c31.add(FloatVector.fromArray(S, out, o + V)); o += ld;
            c40 = c40.add(FloatVector.fromArray(S, out, o)); c41 = c41.add(FloatVector.fromArray(S, out, o + V)); o += ld;
            c50 = c50.add(FloatVector.fromArray(S, out, o)); c51 = c51.add(FloatVector.fromArray(S, out, o + V)); o += ld;
            c60 = c60.add(FloatVector.fromArray(S, out, o)); c61 = c61.add(FloatVector.fromArray(S, out, o + V)); o += ld;
            c70 = c70.add(FloatVector.fromArray(S, out, o)); c71 = c71.add(FloatVector.fromArray(S, out, o + V));
        }
        int o = off;
        c00.intoArray(out, o); c01.intoArray(out, o + V); o += ld;
        c10.intoArray(out, o); c11.intoArray(out, o + V); o += ld;
        c20.intoArray(out, o); c21.intoArray(out, o + V); o += ld;
        c30.intoArray(out, o); c31.intoArray(out, o + V); o += ld;
        c40.intoArray(out, o); c41.intoArray(out, o + V); o += ld;
        c50.intoArray(out, o); c51.intoArray(out, o + V); o += ld;
        c60.intoArray(out, o); c61.intoArray(out, o + V); o += ld;
        c70.intoArray(out, o); c71.intoArray(out, o + V);
    }

    /** The 3-row tile of 16-register machines into {@code t} (row stride NR); A's slivers are 3 rows. */
    private static void k3(float[] ap, int aO, float[] bp, int bO, int kc, float[] t) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00, c20 = c00, c21 = c00, c22 = c00;
        for (int p = 0; p < kc; p++) {
            int a = aO + p * MR, b = bO + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + V), b2 = FloatVector.fromArray(S, bp, b + 2 * V);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[a]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, ap[a + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, ap[a + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
        }
        c00.intoArray(t, 0); c01.intoArray(t, V); c02.intoArray(t, 2 * V);
        c10.intoArray(t, NR); c11.intoArray(t, NR + V); c12.intoArray(t, NR + 2 * V);
        c20.intoArray(t, 2 * NR); c21.intoArray(t, 2 * NR + V); c22.intoArray(t, 2 * NR + 2 * V);
    }

    /** The 4-row tail of the 8-row tile into {@code t} (row stride NR); its slivers are 8 rows, the last 4 zero. */
    private static void k4(float[] ap, int aO, float[] bp, int bO, int kc, float[] t) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00,
                c10 = c00, c11 = c00, c12 = c00,
                c20 = c00, c21 = c00, c22 = c00,
                c30 = c00, c31 = c00, c32 = c00;
        for (int p = 0; p < kc; p++) {
            int a = aO + p * MR, b = bO + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + V), b2 = FloatVector.fromArray(S, bp, b + 2 * V);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[a]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, ap[a + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, ap[a + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, ap[a + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
        }
        c00.intoArray(t, 0); c01.intoArray(t, V); c02.intoArray(t, 2 * V);
        c10.intoArray(t, 1 * NR); c11.intoArray(t, 1 * NR + V); c12.intoArray(t, 1 * NR + 2 * V);
        c20.intoArray(t, 2 * NR); c21.intoArray(t, 2 * NR + V); c22.intoArray(t, 2 * NR + 2 * V);
        c30.intoArray(t, 3 * NR); c31.intoArray(t, 3 * NR + V); c32.intoArray(t, 3 * NR + 2 * V);
    }


    /**
     * Writes one tile row held in {@code t[tOff .. tOff + cols)} to C; on the last k block the activation then runs
     * over the finished row in C. No vector is passed to or returned from a call here, so C2 has nothing to box
     * when a callee is not inlined (see {@link Activations#apply}).
     */
    private static void store(Out o, float[] t, int tOff, int row, int col, int cols, boolean first, boolean last) {
        float[] c = o.c(), bias = o.bias(), res = o.res();
        float alpha = o.alpha(), beta = o.beta();
        boolean addBias = last && o.ep().hasBias(), addRes = last && res != null;
        int off = o.cOff() + row * o.ldc() + col;
        int rOff = res == null ? 0 : o.rOff() + row * o.ldr() + col;
        int h = 0;
        for (; h + V <= cols; h += V) {
            FloatVector v = FloatVector.fromArray(S, t, tOff + h);
            if (alpha != 1f) v = v.mul(alpha);
            if (!first || beta == 1f) v = v.add(FloatVector.fromArray(S, c, off + h));
            else if (beta != 0f) v = FloatVector.fromArray(S, c, off + h).mul(beta).add(v);
            if (addBias) v = v.add(FloatVector.fromArray(S, bias, col + h));
            if (addRes) v = v.add(FloatVector.fromArray(S, res, rOff + h));
            v.intoArray(c, off + h);
        }
        if (h < cols) {
            VectorMask<Float> m = S.indexInRange(h, cols);
            FloatVector v = FloatVector.fromArray(S, t, tOff + h);
            if (alpha != 1f) v = v.mul(alpha);
            if (!first || beta == 1f) v = v.add(FloatVector.fromArray(S, c, off + h, m));
            else if (beta != 0f) v = FloatVector.fromArray(S, c, off + h, m).mul(beta).add(v);
            if (addBias) v = v.add(FloatVector.fromArray(S, bias, col + h, m));
            if (addRes) v = v.add(FloatVector.fromArray(S, res, rOff + h, m));
            v.intoArray(c, off + h, m);
        }
        if (last) Activations.apply(o.ep(), c, off, cols);
    }

    /** Bias, residual and activation over one finished row segment of C, {@code cols} a multiple of V. */
    private static void finish(Out o, int row, int col, int cols) {
        float[] c = o.c(), bias = o.ep().hasBias() ? o.bias() : null, res = o.res();
        int off = o.cOff() + row * o.ldc() + col;
        int rOff = res == null ? 0 : o.rOff() + row * o.ldr() + col;
        if (bias != null || res != null) {
            for (int h = 0; h < cols; h += V) {
                FloatVector v = FloatVector.fromArray(S, c, off + h);
                if (bias != null) v = v.add(FloatVector.fromArray(S, bias, col + h));
                if (res != null) v = v.add(FloatVector.fromArray(S, res, rOff + h));
                v.intoArray(c, off + h);
            }
        }
        Activations.apply(o.ep(), c, off, cols);
    }

    /** The scalar form of the store for element (i, j) of C given the finished product {@code prod}. */
    static float scalar(Out o, float prod, int i, int j) {
        int idx = o.cOff() + i * o.ldc() + j;
        float v = o.alpha() * prod;
        if (o.beta() != 0f) v += o.beta() * o.c()[idx];
        if (o.ep().hasBias()) v += o.bias()[j];
        if (o.res() != null) v += o.res()[o.rOff() + i * o.ldr() + j];
        return activation(o.ep(), v);
    }

    static float activation(Epilogue ep, float v) {
        return switch (ep) {
            case NONE, BIAS -> v;
            case RELU, BIAS_RELU -> Activations.relu(v);
            case GELU, BIAS_GELU -> Activations.gelu(v);
            case SIGMOID, BIAS_SIGMOID -> Activations.sigmoid(v);
            case TANH, BIAS_TANH -> Activations.tanh(v);
        };
    }
}
