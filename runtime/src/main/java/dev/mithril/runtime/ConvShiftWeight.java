package dev.mithril.runtime;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of {@link ConvShift}'s convolution, reading the input in place from the same zero-padded phase
 * planes: {@code gw[o, tap] = sum over images and pixels p of gradOut[o, p] * in[p + tap]}. As a GEMM the taps are the
 * rows, the output channels the columns and the pixels the k dimension: a sliver of 8 taps is 8 runs of consecutive
 * floats of the phase buffer ({@code in[tap_r + p]}, p = 0, 1, ...), broadcast straight from it, and the output
 * gradient is the packed B operand (pixels by 48-channel panels, zero on the thrown-away columns so that they add
 * nothing). Nothing the size of the im2col matrix is built: per image, the input is copied once into its phase planes
 * and the output gradient is transposed once into its panels.
 *
 * <p>Each thread sums its images into its own {@code [panel][tap][NR]} accumulator; the accumulators are added and
 * transposed into {@code gw} at the end. A batch smaller than the thread count splits the taps instead.
 */
final class ConvShiftWeight {
    private static final VectorSpecies<Float> S = GemmKernel.S;
    private static final int V = GemmKernel.V, NR = GemmKernel.NR, MR = 8, KC = GemmTuning.KC;
    /** The calling thread's per-worker accumulators, kept between calls. */
    private static final ThreadLocal<float[][]> ACCUMULATORS = ThreadLocal.withInitial(() -> new float[0][]);

    private ConvShiftWeight() {}

    /**
     * Whether the weight gradient should run here: the shapes whose forward pass {@link ConvShift#pays} runs, and 1x1
     * kernels at stride 2 on batches whatever their output size (1.14-1.19x less time than {@link ConvGemm} at batch 32
     * on all three of ResNet-18's, 7x7 outputs included).
     */
    static boolean pays(ConvGeometry g) {
        if (!ConvShift.fits(g)) return false;
        if (g.kh() * g.kw() == 1) return ConvShift.batched(g);
        return g.ohw() >= 512 || ConvShift.batched(g);
    }

    /** Rows of taps per group in the accumulator: whole 8-tap slivers. */
    private static int tapRows(ConvGeometry g) { return (g.kk() + MR - 1) / MR * MR; }

    private static int accumulatorSize(ConvGeometry g) {
        return Math.toIntExact((long) g.groups() * GemmPacking.panels(g.og(), NR) * tapRows(g) * NR);
    }

    /** {@code gw = conv2d's weight gradient}, overwritten. */
    static void backwardWeight(ConvGeometry g, float[] gradOut, float[] x, float[] gw) {
        ConvShift.Layout l = ConvShift.Layout.of(g);
        int t = Parallel.threads(), size = accumulatorSize(g), panels = GemmPacking.panels(g.og(), NR), slivers = tapRows(g) / MR;
        if (g.n() == 0) {
            Arrays.fill(gw, 0f);
            return;
        }
        if (t > 1 && g.n() >= t) {
            float[][] acc = accumulators(t, size);
            boolean[] used = new boolean[t];
            AtomicInteger next = new AtomicInteger();
            Parallel.forRange(t, 1, (from, to) -> {
                for (int part = from; part < to; part++) {
                    float[] a = acc[part];
                    boolean any = false;
                    for (int n; (n = next.getAndIncrement()) < g.n(); ) {
                        if (!any) Arrays.fill(a, 0, size, 0f);
                        any = true;
                        float[] in = ConvShift.scratch(0, l.size()), grad = ConvShift.scratch(3, gradSize(g, l));
                        ConvShift.phases(g, l, x, n, in, 0, g.c());
                        // panel by panel, each packed just before it is used
                        for (int gi = 0; gi < g.groups(); gi++) {
                            for (int j = 0; j < panels; j++) {
                                int o0 = gi * g.og() + j * NR;
                                packGrad(g, l, gradOut, n, grad, o0, Math.min(o0 + NR, (gi + 1) * g.og()));
                                accumulate(g, l, in, grad, a, gi, j, 0, slivers);
                            }
                        }
                    }
                    used[part] = any;
                }
            });
            Parallel.forRange(g.o(), 1, (o0, o1) -> store(g, acc, used, o0, o1, gw));
            return;
        }
        float[][] acc = accumulators(1, size);
        Arrays.fill(acc[0], 0, size, 0f);
        float[] in = ConvShift.scratch(0, l.size()), grad = ConvShift.scratch(3, gradSize(g, l));
        for (int n = 0; n < g.n(); n++) {
            int image = n;
            Parallel.forRange(g.c(), Math.max(1, 4096 / Math.max(1, g.hw())), (c0, c1) -> ConvShift.phases(g, l, x, image, in, c0, c1));
            Parallel.forRange(g.o(), Math.max(1, 4096 / Math.max(1, g.ohw())), (o0, o1) -> packGrad(g, l, gradOut, image, grad, o0, o1));
            // the taps split over the threads: each owns its accumulator rows
            Parallel.forRange(slivers, 4, (s0, s1) -> {
                for (int gi = 0; gi < g.groups(); gi++) for (int j = 0; j < panels; j++) accumulate(g, l, in, grad, acc[0], gi, j, s0, s1);
            });
        }
        Parallel.forRange(g.o(), 1, (o0, o1) -> store(g, acc, new boolean[] {true}, o0, o1, gw));
    }

