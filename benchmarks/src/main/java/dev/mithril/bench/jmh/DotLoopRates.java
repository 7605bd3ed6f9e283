package dev.mithril.bench.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * How fast this machine runs the inner loops our float32 kernels are made of, with every operand in L1: loops of
 * FMAs on registers only (the FMA rate, and with 4 accumulators its latency); tiles that broadcast A and load B, the
 * 8x48 micro-kernel's 8 x 3 vectors (8 scalar broadcasts and 3 vector loads per 24 FMAs), the same with its B panel
 * starting 0, 4, 8 and 12 floats into the array (one of the four starts on a 64-byte line, where no load straddles
 * two), the same again with B's 3 vectors held in registers (broadcasts only), and a 12 x 2-vector tile (12 and 2);
 * and dot-product blocks of R rows of A by C rows of B (R + C vector loads per R x C FMAs, the shape of
 * {@code GemmDot}'s blocks), among them 1 x 16 (a vector load per FMA). The loops are written here, not taken from
 * the runtime, so that their shapes stay fixed while the runtime changes. Each round times every loop in turn (thread
 * CPU time, best of {@value #WINDOWS} windows of about {@value #WINDOW_MS} ms); prints GFLOP/s, the fraction of the
 * FMA rate, and vector loads per FMA.
 * <pre>
 * java --add-modules jdk.incubator.vector -cp mithril.jar dev.mithril.bench.jmh.DotLoopRates [k]
 * </pre>
 * {@code k} (default 256, a multiple of the vector length) is the depth of each call: the classifier layer's is 256.
 */
public final class DotLoopRates {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final int ROUNDS = 3, WINDOWS = 5, WINDOW_MS = 20;
    /** Where the accumulators go after each call, so that no call waits on the one before. */
    private static final float[] SINK = new float[32 * 16];

    private DotLoopRates() {}

    /** One loop: its name, vector loads per FMA, multiply-adds per call, and one call. */
    private record Loop(String name, double loadsPerFma, long macs, Runnable call) {}

    public static void main(String[] args) {
        int k = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        if (args.length > 1 || k <= 0 || k % V != 0) {
            throw new IllegalArgumentException("usage: DotLoopRates [k], k a positive multiple of " + V);
        }
        float[] a = fill(16 * k + 16), b = fill(16 * k + 16), sliver = fill(12 * k), panel = fill(k * 3 * V + 12);
        Loop[] loops = {
            new Loop("FMAs on registers (12 accumulators)", 0, 12L * V * k, () -> peak(k, a)),
            new Loop("FMAs on registers (4 accumulators: latency)", 0, 4L * V * k, () -> chains4(k, a)),
            new Loop("8 x 3 vectors, the micro-kernel (8 broadcasts)", 3.0 / 24, 24L * V * k, () -> broadcast8x3(k, sliver, panel, 0)),
            new Loop("8 x 3 vectors, panel 4 floats in", 3.0 / 24, 24L * V * k, () -> broadcast8x3(k, sliver, panel, 4)),
            new Loop("8 x 3 vectors, panel 8 floats in", 3.0 / 24, 24L * V * k, () -> broadcast8x3(k, sliver, panel, 8)),
            new Loop("8 x 3 vectors, panel 12 floats in", 3.0 / 24, 24L * V * k, () -> broadcast8x3(k, sliver, panel, 12)),
            new Loop("8 x 3 vectors, B in registers (broadcasts only)", 0, 24L * V * k, () -> broadcastsOnly8x3(k, sliver, panel)),
            new Loop("12 x 2 vectors (12 broadcasts)", 2.0 / 24, 24L * V * k, () -> broadcast12x2(k, sliver, panel)),
            new Loop("dot 4x4", 8.0 / 16, 16L * k, () -> dot4x4(k, a, 0, k, b, 0)),
            new Loop("dot 4x5", 9.0 / 20, 20L * k, () -> dot4x5(k, a, 0, k, b, 0)),
            new Loop("dot 5x5", 10.0 / 25, 25L * k, () -> dot5x5(k, a, 0, k, b, 0)),
            new Loop("dot 1x16", 17.0 / 16, 16L * k, () -> dot1x16(k, a, 0, b, 0, k)),
        };
        ThreadMXBean clock = ManagementFactory.getThreadMXBean();
        double[] best = new double[loops.length];
        for (int round = -1; round < ROUNDS; round++) { // round -1 compiles every loop and is not counted
            for (int l = 0; l < loops.length; l++) {
                Loop loop = loops[l];
                for (int w = 0; w < WINDOWS; w++) {
                    long calls = 0, t0 = clock.getCurrentThreadCpuTime(), t;
                    do {
                        for (int i = 0; i < 64; i++) loop.call().run();
                        calls += 64;
                        t = clock.getCurrentThreadCpuTime() - t0;
                    } while (t < WINDOW_MS * 1_000_000L);
                    if (round >= 0) best[l] = Math.max(best[l], 2.0 * loop.macs() * calls / t);
                }
            }
        }
        System.out.printf("float32, %d lanes, k = %d, one thread, every operand in L1; GFLOP/s, best of %d rounds%n",
                V, k, ROUNDS);
        for (int l = 0; l < loops.length; l++) {
            System.out.printf("  %-50s %7.1f GFLOP/s  %.2f of the FMA rate  %.2f vector loads per FMA%n",
                    loops[l].name(), best[l], best[l] / best[0], loops[l].loadsPerFma());
        }
    }

    private static float[] fill(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = 1e-3f * ((i * 7919) % 1000);
        return x;
    }

    /** {@code steps} steps of 12 FMAs on two vectors held in registers. */
    private static void peak(int steps, float[] a) {
        FloatVector x = FloatVector.fromArray(S, a, 0), y = FloatVector.fromArray(S, a, V);
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0, s8 = s0,
                s9 = s0, s10 = s0, s11 = s0;
        for (int i = 0; i < steps; i++) {
            s0 = x.fma(y, s0); s1 = x.fma(y, s1); s2 = x.fma(y, s2); s3 = x.fma(y, s3);
            s4 = x.fma(y, s4); s5 = x.fma(y, s5); s6 = x.fma(y, s6); s7 = x.fma(y, s7);
            s8 = x.fma(y, s8); s9 = x.fma(y, s9); s10 = x.fma(y, s10); s11 = x.fma(y, s11);
        }
        s0.intoArray(SINK, 0 * V); s1.intoArray(SINK, 1 * V); s2.intoArray(SINK, 2 * V); s3.intoArray(SINK, 3 * V);
        s4.intoArray(SINK, 4 * V); s5.intoArray(SINK, 5 * V); s6.intoArray(SINK, 6 * V); s7.intoArray(SINK, 7 * V);
        s8.intoArray(SINK, 8 * V); s9.intoArray(SINK, 9 * V); s10.intoArray(SINK, 10 * V); s11.intoArray(SINK, 11 * V);
    }

    /**
     * {@code steps} steps of 4 FMAs on two vectors in registers: each accumulator waits for its previous FMA, so this
     * runs at 4 / (FMA latency x FMAs per cycle) of the FMA rate (0.5 at 4 cycles and two a cycle).
     */
    private static void chains4(int steps, float[] a) {
        FloatVector x = FloatVector.fromArray(S, a, 0), y = FloatVector.fromArray(S, a, V);
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        for (int i = 0; i < steps; i++) {
            s0 = x.fma(y, s0); s1 = x.fma(y, s1); s2 = x.fma(y, s2); s3 = x.fma(y, s3);
        }
        s0.intoArray(SINK, 0); s1.intoArray(SINK, V); s2.intoArray(SINK, 2 * V); s3.intoArray(SINK, 3 * V);
    }

    /** An 8 x 3V tile over k steps: A's 8 values of a step broadcast, B's 3 vectors of a step loaded from {@code b[bO..]}. */
    private static void broadcast8x3(int k, float[] a, float[] b, int bO) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z, c30 = z, c31 = z,
                c32 = z, c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z, c60 = z, c61 = z, c62 = z, c70 = z, c71 = z,
                c72 = z;
        for (int p = 0, ia = 0, ib = bO; p < k; p++, ia += 8, ib += 3 * V) {
            FloatVector b0 = FloatVector.fromArray(S, b, ib), b1 = FloatVector.fromArray(S, b, ib + V),
                    b2 = FloatVector.fromArray(S, b, ib + 2 * V), x;
            x = FloatVector.broadcast(S, a[ia]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[ia + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[ia + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[ia + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, a[ia + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(S, a[ia + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52);
            x = FloatVector.broadcast(S, a[ia + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61); c62 = x.fma(b2, c62);
            x = FloatVector.broadcast(S, a[ia + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71); c72 = x.fma(b2, c72);
        }
        c00.intoArray(SINK, 0 * V); c01.intoArray(SINK, 1 * V); c02.intoArray(SINK, 2 * V); c10.intoArray(SINK, 3 * V);
        c11.intoArray(SINK, 4 * V); c12.intoArray(SINK, 5 * V); c20.intoArray(SINK, 6 * V); c21.intoArray(SINK, 7 * V);
        c22.intoArray(SINK, 8 * V); c30.intoArray(SINK, 9 * V); c31.intoArray(SINK, 10 * V);
        c32.intoArray(SINK, 11 * V); c40.intoArray(SINK, 12 * V); c41.intoArray(SINK, 13 * V);
        c42.intoArray(SINK, 14 * V); c50.intoArray(SINK, 15 * V); c51.intoArray(SINK, 16 * V);
        c52.intoArray(SINK, 17 * V); c60.intoArray(SINK, 18 * V); c61.intoArray(SINK, 19 * V);
        c62.intoArray(SINK, 20 * V); c70.intoArray(SINK, 21 * V); c71.intoArray(SINK, 22 * V);
        c72.intoArray(SINK, 23 * V);
    }

    /**
     * {@link #broadcast8x3} with B's 3 vectors loaded once, before the loop: the same 8 broadcasts and 24 FMAs per step
     * without the vector loads, so that the two rates tell what those loads cost.
     */
    private static void broadcastsOnly8x3(int k, float[] a, float[] b) {
        FloatVector z = FloatVector.zero(S), b0 = FloatVector.fromArray(S, b, 0), b1 = FloatVector.fromArray(S, b, V),
                b2 = FloatVector.fromArray(S, b, 2 * V);
        FloatVector c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z, c30 = z, c31 = z,
                c32 = z, c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z, c60 = z, c61 = z, c62 = z, c70 = z, c71 = z,
                c72 = z;
        for (int p = 0, ia = 0; p < k; p++, ia += 8) {
            FloatVector x;
            x = FloatVector.broadcast(S, a[ia]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[ia + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[ia + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[ia + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, a[ia + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(S, a[ia + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52);
            x = FloatVector.broadcast(S, a[ia + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61); c62 = x.fma(b2, c62);
            x = FloatVector.broadcast(S, a[ia + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71); c72 = x.fma(b2, c72);
        }
        c00.intoArray(SINK, 0 * V); c01.intoArray(SINK, 1 * V); c02.intoArray(SINK, 2 * V); c10.intoArray(SINK, 3 * V);
        c11.intoArray(SINK, 4 * V); c12.intoArray(SINK, 5 * V); c20.intoArray(SINK, 6 * V); c21.intoArray(SINK, 7 * V);
        c22.intoArray(SINK, 8 * V); c30.intoArray(SINK, 9 * V); c31.intoArray(SINK, 10 * V);
        c32.intoArray(SINK, 11 * V); c40.intoArray(SINK, 12 * V); c41.intoArray(SINK, 13 * V);
        c42.intoArray(SINK, 14 * V); c50.intoArray(SINK, 15 * V); c51.intoArray(SINK, 16 * V);
        c52.intoArray(SINK, 17 * V); c60.intoArray(SINK, 18 * V); c61.intoArray(SINK, 19 * V);
        c62.intoArray(SINK, 20 * V); c70.intoArray(SINK, 21 * V); c71.intoArray(SINK, 22 * V);
        c72.intoArray(SINK, 23 * V);
    }

    /**
     * A 12 x 2V tile over k steps: 12 broadcasts and 2 vector loads per 24 FMAs, a third fewer vector loads than the
     * 8 x 3V tile for the same 24 accumulators.
     */
    private static void broadcast12x2(int k, float[] a, float[] b) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z,
                c51 = z, c60 = z, c61 = z, c70 = z, c71 = z, c80 = z, c81 = z, c90 = z, c91 = z, ca0 = z, ca1 = z, cb0 = z,
                cb1 = z;
        for (int p = 0, ia = 0, ib = 0; p < k; p++, ia += 12, ib += 2 * V) {
            FloatVector b0 = FloatVector.fromArray(S, b, ib), b1 = FloatVector.fromArray(S, b, ib + V), x;
            x = FloatVector.broadcast(S, a[ia]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ia + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ia + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ia + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ia + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ia + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[ia + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[ia + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, a[ia + 8]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, a[ia + 9]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, a[ia + 10]); ca0 = x.fma(b0, ca0); ca1 = x.fma(b1, ca1);
            x = FloatVector.broadcast(S, a[ia + 11]); cb0 = x.fma(b0, cb0); cb1 = x.fma(b1, cb1);
        }
        c00.intoArray(SINK, 0); c01.intoArray(SINK, V); c10.intoArray(SINK, 2 * V); c11.intoArray(SINK, 3 * V);
        c20.intoArray(SINK, 4 * V); c21.intoArray(SINK, 5 * V); c30.intoArray(SINK, 6 * V); c31.intoArray(SINK, 7 * V);
        c40.intoArray(SINK, 8 * V); c41.intoArray(SINK, 9 * V); c50.intoArray(SINK, 10 * V); c51.intoArray(SINK, 11 * V);
        c60.intoArray(SINK, 12 * V); c61.intoArray(SINK, 13 * V); c70.intoArray(SINK, 14 * V); c71.intoArray(SINK, 15 * V);
        c80.intoArray(SINK, 16 * V); c81.intoArray(SINK, 17 * V); c90.intoArray(SINK, 18 * V); c91.intoArray(SINK, 19 * V);
        ca0.intoArray(SINK, 20 * V); ca1.intoArray(SINK, 21 * V); cb0.intoArray(SINK, 22 * V); cb1.intoArray(SINK, 23 * V);
    }

    /** 4 rows of A by 4 rows of B (rows of both k apart), 16 dot products. */
    private static void dot4x4(int k, float[] a, int aO, int lda, float[] b, int bO) {
        FloatVector z = FloatVector.zero(S);
        FloatVector s00 = z, s01 = z, s02 = z, s03 = z, s10 = z, s11 = z, s12 = z, s13 = z, s20 = z, s21 = z, s22 = z,
                s23 = z, s30 = z, s31 = z, s32 = z, s33 = z;
        for (int p = 0; p < k; p += V) {
            FloatVector y0 = FloatVector.fromArray(S, b, bO + p), y1 = FloatVector.fromArray(S, b, bO + k + p),
                    y2 = FloatVector.fromArray(S, b, bO + 2 * k + p), y3 = FloatVector.fromArray(S, b, bO + 3 * k + p), x;
            x = FloatVector.fromArray(S, a, aO + p);
            s00 = x.fma(y0, s00); s01 = x.fma(y1, s01); s02 = x.fma(y2, s02); s03 = x.fma(y3, s03);
            x = FloatVector.fromArray(S, a, aO + lda + p);
            s10 = x.fma(y0, s10); s11 = x.fma(y1, s11); s12 = x.fma(y2, s12); s13 = x.fma(y3, s13);
            x = FloatVector.fromArray(S, a, aO + 2 * lda + p);
            s20 = x.fma(y0, s20); s21 = x.fma(y1, s21); s22 = x.fma(y2, s22); s23 = x.fma(y3, s23);
            x = FloatVector.fromArray(S, a, aO + 3 * lda + p);
            s30 = x.fma(y0, s30); s31 = x.fma(y1, s31); s32 = x.fma(y2, s32); s33 = x.fma(y3, s33);
        }
        s00.intoArray(SINK, 0 * V); s01.intoArray(SINK, 1 * V); s02.intoArray(SINK, 2 * V); s03.intoArray(SINK, 3 * V);
        s10.intoArray(SINK, 4 * V); s11.intoArray(SINK, 5 * V); s12.intoArray(SINK, 6 * V); s13.intoArray(SINK, 7 * V);
        s20.intoArray(SINK, 8 * V); s21.intoArray(SINK, 9 * V); s22.intoArray(SINK, 10 * V);
        s23.intoArray(SINK, 11 * V); s30.intoArray(SINK, 12 * V); s31.intoArray(SINK, 13 * V);
        s32.intoArray(SINK, 14 * V); s33.intoArray(SINK, 15 * V);
    }

    /** 4 rows of A by 5 rows of B (rows of both k apart), 20 dot products. */
    private static void dot4x5(int k, float[] a, int aO, int lda, float[] b, int bO) {
        FloatVector z = FloatVector.zero(S);
        FloatVector s00 = z, s01 = z, s02 = z, s03 = z, s04 = z, s10 = z, s11 = z, s12 = z, s13 = z, s14 = z, s20 = z,
                s21 = z, s22 = z, s23 = z, s24 = z, s30 = z, s31 = z, s32 = z, s33 = z, s34 = z;
        for (int p = 0; p < k; p += V) {
            FloatVector y0 = FloatVector.fromArray(S, b, bO + p), y1 = FloatVector.fromArray(S, b, bO + k + p),
                    y2 = FloatVector.fromArray(S, b, bO + 2 * k + p), y3 = FloatVector.fromArray(S, b, bO + 3 * k + p),
                    y4 = FloatVector.fromArray(S, b, bO + 4 * k + p), x;
            x = FloatVector.fromArray(S, a, aO + p);
            s00 = x.fma(y0, s00); s01 = x.fma(y1, s01); s02 = x.fma(y2, s02); s03 = x.fma(y3, s03); s04 = x.fma(y4, s04);
            x = FloatVector.fromArray(S, a, aO + lda + p);
            s10 = x.fma(y0, s10); s11 = x.fma(y1, s11); s12 = x.fma(y2, s12); s13 = x.fma(y3, s13); s14 = x.fma(y4, s14);
            x = FloatVector.fromArray(S, a, aO + 2 * lda + p);
            s20 = x.fma(y0, s20); s21 = x.fma(y1, s21); s22 = x.fma(y2, s22); s23 = x.fma(y3, s23); s24 = x.fma(y4, s24);
            x = FloatVector.fromArray(S, a, aO + 3 * lda + p);
            s30 = x.fma(y0, s30); s31 = x.fma(y1, s31); s32 = x.fma(y2, s32); s33 = x.fma(y3, s33); s34 = x.fma(y4, s34);
        }
        s00.intoArray(SINK, 0 * V); s01.intoArray(SINK, 1 * V); s02.intoArray(SINK, 2 * V); s03.intoArray(SINK, 3 * V);
        s04.intoArray(SINK, 4 * V); s10.intoArray(SINK, 5 * V); s11.intoArray(SINK, 6 * V); s12.intoArray(SINK, 7 * V);
        s13.intoArray(SINK, 8 * V); s14.intoArray(SINK, 9 * V); s20.intoArray(SINK, 10 * V);
        s21.intoArray(SINK, 11 * V); s22.intoArray(SINK, 12 * V); s23.intoArray(SINK, 13 * V);
        s24.intoArray(SINK, 14 * V); s30.intoArray(SINK, 15 * V); s31.intoArray(SINK, 16 * V);
        s32.intoArray(SINK, 17 * V); s33.intoArray(SINK, 18 * V); s34.intoArray(SINK, 19 * V);
    }

    /** 5 rows of A by 5 rows of B, 25 dot products: 31 of 32 vector registers on AVX-512. */
    private static void dot5x5(int k, float[] a, int aO, int lda, float[] b, int bO) {
        FloatVector z = FloatVector.zero(S);
        FloatVector s00 = z, s01 = z, s02 = z, s03 = z, s04 = z, s10 = z, s11 = z, s12 = z, s13 = z, s14 = z, s20 = z,
                s21 = z, s22 = z, s23 = z, s24 = z, s30 = z, s31 = z, s32 = z, s33 = z, s34 = z, s40 = z, s41 = z, s42 = z,
                s43 = z, s44 = z;
        for (int p = 0; p < k; p += V) {
            FloatVector y0 = FloatVector.fromArray(S, b, bO + p), y1 = FloatVector.fromArray(S, b, bO + k + p),
                    y2 = FloatVector.fromArray(S, b, bO + 2 * k + p), y3 = FloatVector.fromArray(S, b, bO + 3 * k + p),
                    y4 = FloatVector.fromArray(S, b, bO + 4 * k + p), x;
            x = FloatVector.fromArray(S, a, aO + p);
            s00 = x.fma(y0, s00); s01 = x.fma(y1, s01); s02 = x.fma(y2, s02); s03 = x.fma(y3, s03); s04 = x.fma(y4, s04);
            x = FloatVector.fromArray(S, a, aO + lda + p);
            s10 = x.fma(y0, s10); s11 = x.fma(y1, s11); s12 = x.fma(y2, s12); s13 = x.fma(y3, s13); s14 = x.fma(y4, s14);
            x = FloatVector.fromArray(S, a, aO + 2 * lda + p);
            s20 = x.fma(y0, s20); s21 = x.fma(y1, s21); s22 = x.fma(y2, s22); s23 = x.fma(y3, s23); s24 = x.fma(y4, s24);
            x = FloatVector.fromArray(S, a, aO + 3 * lda + p);
            s30 = x.fma(y0, s30); s31 = x.fma(y1, s31); s32 = x.fma(y2, s32); s33 = x.fma(y3, s33); s34 = x.fma(y4, s34);
            x = FloatVector.fromArray(S, a, aO + 4 * lda + p);
            s40 = x.fma(y0, s40); s41 = x.fma(y1, s41); s42 = x.fma(y2, s42); s43 = x.fma(y3, s43); s44 = x.fma(y4, s44);
        }
        s00.intoArray(SINK, 0 * V); s01.intoArray(SINK, 1 * V); s02.intoArray(SINK, 2 * V); s03.intoArray(SINK, 3 * V);
        s04.intoArray(SINK, 4 * V); s10.intoArray(SINK, 5 * V); s11.intoArray(SINK, 6 * V); s12.intoArray(SINK, 7 * V);
        s13.intoArray(SINK, 8 * V); s14.intoArray(SINK, 9 * V); s20.intoArray(SINK, 10 * V);
        s21.intoArray(SINK, 11 * V); s22.intoArray(SINK, 12 * V); s23.intoArray(SINK, 13 * V);
        s24.intoArray(SINK, 14 * V); s30.intoArray(SINK, 15 * V); s31.intoArray(SINK, 16 * V);
        s32.intoArray(SINK, 17 * V); s33.intoArray(SINK, 18 * V); s34.intoArray(SINK, 19 * V);
        s40.intoArray(SINK, 20 * V); s41.intoArray(SINK, 21 * V); s42.intoArray(SINK, 22 * V);
        s43.intoArray(SINK, 23 * V); s44.intoArray(SINK, 24 * V);
    }

    /** One row of A by 16 rows of B: each vector of B is loaded for a single FMA. */
    private static void dot1x16(int k, float[] a, int aO, float[] b, int bO, int ldb) {
        FloatVector t0 = FloatVector.zero(S), t1 = t0, t2 = t0, t3 = t0, t4 = t0, t5 = t0, t6 = t0, t7 = t0, t8 = t0,
                t9 = t0, t10 = t0, t11 = t0, t12 = t0, t13 = t0, t14 = t0, t15 = t0;
        for (int p = 0; p < k; p += V) {
            FloatVector x = FloatVector.fromArray(S, a, aO + p);
            int q = bO + p;
            t0 = x.fma(FloatVector.fromArray(S, b, q), t0); t1 = x.fma(FloatVector.fromArray(S, b, q + ldb), t1);
            t2 = x.fma(FloatVector.fromArray(S, b, q + 2 * ldb), t2); t3 = x.fma(FloatVector.fromArray(S, b, q + 3 * ldb), t3);
            t4 = x.fma(FloatVector.fromArray(S, b, q + 4 * ldb), t4); t5 = x.fma(FloatVector.fromArray(S, b, q + 5 * ldb), t5);
            t6 = x.fma(FloatVector.fromArray(S, b, q + 6 * ldb), t6); t7 = x.fma(FloatVector.fromArray(S, b, q + 7 * ldb), t7);
            t8 = x.fma(FloatVector.fromArray(S, b, q + 8 * ldb), t8); t9 = x.fma(FloatVector.fromArray(S, b, q + 9 * ldb), t9);
            t10 = x.fma(FloatVector.fromArray(S, b, q + 10 * ldb), t10); t11 = x.fma(FloatVector.fromArray(S, b, q + 11 * ldb), t11);
            t12 = x.fma(FloatVector.fromArray(S, b, q + 12 * ldb), t12); t13 = x.fma(FloatVector.fromArray(S, b, q + 13 * ldb), t13);
            t14 = x.fma(FloatVector.fromArray(S, b, q + 14 * ldb), t14); t15 = x.fma(FloatVector.fromArray(S, b, q + 15 * ldb), t15);
        }
        t0.intoArray(SINK, 0 * V); t1.intoArray(SINK, 1 * V); t2.intoArray(SINK, 2 * V); t3.intoArray(SINK, 3 * V);
        t4.intoArray(SINK, 4 * V); t5.intoArray(SINK, 5 * V); t6.intoArray(SINK, 6 * V); t7.intoArray(SINK, 7 * V);
        t8.intoArray(SINK, 8 * V); t9.intoArray(SINK, 9 * V); t10.intoArray(SINK, 10 * V); t11.intoArray(SINK, 11 * V);
        t12.intoArray(SINK, 12 * V); t13.intoArray(SINK, 13 * V); t14.intoArray(SINK, 14 * V); t15.intoArray(SINK, 15 * V);
    }
}