    /** The calling thread's {@code parts} accumulators of at least {@code size} floats, kept between calls (contents left over). */
    static float[][] accumulators(int parts, int size) {
        float[][] acc = ACCUMULATORS.get();
        if (acc.length < parts) {
            acc = Arrays.copyOf(acc, parts);
            ACCUMULATORS.set(acc);
        }
        for (int i = 0; i < parts; i++) if (acc[i] == null || acc[i].length < size) acc[i] = new float[size];
        return acc;
    }

    /** Elements of one image's packed output gradient: per group and panel, the plane's pixels by NR channels. */
    private static int gradSize(ConvGeometry g, ConvShift.Layout l) {
        return Math.toIntExact((long) g.groups() * GemmPacking.panels(g.og(), NR) * pixels(g, l) * NR);
    }

    /**
     * Pixels of the k dimension: the output rows over the phase plane's width, padded to an even count (the padding
     * pixel's gradient is zero) for the two-step kernels.
     */
    private static int pixels(ConvGeometry g, ConvShift.Layout l) { return (g.oh() * l.wph() + 1) & ~1; }

    /**
     * Output channels {@code [o0, o1)} of image {@code n}'s output gradient into their panels, pixels numbered over the
     * phase width; the thrown-away columns and the panel's channels past {@code og} are zero.
     */
    private static void packGrad(ConvGeometry g, ConvShift.Layout l, float[] gradOut, int n, float[] grad, int o0, int o1) {
        int og = g.og(), panels = GemmPacking.panels(og, NR), oh = g.oh(), ow = g.ow(), wph = l.wph(), ohw = g.ohw();
        int pixels = pixels(g, l);
        // whole panels: a panel is written by the call that holds its first channel
        for (int o = o0; o < o1; o++) {
            int gi = o / og, oc = o % og;
            if (oc % NR != 0) continue;
            int j = oc / NR, width = Math.min(NR, og - oc), base = (gi * panels + j) * pixels * NR;
            int[] idx = GemmPacking.gatherRows(ohw);
            int src0 = (n * g.o() + o) * ohw;
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < wph; x++) {
                    int dst = base + (y * wph + x) * NR, col = 0;
                    if (x < ow) {
                        int src = src0 + y * ow + x;
                        // the panel's channels of one pixel are ohw apart: a gather per vector
                        for (; col + V <= width; col += V, src += V * ohw) FloatVector.fromArray(S, gradOut, src, idx, 0).intoArray(grad, dst + col);
                        for (; col < width; col++, src += ohw) grad[dst + col] = gradOut[src];
                    }
                    for (; col < NR; col++) grad[dst + col] = 0f;
                }
            }
            if (pixels > oh * wph) Arrays.fill(grad, base + oh * wph * NR, base + pixels * NR, 0f);
        }
    }

    /** Tap slivers {@code [s0, s1)} of panel {@code j} of group {@code gi}: acc += in-place input x packed gradient, over the image's pixels. */
    private static void accumulate(ConvGeometry g, ConvShift.Layout l, float[] in, float[] grad, float[] acc, int gi, int j, int s0, int s1) {
        int kk = g.kk(), og = g.og(), panels = GemmPacking.panels(og, NR), rows = tapRows(g), pixels = pixels(g, l);
        int kb = GemmDriver.blockSize(pixels, KC, 2);
        int[] taps = l.taps();
        int vectors = (Math.min(NR, og - j * NR) + V - 1) / V;
        int accBase = (gi * panels + j) * rows * NR, gradBase = (gi * panels + j) * pixels * NR;
        for (int pc = 0; pc < pixels; pc += kb) {
            int kc = Math.min(kb, pixels - pc), bO = gradBase + pc * NR;
            for (int s = s0; s < s1; s++) {
                // the sliver's 8 taps; past the last tap, repeat it (its rows are never read back)
                int t0 = gi * kk + s * MR, last = gi * kk + kk - 1;
                int a0 = taps[Math.min(t0, last)] + pc, a1 = taps[Math.min(t0 + 1, last)] + pc,
                        a2 = taps[Math.min(t0 + 2, last)] + pc, a3 = taps[Math.min(t0 + 3, last)] + pc,
                        a4 = taps[Math.min(t0 + 4, last)] + pc, a5 = taps[Math.min(t0 + 5, last)] + pc,
                        a6 = taps[Math.min(t0 + 6, last)] + pc, a7 = taps[Math.min(t0 + 7, last)] + pc;
                tile(vectors, in, a0, a1, a2, a3, a4, a5, a6, a7, kc, grad, bO, acc, accBase + s * MR * NR);
            }
        }
    }

    /** {@code gw[o, tap] = sum of the used accumulators' [panel][tap][o % NR]}, for output channels {@code [o0, o1)}. */
    private static void store(ConvGeometry g, float[][] acc, boolean[] used, int o0, int o1, float[] gw) {
        int kk = g.kk(), og = g.og(), panels = GemmPacking.panels(og, NR), rows = tapRows(g);
        int[] idx = ConvShift.panelIndex();
        for (int o = o0; o < o1; o++) {
            int gi = o / og, oc = o % og, base = ((gi * panels + oc / NR) * rows) * NR + oc % NR, dst = o * kk;
            boolean first = true;
            for (int part = 0; part < used.length; part++) {
                if (!used[part]) continue;
                float[] a = acc[part];
                int t = 0;
                // a channel's taps are NR apart in the accumulator: a gather per vector
                for (; t + V <= kk; t += V) {
                    FloatVector v = FloatVector.fromArray(S, a, base + t * NR, idx, 0);
                    (first ? v : v.add(FloatVector.fromArray(S, gw, dst + t))).intoArray(gw, dst + t);
                }
                for (; t < kk; t++) gw[dst + t] = first ? a[base + t * NR] : gw[dst + t] + a[base + t * NR];
                first = false;
            }
        }
    }

    /**
     * The 8-row tile at {@code c[cO..]} (row stride NR) += the runs of {@code in} at a0..a7 (one per row, {@code kc}
     * consecutive floats, {@code kc} even) times the packed B rows from {@code bO}, on {@code vectors} (1 to 3) vectors
     * of columns.
     */
    static void tile(int vectors, float[] in, int a0, int a1, int a2, int a3, int a4, int a5, int a6, int a7, int kc,
                     float[] bp, int bO, float[] c, int cO) {
        if (vectors == 3) k3(in, a0, a1, a2, a3, a4, a5, a6, a7, kc, bp, bO, c, cO);
        else if (vectors == 2) k2(in, a0, a1, a2, a3, a4, a5, a6, a7, kc, bp, bO, c, cO);
        else k1(in, a0, a1, a2, a3, a4, a5, a6, a7, kc, bp, bO, c, cO);
    }

    /** The 8-tap by 48-channel tile at {@code c[cO..]} (row stride NR) += the input runs at a0..a7 times the gradient rows. */
    private static void k3(float[] in, int a0, int a1, int a2, int a3, int a4, int a5, int a6, int a7, int kc,
                           float[] bp, int bO, float[] c, int cO) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00,
                c10 = c00, c11 = c00, c12 = c00,
                c20 = c00, c21 = c00, c22 = c00,
                c30 = c00, c31 = c00, c32 = c00,
                c40 = c00, c41 = c00, c42 = c00,
                c50 = c00, c51 = c00, c52 = c00,
                c60 = c00, c61 = c00, c62 = c00,
                c70 = c00, c71 = c00, c72 = c00;
        // two k steps per iteration (the k dimension is padded to even): the loop's index arithmetic is a third of
        // its instructions otherwise
        for (int q = 0; q < kc; q += 2) {
            int b = bO + q * NR;
            FloatVector b0, b1, b2, x;
            b0 = FloatVector.fromArray(S, bp, b); b1 = FloatVector.fromArray(S, bp, b + V); b2 = FloatVector.fromArray(S, bp, b + 2 * V);
            x = FloatVector.broadcast(S, in[a0 + q]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, in[a1 + q]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, in[a2 + q]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, in[a3 + q]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, in[a4 + q]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(S, in[a5 + q]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52);
            x = FloatVector.broadcast(S, in[a6 + q]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61); c62 = x.fma(b2, c62);
            x = FloatVector.broadcast(S, in[a7 + q]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71); c72 = x.fma(b2, c72);
            b0 = FloatVector.fromArray(S, bp, b + NR); b1 = FloatVector.fromArray(S, bp, b + NR + V); b2 = FloatVector.fromArray(S, bp, b + NR + 2 * V);
            x = FloatVector.broadcast(S, in[a0 + q + 1]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, in[a1 + q + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, in[a2 + q + 1]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, in[a3 + q + 1]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, in[a4 + q + 1]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(S, in[a5 + q + 1]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52);
            x = FloatVector.broadcast(S, in[a6 + q + 1]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61); c62 = x.fma(b2, c62);
            x = FloatVector.broadcast(S, in[a7 + q + 1]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71); c72 = x.fma(b2, c72);
        }
        int o = cO;
        c00.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c01.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); c02.add(FloatVector.fromArray(S, c, o + 2 * V)).intoArray(c, o + 2 * V); o += NR;
        c10.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c11.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); c12.add(FloatVector.fromArray(S, c, o + 2 * V)).intoArray(c, o + 2 * V); o += NR;
        c20.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c21.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); c22.add(FloatVector.fromArray(S, c, o + 2 * V)).intoArray(c, o + 2 * V); o += NR;
        c30.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c31.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); c32.add(FloatVector.fromArray(S, c, o + 2 * V)).intoArray(c, o + 2 * V); o += NR;
        c40.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c41.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); c42.add(FloatVector.fromArray(S, c, o + 2 * V)).intoArray(c, o + 2 * V); o += NR;
        c50.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c51.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); c52.add(FloatVector.fromArray(S, c, o + 2 * V)).intoArray(c, o + 2 * V); o += NR;
        c60.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c61.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); c62.add(FloatVector.fromArray(S, c, o + 2 * V)).intoArray(c, o + 2 * V); o += NR;
        c70.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c71.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); c72.add(FloatVector.fromArray(S, c, o + 2 * V)).intoArray(c, o + 2 * V);
    }

    /** As {@link #k3} for a panel of at most 32 channels. */
    private static void k2(float[] in, int a0, int a1, int a2, int a3, int a4, int a5, int a6, int a7, int kc,
                           float[] bp, int bO, float[] c, int cO) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
                c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int q = 0; q < kc; q += 2) { // two steps per iteration, as in k3
            int b = bO + q * NR;
            FloatVector b0, b1, x;
            b0 = FloatVector.fromArray(S, bp, b); b1 = FloatVector.fromArray(S, bp, b + V);
            x = FloatVector.broadcast(S, in[a0 + q]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, in[a1 + q]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, in[a2 + q]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, in[a3 + q]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, in[a4 + q]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, in[a5 + q]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, in[a6 + q]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, in[a7 + q]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            b0 = FloatVector.fromArray(S, bp, b + NR); b1 = FloatVector.fromArray(S, bp, b + NR + V);
            x = FloatVector.broadcast(S, in[a0 + q + 1]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, in[a1 + q + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, in[a2 + q + 1]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, in[a3 + q + 1]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, in[a4 + q + 1]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, in[a5 + q + 1]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, in[a6 + q + 1]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, in[a7 + q + 1]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        int o = cO;
        c00.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c01.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); o += NR;
        c10.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c11.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); o += NR;
        c20.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c21.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); o += NR;
        c30.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c31.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); o += NR;
        c40.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c41.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); o += NR;
        c50.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c51.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); o += NR;
        c60.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c61.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V); o += NR;
        c70.add(FloatVector.fromArray(S, c, o)).intoArray(c, o); c71.add(FloatVector.fromArray(S, c, o + V)).intoArray(c, o + V);
    }

    /** As {@link #k3} for a panel of at most 16 channels. */
    private static void k1(float[] in, int a0, int a1, int a2, int a3, int a4, int a5, int a6, int a7, int kc,
                           float[] bp, int bO, float[] c, int cO) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int q = 0; q < kc; q += 2) { // two steps per iteration, as in k3
            FloatVector b0 = FloatVector.fromArray(S, bp, bO + q * NR), b1 = FloatVector.fromArray(S, bp, bO + q * NR + NR);
            c0 = FloatVector.broadcast(S, in[a0 + q + 1]).fma(b1, FloatVector.broadcast(S, in[a0 + q]).fma(b0, c0));
            c1 = FloatVector.broadcast(S, in[a1 + q + 1]).fma(b1, FloatVector.broadcast(S, in[a1 + q]).fma(b0, c1));
            c2 = FloatVector.broadcast(S, in[a2 + q + 1]).fma(b1, FloatVector.broadcast(S, in[a2 + q]).fma(b0, c2));
            c3 = FloatVector.broadcast(S, in[a3 + q + 1]).fma(b1, FloatVector.broadcast(S, in[a3 + q]).fma(b0, c3));
            c4 = FloatVector.broadcast(S, in[a4 + q + 1]).fma(b1, FloatVector.broadcast(S, in[a4 + q]).fma(b0, c4));
            c5 = FloatVector.broadcast(S, in[a5 + q + 1]).fma(b1, FloatVector.broadcast(S, in[a5 + q]).fma(b0, c5));
            c6 = FloatVector.broadcast(S, in[a6 + q + 1]).fma(b1, FloatVector.broadcast(S, in[a6 + q]).fma(b0, c6));
            c7 = FloatVector.broadcast(S, in[a7 + q + 1]).fma(b1, FloatVector.broadcast(S, in[a7 + q]).fma(b0, c7));
        }
        c0.add(FloatVector.fromArray(S, c, cO)).intoArray(c, cO);
        c1.add(FloatVector.fromArray(S, c, cO + NR)).intoArray(c, cO + NR);
        c2.add(FloatVector.fromArray(S, c, cO + 2 * NR)).intoArray(c, cO + 2 * NR);
        c3.add(FloatVector.fromArray(S, c, cO + 3 * NR)).intoArray(c, cO + 3 * NR);
        c4.add(FloatVector.fromArray(S, c, cO + 4 * NR)).intoArray(c, cO + 4 * NR);
        c5.add(FloatVector.fromArray(S, c, cO + 5 * NR)).intoArray(c, cO + 5 * NR);
        c6.add(FloatVector.fromArray(S, c, cO + 6 * NR)).intoArray(c, cO + 6 * NR);
        c7.add(FloatVector.fromArray(S, c, cO + 7 * NR)).intoArray(c, cO + 7 * NR);
    }
}
