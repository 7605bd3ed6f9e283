package dev.mithril.runtime;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3): each 2x2 block of output pixels (a
 * <i>tile</i>) is computed from the 4x4 input patch under it with 16 multiplications per input and output channel pair
 * instead of 36, so the product part takes 2.25 times fewer multiply-adds than the direct forms ({@link ConvShift}).
 * With {@code d} a patch, {@code g} a 3x3 kernel and the transform matrices of Lavin and Gray (2016),
 * <pre>
 *   U = G g G<sup>T</sup> (4x4 per output and input channel),   V = B<sup>T</sup> d B (4x4 per tile and input channel),
 *   M[xi] = V[xi] . U[xi] for each of the 16 positions xi, summed over input channels (16 independent GEMMs),
 *   Y = A<sup>T</sup> M A (the tile's 2x2 outputs)
 * </pre>
 * The GEMMs run on the 8x48 micro-kernel of {@link ConvShift} (8 rows broadcast from wherever a table of offsets
 * says, one packed B row per step): the input transform writes V as a row of tiles per position and channel, so that 8
 * consecutive tiles of one channel are the 8 floats a step broadcasts, and the transformed weight U is packed as B
 * panels once per call (once per model when pre-packed). The coefficients of F(2x2, 3x3) are 0, +-1 and
 * 1/2, so the result differs from the direct sum by rounding only; larger tiles (F(4x4, 3x3): 4 times fewer
 * multiply-adds) have coefficients up to 8 and amplify rounding, and are not used. A NaN or an infinity in the input
 * reaches exactly the outputs whose window covers it, as in the direct sum, but an infinity comes out as NaN in most
 * of them (the transforms subtract it from itself) where the direct sum gives +-infinity.
 *
 * <p>The work is cut into <i>chunks</i> of whole tile rows (across image boundaries) of about {@link #TARGET_TILES}
 * tiles, claimed by the threads one at a time (with too few chunks for two per thread, as for one image, all threads
 * work on each chunk in turn instead: {@link #forwardTogether}). Per chunk: the input transform of every tile and input channel (16
 * gathers of 16 tiles per channel, masked at the borders); the 16 GEMMs (position by position, so that one position's
 * transformed input stays in L2 while the weight panels stream past it); the output transform of every tile and
 * 48-channel panel into a pixels-by-channels buffer; and the same transposing store as {@link ConvShift}, which adds the
 * bias and residual and applies the activation. An output plane with an odd side computes a tile's second row or
 * column and throws it away (15 of a 7x7 plane's 64 tile pixels).
 *
 * <p>The weight gradient runs the transforms backwards ({@link #backwardWeight}): the input's V as above, the output
 * gradient's 2x2 per tile transformed to 4x4, 16 GEMMs over the tiles into accumulators (one per thread, or one shared
 * for a large weight), and the inverse weight transform at the end.
 *
 * <p>Measured against {@link ConvShift} and {@link ConvShiftWeight} in one JVM (batch 32, 2 threads, ResNet-18's 3x3
 * stride-1 layers): 1.2-1.3x less time at 56x56 with 64 channels, 1.5x at 28x28, 1.6-1.8x at 14x14 and 1.5-1.6x at
 * 7x7, forward and input gradient alike; weight gradient 1.1x, 1.4x, 1.7x and 1.5x (docs/BENCHMARKS.md). The weight
 * transform per call (forward unpacked, input gradient) costs about 1.5 ms of one core for a 512 x 512 weight, a tenth
 * of the layer's time: its gathers of 16 kernels 4608 floats apart are the slow part.
 */
final class ConvWinograd {
    private static final VectorSpecies<Float> S = GemmKernel.S;
    private static final int V = GemmKernel.V, NR = GemmKernel.NR, MR = 8, KC = GemmTuning.KC;
    /** Positions of the transformed 4x4 tile: 16 GEMMs. */
    private static final int XI = 16;
    /**
     * Floats after each position's (and panel's) region of the buffers: one cache line, so that the 16 positions'
     * regions, whose sizes are often multiples of 4 KiB, do not all fall on the same cache sets when a transform reads
     * or writes the 16 positions of a tile together (16 times the panels accesses to one set of a 12-way L1). Measured
     * equal or slightly faster than no padding (26-35 against 27-42 ms on layer4's 7x7 weight gradient with per-thread
     * accumulators, three runs each, whose time spread that far from one JVM to the next either way).
     */
    private static final int PAD = 16;
    /** Bytes up to which each thread sums the weight gradient into its own accumulator ({@link #backwardWeight}). */
    private static final long OWN_ACCUMULATOR = 8L << 20;
    /**
     * Tiles per chunk, about: enough slivers that each packed weight block loaded into L1 serves 16 of them, few
     * enough that one position's transformed input (tiles x channels) stays in L2 (64-384 measured within noise for the
     * forward pass; the weight gradient, whose k dimension the tiles are, measured 128 best of 64-512).
     */
    private static final int TARGET_TILES = 128;
    /**
     * Per-thread buffers: 0 the transformed input of a chunk, 1 the GEMM results, 2 the output pixels, 3 the packed
     * weight of a call, 4 one channel of a block's gathered patches (or a tile's gradient, or dU of 16 channel pairs),
     * 5 the weight transform's kernels (or its inverse's), 6 the weight gradient's staged taps.
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[7][]);

    /** Per-thread gather offsets of one block's 16 patch positions (16 tiles each), and which lanes of each lie inside the input. */
    private static final ThreadLocal<int[]> PATCH = ThreadLocal.withInitial(() -> new int[XI * V]);
    private static final ThreadLocal<long[]> MASKS = ThreadLocal.withInitial(() -> new long[XI]);
    /** Per-thread offsets of the input channels' rows of transformed tiles ({@code q * tiles}). */
    private static final ThreadLocal<int[]> STEPS = ThreadLocal.withInitial(() -> new int[0]);

    private ConvWinograd() {}

    /** What this form computes: float32 3x3 kernels at stride 1, no dilation, one group, with the 8-row tile on 8 or 16 lanes. */
    static boolean fits(ConvGeometry g) {
        return GemmKernel.MR == MR && V % MR == 0 && g.kh() == 3 && g.kw() == 3 && g.strideH() == 1 && g.strideW() == 1
                && g.dilationH() == 1 && g.dilationW() == 1 && g.groups() == 1;
    }

    /**
     * Whether the forward pass of {@code g} should run here: batches with an image for every thread and at least 64
     * input and output channels, where the transforms (per input channel and per output channel) are small next to
     * the products (per pair).
     */
    static boolean pays(ConvGeometry g) {
        return fits(g) && ConvShift.batched(g) && g.c() >= 64 && g.o() >= 64;
    }

    /**
     * Whether the forward pass of {@code g} should run here with the weight transformed ahead of time (a
     * {@link PackedConv2d}): any batch, at least 64 channels in and out. One image of ResNet-18's 3x3 layers measured
     * 1.1-2.2x less time than the pre-packed direct forms (0.81 against 0.99 ms at 56x56 with 64 channels, 0.67 against
     * 1.45 at 14x14 with 256, 0.71 against 1.55 at 7x7 with 512); without the transform ahead of time, making it on
     * each call costs more than a single image's product.
     */
    static boolean paysPrepacked(ConvGeometry g) {
        return fits(g) && g.c() >= 64 && g.o() >= 64;
    }

    /** Whether the input gradient should run here, as the forward pass of {@link ConvShift#transposed}. */
    static boolean paysBackwardInput(ConvGeometry g) {
        return fits(g) && g.padH() <= 2 && g.padW() <= 2 && pays(ConvShift.transposed(g));
    }

    // ---------------------------------------------------------------- weight

    /** Floats of the packed transformed weight for {@code c} input and {@code o} output channels. */
    static int packedSize(int c, int o) {
        return Math.multiplyExact(XI * GemmPacking.panels(o, NR), weightRegion(c));
    }

    /** Floats of one position's panel of the packed weight: {@code c} rows of NR, padded. */
    private static int weightRegion(int c) { return Math.addExact(Math.multiplyExact(c, NR), PAD); }

    /**
     * Packs U = G g G<sup>T</sup> for every output channel {@code oc < o} and input channel {@code ic < c} into
     * {@code u}: position {@code xi}'s B operand ({@code c x o}) in 48-column panels, {@code u[(xi * panels + j) * R +
     * ic * NR + col]} ({@code R}: a panel's {@code c} rows and a cache line of padding). {@code g} is {@code w[oc][ic]} ({@code [o, c, 3, 3]}), or when {@code flipped}, the input
     * gradient's kernel {@code w[ic][oc]} rotated by 180 degrees ({@code w} of shape {@code [c, o, 3, 3]}).
     */
    static void pack(int c, int o, float[] w, boolean flipped, float[] u) {
        int panels = GemmPacking.panels(o, NR);
        Parallel.forRange(panels, 1, (j0, j1) -> {
            int ocStride = flipped ? 9 : c * 9, icStride = flipped ? o * 9 : 9;
            int[] idx = GemmPacking.gatherRows(ocStride);
            float[] k = scratch(5, 21 * V);
            int region = weightRegion(c), xiStride = panels * region;
            for (int j = j0; j < j1; j++) {
                int width = Math.min(NR, o - j * NR);
                for (int ic = 0; ic < c; ic++) {
                    int dst = j * region + ic * NR, col = 0;
                    for (; col + V <= width; col += V) {
                        packVector(w, (j * NR + col) * ocStride + ic * icStride, idx, flipped, k, u, dst + col, xiStride);
                    }
                    for (; col < width; col++) packScalar(w, (j * NR + col) * ocStride + ic * icStride, flipped, u, dst + col, xiStride);
                    for (; col < NR; col++) {
                        for (int xi = 0; xi < XI; xi++) u[dst + col + xi * xiStride] = 0f;
                    }
                }
            }
        });
    }

    /** Tap {@code t = 3 ky + kx} of the 3x3 kernel at {@code base}: rotated by 180 degrees when flipped. */
    private static int tap(int base, int t, boolean flipped) {
        return base + (flipped ? 8 - t : t);
    }

    /**
     * U for {@code V} output channels at once, their kernels {@code idx} apart from {@code base}: the 9 taps gathered
     * into {@code k} ({@code k[tap * V + lane]}), G g into {@code k[(9 + 3i + kx) * V ..]}, then each of its rows
     * combined.
     */
    private static void packVector(float[] w, int base, int[] idx, boolean flipped, float[] k, float[] u, int dst, int xiStride) {
        for (int t = 0; t < 9; t++) FloatVector.fromArray(S, w, tap(base, t, flipped), idx, 0).intoArray(k, t * V);
        for (int kx = 0; kx < 3; kx++) {
            // G g, column kx: rows g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2
            FloatVector g0 = FloatVector.fromArray(S, k, kx * V), g1 = FloatVector.fromArray(S, k, (3 + kx) * V),
                    g2 = FloatVector.fromArray(S, k, (6 + kx) * V);
            FloatVector h = g0.add(g2).mul(0.5f), e = g1.mul(0.5f);
            g0.intoArray(k, (9 + kx) * V);
            h.add(e).intoArray(k, (12 + kx) * V);
            h.sub(e).intoArray(k, (15 + kx) * V);
            g2.intoArray(k, (18 + kx) * V);
        }
        for (int i = 0; i < 4; i++) {
            // (G g) G^T, row i: the same combination of its three columns (no helper taking vectors: see transformGradientTile)
            int r = (9 + 3 * i) * V, o = dst + 4 * i * xiStride;
            FloatVector a = FloatVector.fromArray(S, k, r), b = FloatVector.fromArray(S, k, r + V), c = FloatVector.fromArray(S, k, r + 2 * V);
            FloatVector h = a.add(c).mul(0.5f), t = b.mul(0.5f);
            a.intoArray(u, o);
            h.add(t).intoArray(u, o + xiStride);
            h.sub(t).intoArray(u, o + 2 * xiStride);
            c.intoArray(u, o + 3 * xiStride);
        }
    }

    /** U for one output channel (the panel's last columns). */
    private static void packScalar(float[] w, int base, boolean flipped, float[] u, int dst, int xiStride) {
        for (int i = 0; i < 4; i++) {
            // row i of G g, three columns
            float a = rowOfGg(w, base, i, 0, flipped), b = rowOfGg(w, base, i, 1, flipped), c = rowOfGg(w, base, i, 2, flipped);
            float s = (a + c) * 0.5f, t = b * 0.5f;
            int o = dst + 4 * i * xiStride;
            u[o] = a;
            u[o + xiStride] = s + t;
            u[o + 2 * xiStride] = s - t;
            u[o + 3 * xiStride] = c;
        }
    }

    /** Element {@code (i, kx)} of G g. */
    private static float rowOfGg(float[] w, int base, int i, int kx, boolean flipped) {
        float g0 = w[tap(base, kx, flipped)], g1 = w[tap(base, 3 + kx, flipped)], g2 = w[tap(base, 6 + kx, flipped)];
        return switch (i) {
            case 0 -> g0;
            case 1 -> (g0 + g2) * 0.5f + g1 * 0.5f;
            case 2 -> (g0 + g2) * 0.5f - g1 * 0.5f;
            default -> g2;
        };
    }

    // ---------------------------------------------------------------- forward

    /** This thread's offsets {@code q * stride} for {@code q < c}. */
    private static int[] steps(int c, int stride) {
        int[] steps = STEPS.get();
        if (steps.length < c) STEPS.set(steps = new int[c]);
        for (int q = 0; q < c; q++) steps[q] = q * stride;
        return steps;
    }

    static float[] scratch(int slot, int n) {
        float[][] s = SCRATCH.get();
        if (s[slot] == null || s[slot].length < n) s[slot] = new float[n];
        return s[slot];
    }

    /** The input gradient of {@code g} (for which {@link #paysBackwardInput} holds) into {@code gx}, overwritten. */
    static void backwardInput(ConvGeometry g, float[] gradOut, float[] w, float[] gx) {
        ConvGeometry t = ConvShift.transposed(g);
        float[] u = scratch(3, packedSize(t.c(), t.o()));
        pack(t.c(), t.o(), w, true, u);
        forward(t, gradOut, null, u, null, null, Epilogue.NONE, gx);
    }

    /**
     * {@code out = act(conv(x, w) + bias + res)} for a geometry {@link #fits} accepts, with {@code u} the weight packed
     * by {@link #pack} ({@code null}: pack {@code w} on this call). {@code bias} and {@code res} may be null.
     */
    static void forward(ConvGeometry g, float[] x, float[] w, float[] u, float[] bias, float[] res, Epilogue act, float[] out) {
        float[] weights = u;
        if (weights == null) {
            weights = scratch(3, packedSize(g.c(), g.o()));
            pack(g.c(), g.o(), w, false, weights);
        }
        int th = (g.oh() + 1) / 2, tw = (g.ow() + 1) / 2, rows = Math.multiplyExact(g.n(), th);
        int per = rowsPerChunk(rows, tw), count = (rows + per - 1) / per;
        float[] uw = weights;
        if (count < 2 * Parallel.threads() && Parallel.threads() > 1) {
            int together = rowsNearTarget(rows, tw);
            forwardTogether(g, x, uw, bias, res, act, out, th, tw, together, (rows + together - 1) / together);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(Math.min(Parallel.threads(), count), 1, (from, to) -> {
            for (int ch; (ch = next.getAndIncrement()) < count; ) {
                int r0 = ch * per;
                chunk(g, x, uw, bias, res, act, out, th, tw, r0, Math.min(rows, r0 + per));
            }
        });
    }

    // ---------------------------------------------------------------- weight gradient

    /** Whether the weight gradient should run here: the shapes whose forward pass does. */
    static boolean paysBackwardWeight(ConvGeometry g) { return pays(g); }

    /**
     * {@code gw = conv2d's weight gradient} for a geometry {@link #fits} accepts, overwritten: the forward pass's
     * transforms run backwards. With W = A dY A<sup>T</sup> (4x4 from a tile's 2x2 output gradient),
     * {@code dU[xi][ic][oc] = sum over tiles of V[xi][ic][t] W[xi][t][oc]} (16 GEMMs whose k dimension is the tiles),
     * and {@code gw[oc][ic] = G<sup>T</sup> dU G}. The products go into {@code [xi][panel][input channel][NR]}
     * accumulators (16/9 of the weight's size) with {@link ConvShiftWeight}'s kernel, which reads a channel's tiles as
     * a run; the accumulators are added and transformed back at the end.
     *
     * <p>While an accumulator is small (up to {@link #OWN_ACCUMULATOR} bytes) each thread claims chunks of tiles and
     * sums them into its own, transforms and products of a chunk back to back in its cache. A larger one (layer4's
     * 512 x 512 channels: 17 MiB) is shared: the chunks go one after the other, all threads on each, first both
     * transforms split by blocks of 16 tiles, then the products split by position. There, one accumulator per thread
     * measured 24-44 ms from one JVM to the next (four chunks per call, so one late thread doubles the time, and every
     * thread zeroes 17 MiB that the end sums again) against 22-23 ms shared; on 64-256 channels, where the shared form
     * reads each chunk's transforms from the other core's writes, it measured 1.1-1.4x slower than one per thread.
     */
    static void backwardWeight(ConvGeometry g, float[] gradOut, float[] x, float[] gw) {
        int th = (g.oh() + 1) / 2, tw = (g.ow() + 1) / 2, rows = Math.multiplyExact(g.n(), th);
        if (rows == 0) {
            Arrays.fill(gw, 0f);
            return;
        }
        int c = g.c(), panels = GemmPacking.panels(g.o(), NR), cp = (c + MR - 1) / MR * MR, ar = cp * NR + PAD;
        int size = Math.multiplyExact(XI * panels, ar);
        if ((long) size * Float.BYTES <= OWN_ACCUMULATOR || Parallel.threads() == 1) {
            int per = rowsPerChunk(rows, tw), count = (rows + per - 1) / per, parts = Math.min(Parallel.threads(), count);
            float[][] acc = ConvShiftWeight.accumulators(parts, size);
            boolean[] used = new boolean[parts];
            AtomicInteger next = new AtomicInteger();
            Parallel.forRange(parts, 1, (from, to) -> {
                for (int part = from; part < to; part++) {
                    for (int ch; (ch = next.getAndIncrement()) < count; ) {
                        if (!used[part]) Arrays.fill(acc[part], 0, size, 0f);
                        used[part] = true;
                        Chunk k = new Chunk(g, th, tw, ch * per, Math.min(rows, ch * per + per));
                        float[] v = scratch(0, k.vSize()), wp = scratch(1, k.wSize());
                        transformInput(g, x, th, tw, k.r0(), k.r1(), k.blocks(), 0, k.blocks(), v);
                        transformGradient(k, gradOut, 0, k.tp(), wp);
                        weightProducts(k, v, wp, acc[part], 0, XI, cp);
                    }
                }
            });
            Parallel.forRange((c + 15) / 16, 1, (b0, b1) -> storeWeight(g, acc, used, cp, b0, b1, gw));
            return;
        }
        int per = rowsNearTarget(rows, tw), count = (rows + per - 1) / per;
        float[][] acc = ConvShiftWeight.accumulators(1, size);
        Parallel.forRange(XI, 1, (x0, x1) -> Arrays.fill(acc[0], x0 * panels * ar, x1 * panels * ar, 0f));
        for (int ch = 0; ch < count; ch++) {
            Chunk k = new Chunk(g, th, tw, ch * per, Math.min(rows, ch * per + per));
            float[] v = scratch(0, k.vSize()), wp = scratch(1, k.wSize());
            Parallel.forRange(k.blocks(), 1, (b0, b1) -> {
                transformInput(g, x, th, tw, k.r0(), k.r1(), k.blocks(), b0, b1, v);
                transformGradient(k, gradOut, b0 * V, b1 * V, wp);
            });
            Parallel.forRange(XI, 1, (x0, x1) -> weightProducts(k, v, wp, acc[0], x0, x1, cp));
        }
        Parallel.forRange((c + 15) / 16, 1, (b0, b1) -> storeWeight(g, acc, new boolean[] {true}, cp, b0, b1, gw));
    }

    /** Positions {@code [x0, x1)} of one chunk's products: {@code acc[xi] += V[xi] W[xi]} over the chunk's {@code tp} tiles. */
    private static void weightProducts(Chunk k, float[] v, float[] wp, float[] acc, int x0, int x1, int cp) {
        int c = k.g().c(), o = k.g().o(), panels = k.panels(), tp = k.tp(), vr = k.vr(), wr = k.wr(), ar = cp * NR + PAD;
        int kb = GemmDriver.blockSize(tp, KC, 2);
        for (int xi = x0; xi < x1; xi++) {
            for (int j = 0; j < panels; j++) {
                int vectors = (Math.min(NR, o - j * NR) + V - 1) / V;
                for (int pc = 0; pc < tp; pc += kb) {
                    int kc = Math.min(kb, tp - pc), bO = (xi * panels + j) * wr + pc * NR;
                    for (int ic = 0; ic < cp; ic += MR) {
                        // the sliver's 8 input channels; past the last one, repeat it (its rows are never read back)
                        int a = xi * vr + pc, last = c - 1;
                        ConvShiftWeight.tile(vectors, v, a + Math.min(ic, last) * tp, a + Math.min(ic + 1, last) * tp,
                                a + Math.min(ic + 2, last) * tp, a + Math.min(ic + 3, last) * tp, a + Math.min(ic + 4, last) * tp,
                                a + Math.min(ic + 5, last) * tp, a + Math.min(ic + 6, last) * tp, a + Math.min(ic + 7, last) * tp,
                                kc, wp, bO, acc, (xi * panels + j) * ar + ic * NR);
                    }
                }
            }
        }
    }

    /**
     * W = A dY A<sup>T</sup> of tiles {@code [t0, t1)} of the chunk into {@code wp} as B panels, {@code wp[(xi * panels +
     * j) * wr + t * NR + col]} for output channel {@code 48j + col}: a tile's 2x2 output gradient gathered for 16 channels at a
     * time, the outputs past the plane's odd edge and the rows past the chunk's last tile zero.
     */
    private static void transformGradient(Chunk k, float[] gradOut, int t0, int t1, float[] wp) {
        ConvGeometry g = k.g();
        int o = g.o(), oh = g.oh(), ow = g.ow(), ohw = g.ohw(), panels = k.panels(), tw = k.tw(), th = k.th(), r0 = k.r0();
        int tiles = (k.r1() - r0) * tw, wr = k.wr(), stride = panels * wr;
        float[] d = scratch(4, 4 * V);
        int[] idx = GemmPacking.gatherRows(ohw);
        for (int t = t0; t < t1; t++) {
            if (t >= tiles) {
                for (int xi = 0; xi < XI; xi++) {
                    for (int j = 0; j < panels; j++) Arrays.fill(wp, xi * stride + j * wr + t * NR, xi * stride + j * wr + (t + 1) * NR, 0f);
                }
                continue;
            }
            int r = r0 + t / tw, tx = t % tw, n = r / th, ty = r % th, y = 2 * ty, xx = 2 * tx;
            boolean down = y + 1 < oh, right = xx + 1 < ow;
            int at = y * ow + xx;
            for (int j = 0; j < panels; j++) {
                int width = Math.min(NR, o - j * NR), dst = j * wr + t * NR;
                for (int col = 0; col < NR; col += V) {
                    int oc = j * NR + col, lanes = Math.max(0, Math.min(V, width - col)), src = (n * o + oc) * ohw + at;
                    if (lanes == V) gatherGradient(gradOut, src, ohw, idx, down, right, ow, d);
                    else gatherGradient(gradOut, src, ohw, lanes, down, right, ow, d);
                    transformGradientTile(d, wp, dst + col, stride);
                }
            }
        }
    }

    /** A tile's 2x2 output gradient ({@code d[(2a + b) * V + lane]}) for V channels from {@code src}, {@code ohw} apart. */
    private static void gatherGradient(float[] gy, int src, int ohw, int[] idx, boolean down, boolean right, int ow, float[] d) {
        FloatVector.fromArray(S, gy, src, idx, 0).intoArray(d, 0);
        (right ? FloatVector.fromArray(S, gy, src + 1, idx, 0) : FloatVector.zero(S)).intoArray(d, V);
        (down ? FloatVector.fromArray(S, gy, src + ow, idx, 0) : FloatVector.zero(S)).intoArray(d, 2 * V);
        (down && right ? FloatVector.fromArray(S, gy, src + ow + 1, idx, 0) : FloatVector.zero(S)).intoArray(d, 3 * V);
    }

    /** As above for the panel's last {@code lanes} channels (fewer than V; the other lanes zero). */
    private static void gatherGradient(float[] gy, int src, int ohw, int lanes, boolean down, boolean right, int ow, float[] d) {
        Arrays.fill(d, 0, 4 * V, 0f);
        for (int l = 0; l < lanes; l++) {
            int at = src + l * ohw;
            d[l] = gy[at];
            if (right) d[V + l] = gy[at + 1];
            if (down) d[2 * V + l] = gy[at + ow];
            if (down && right) d[3 * V + l] = gy[at + ow + 1];
        }
    }

    /**
     * W = A dY A<sup>T</sup> of V channels' 2x2 gradients {@code d}: position {@code xi} into {@code wp[dst + xi * stride ..]}.
     * (No helper taking vectors: one that C2 does not inline gets its vector arguments boxed.)
     */
    private static void transformGradientTile(float[] d, float[] wp, int dst, int stride) {
        FloatVector y00 = FloatVector.fromArray(S, d, 0), y01 = FloatVector.fromArray(S, d, V),
                y10 = FloatVector.fromArray(S, d, 2 * V), y11 = FloatVector.fromArray(S, d, 3 * V);
        for (int i = 0; i < 4; i++) {
            // A dY, row i: y0, y0 + y1, y0 - y1, -y1 (two columns); then (A dY) A^T the same way along the row
            FloatVector a = i == 0 ? y00 : i == 1 ? y00.add(y10) : i == 2 ? y00.sub(y10) : y10.neg();
            FloatVector b = i == 0 ? y01 : i == 1 ? y01.add(y11) : i == 2 ? y01.sub(y11) : y11.neg();
            int o = dst + 4 * i * stride;
            a.intoArray(wp, o);
            a.add(b).intoArray(wp, o + stride);
            a.sub(b).intoArray(wp, o + 2 * stride);
            b.neg().intoArray(wp, o + 3 * stride);
        }
    }

    /**
     * {@code gw[oc][ic] = G<sup>T</sup> dU G} for the input channels of blocks {@code [b0, b1)} of 16, dU the sum of the
     * used accumulators: 16 output channels at a time (vectors), staged for a block of input channels so that each
     * output channel's row of {@code gw} is written as one run of 16 x 9 taps rather than 9 floats in each of 16 rows
     * 18 KiB apart.
     */
    private static void storeWeight(ConvGeometry g, float[][] acc, boolean[] used, int cp, int b0, int b1, float[] gw) {
        int c = g.c(), o = g.o(), panels = GemmPacking.panels(o, NR), ar = cp * NR + PAD, stride = panels * ar;
        float[] u = scratch(4, XI * V), k = scratch(5, 21 * V), staged = scratch(6, 16 * 9 * V);
        for (int b = b0; b < b1; b++) {
            int ic0 = 16 * b, count = Math.min(16, c - ic0);
            for (int j = 0; j < panels; j++) {
                int width = Math.min(NR, o - j * NR);
                for (int col = 0; col < width; col += V) {
                    for (int i = 0; i < count; i++) {
                        boolean first = true;
                        for (int part = 0; part < used.length; part++) {
                            if (!used[part]) continue;
                            sumPositions(acc[part], j * ar + (ic0 + i) * NR + col, stride, first, u);
                            first = false;
                        }
                        inverseWeight(u, k);
                        System.arraycopy(k, 0, staged, i * 9 * V, 9 * V);
                    }
                    // staged[(9i + tap) * V + lane] -> gw[((oc * c) + ic0 + i) * 9 + tap] for output channel oc of lane
                    for (int lane = 0; lane < Math.min(V, width - col); lane++) {
                        int dst = ((j * NR + col + lane) * c + ic0) * 9;
                        for (int e = 0; e < count * 9; e++) gw[dst + e] = staged[e * V + lane];
                    }
                }
            }
        }
    }

    /** {@code u[xi * V ..] (+)= a[src + xi * stride ..]} for the 16 positions. */
    private static void sumPositions(float[] a, int src, int stride, boolean first, float[] u) {
        for (int xi = 0; xi < XI; xi++) {
            FloatVector v = FloatVector.fromArray(S, a, src + xi * stride);
            (first ? v : v.add(FloatVector.fromArray(S, u, xi * V))).intoArray(u, xi * V);
        }
    }

    /** G<sup>T</sup> U G of V channel pairs' 4x4 {@code u[(4i + j) * V ..]} into the 3x3 {@code k[(3a + b) * V ..]} (rows 12-20 of k hold G<sup>T</sup> U). */
    private static void inverseWeight(float[] u, float[] k) {
        for (int j = 0; j < 4; j++) {
            // G^T U, column j: rows u0 + (u1 + u2) / 2, (u1 - u2) / 2, (u1 + u2) / 2 + u3
            FloatVector u0 = FloatVector.fromArray(S, u, j * V), u1 = FloatVector.fromArray(S, u, (4 + j) * V),
                    u2 = FloatVector.fromArray(S, u, (8 + j) * V), u3 = FloatVector.fromArray(S, u, (12 + j) * V);
            FloatVector h = u1.add(u2).mul(0.5f);
            u0.add(h).intoArray(k, (9 + j) * V);
            u1.sub(u2).mul(0.5f).intoArray(k, (13 + j) * V);
            h.add(u3).intoArray(k, (17 + j) * V);
        }
        for (int a = 0; a < 3; a++) {
            // (G^T U) G, row a: the same combination of its four columns
            int r = (9 + 4 * a) * V;
            FloatVector s0 = FloatVector.fromArray(S, k, r), s1 = FloatVector.fromArray(S, k, r + V),
                    s2 = FloatVector.fromArray(S, k, r + 2 * V), s3 = FloatVector.fromArray(S, k, r + 3 * V);
            FloatVector h = s1.add(s2).mul(0.5f);
            s0.add(h).intoArray(k, 3 * a * V);
            s1.sub(s2).mul(0.5f).intoArray(k, (3 * a + 1) * V);
            h.add(s3).intoArray(k, (3 * a + 2) * V);
        }
    }

    /** Whole tile rows (of {@code tw} tiles) nearest {@link #TARGET_TILES} tiles, at most {@code rows}. */
    private static int rowsNearTarget(int rows, int tw) {
        return Math.max(1, Math.min(rows, (TARGET_TILES + tw / 2) / tw));
    }

    /** Tile rows per chunk: near {@link #TARGET_TILES} tiles, as many chunks as a multiple of the threads. */
    private static int rowsPerChunk(int rows, int tw) {
        int threads = Parallel.threads(), per = rowsNearTarget(rows, tw);
        int chunks = (rows + per - 1) / per;
        chunks = (chunks + threads - 1) / threads * threads;
        return (rows + chunks - 1) / chunks;
    }

    /** Tile rows {@code [r0, r1)} of the whole batch (row {@code r} is image {@code r / th}'s tile row {@code r % th}), on this thread. */
    private static void chunk(ConvGeometry g, float[] x, float[] u, float[] bias, float[] res, Epilogue act, float[] out,
                              int th, int tw, int r0, int r1) {
        Chunk k = new Chunk(g, th, tw, r0, r1);
        float[] v = scratch(0, k.vSize()), m = scratch(1, k.mSize()), px = scratch(2, k.pxSize());
        transformInput(g, x, th, tw, r0, r1, k.blocks, 0, k.blocks, v);
        products(k, v, u, m, 0, XI);
        finish(k, m, px, 0, k.panels, bias, res, act, out);
    }

    /**
     * The sizes of one chunk's buffers: its tiles in blocks of V ({@code tp} per row of the transformed input, and per
     * position and panel of the transformed output gradient), in slivers of 8 ({@code mr} floats per position and panel
     * of the products), and its output pixels.
     */
    private record Chunk(ConvGeometry g, int th, int tw, int r0, int r1, int blocks, int slivers, int tp, int vr, int mr,
                         int panels, int pixels) {
        Chunk(ConvGeometry g, int th, int tw, int r0, int r1) {
            this(g, th, tw, r0, r1, ((r1 - r0) * tw + V - 1) / V, ((r1 - r0) * tw + MR - 1) / MR);
        }

        private Chunk(ConvGeometry g, int th, int tw, int r0, int r1, int blocks, int slivers) {
            this(g, th, tw, r0, r1, blocks, slivers, blocks * V, g.c() * blocks * V + PAD, slivers * MR * NR + PAD,
                    GemmPacking.panels(g.o(), NR), pixels(g, th, r0, r1));
        }

        /** Output pixels of tile rows {@code [r0, r1)}: a tile row's second output row is dropped past an odd edge. */
        private static int pixels(ConvGeometry g, int th, int r0, int r1) {
            int pixels = 0;
            for (int r = r0; r < r1; r++) pixels += Math.min(2, g.oh() - 2 * (r % th)) * g.ow();
            return pixels;
        }

        /** Floats of one position's panel of the transformed output gradient: {@code tp} rows of NR, padded. */
        int wr() { return tp * NR + PAD; }

        int vSize() { return XI * vr; }
        int wSize() { return XI * panels * wr(); }
        int mSize() { return XI * panels * mr; }
        int pxSize() { return panels * pixels * NR; }
    }

    /** Positions {@code [x0, x1)} of the chunk's products {@code M[xi] = V[xi] U[xi]} into {@code m}. */
    private static void products(Chunk k, float[] v, float[] u, float[] m, int x0, int x1) {
        int c = k.g().c(), o = k.g().o(), panels = k.panels(), ur = weightRegion(c), kb = GemmDriver.blockSize(c, KC, 1);
        int[] steps = steps(c, k.tp());
        for (int xi = x0; xi < x1; xi++) {
            for (int j = 0; j < panels; j++) {
                int vectors = (Math.min(NR, o - j * NR) + V - 1) / V, mOff = (xi * panels + j) * k.mr();
                for (int pc = 0; pc < c; pc += kb) {
                    int kc = Math.min(kb, c - pc), bO = (xi * panels + j) * ur + pc * NR;
                    for (int s = 0; s < k.slivers(); s++) {
                        ConvShift.tile(vectors, v, xi * k.vr() + s * MR, steps, pc, kc, u, bO, m, mOff + s * MR * NR, pc > 0);
                    }
                }
            }
        }
    }

    /**
     * Output-channel panels {@code [j0, j1)} of the chunk: the output transform of every tile into {@code px}, then the
     * transposing store of those channels, one run of pixels per image (its tile rows are consecutive output rows).
     */
    private static void finish(Chunk k, float[] m, float[] px, int j0, int j1, float[] bias, float[] res, Epilogue act, float[] out) {
        ConvGeometry g = k.g();
        int o = g.o(), th = k.th(), pixels = k.pixels();
        transformOutput(g, th, k.tw(), k.r0(), k.r1(), k.mr(), k.panels(), pixels, m, px, j0, j1);
        int start = 0;
        for (int r = k.r0(); r < k.r1(); ) {
            int n = r / th, end = Math.min(k.r1(), (n + 1) * th), y0 = 2 * (r % th), y1 = Math.min(g.oh(), 2 * (end - n * th));
            int len = (y1 - y0) * g.ow();
            for (int oc = j0 * NR; oc < Math.min(o, j1 * NR); oc++) {
                int src = ((oc / NR) * pixels + start) * NR + oc % NR, dst = (n * o + oc) * g.ohw() + y0 * g.ow();
                ConvShift.storeRun(px, src, len, bias == null ? 0f : bias[oc], res, act, out, dst);
            }
            start += len;
            r = end;
        }
    }

    /**
     * All threads on each chunk in turn, for a call with too few chunks to give every thread two (one image, or a few
     * small ones, with the weight pre-transformed): the input transform split by blocks of tiles, the products by
     * position (each thread reads its half of the transformed weight once, instead of every thread all of it for its
     * own few tiles), the output transform and store by panels of output channels.
     */
    private static void forwardTogether(ConvGeometry g, float[] x, float[] u, float[] bias, float[] res, Epilogue act, float[] out,
                                        int th, int tw, int per, int count) {
        int rows = g.n() * th;
        for (int ch = 0; ch < count; ch++) {
            int r0 = ch * per;
            Chunk k = new Chunk(g, th, tw, r0, Math.min(rows, r0 + per));
            float[] v = scratch(0, k.vSize()), m = scratch(1, k.mSize()), px = scratch(2, k.pxSize());
            Parallel.forRange(k.blocks(), 1, (b0, b1) -> transformInput(g, x, th, tw, k.r0(), k.r1(), k.blocks(), b0, b1, v));
            Parallel.forRange(XI, 1, (x0, x1) -> products(k, v, u, m, x0, x1));
            Parallel.forRange(k.panels(), 1, (j0, j1) -> finish(k, m, px, j0, j1, bias, res, act, out));
        }
    }

    /**
     * V = B<sup>T</sup> d B of every tile of the chunk and every input channel into {@code v}: a row of tiles per
     * position and channel, {@code v[xi * (c * tp + PAD) + ic * tp + t]} ({@code tp}: the tiles rounded up to whole blocks of
     * {@code V}), so that 8 consecutive tiles of one channel are the A sliver the forward micro-kernel broadcasts and a
     * channel's tiles are the run the weight gradient's kernel reads. Per block, the input offsets of its tiles' 16 patch
     * positions are worked out once; per channel, the 16 positions are gathered (masked where the patch lies in the
     * padding) into a small buffer, then transformed from there. (Gathering and transforming in one method leaves C2
     * past its inlining budget, and the vectors passed between the parts are then boxed: 4-8 times slower. Gathers of
     * 8-lane vectors next to the 16-lane ones elsewhere also measured slower than 16-lane ones.) Lanes past the
     * chunk's last tile are zeros. This call does blocks {@code [b0, b1)} of the chunk's {@code blocks}.
     */
    private static void transformInput(ConvGeometry g, float[] x, int th, int tw, int r0, int r1, int blocks, int b0, int b1, float[] v) {
        int h = g.h(), w = g.w(), c = g.c(), hw = g.hw(), tiles = (r1 - r0) * tw;
        int[] idx = PATCH.get();
        long[] masks = MASKS.get();
        float[] d = scratch(4, XI * V);
        for (int b = b0; b < b1; b++) {
            boolean inside = true;
            Arrays.fill(masks, 0L);
            for (int lane = 0; lane < V; lane++) {
                int t = b * V + lane;
                if (t >= tiles) {
                    for (int pos = 0; pos < XI; pos++) idx[pos * V + lane] = 0;
                    inside = false;
                    continue;
                }
                int r = r0 + t / tw, tx = t % tw, n = r / th, ty = r % th;
                for (int i = 0; i < 4; i++) {
                    int iy = 2 * ty + i - g.padH();
                    for (int j = 0; j < 4; j++) {
                        int ix = 2 * tx + j - g.padW(), pos = i * 4 + j;
                        boolean in = iy >= 0 && iy < h && ix >= 0 && ix < w;
                        idx[pos * V + lane] = in ? n * c * hw + iy * w + ix : 0;
                        if (in) masks[pos] |= 1L << lane;
                        else inside = false;
                    }
                }
            }
            int tp = blocks * V, stride = c * tp + PAD;
            for (int ic = 0; ic < c; ic++) {
                if (inside) gather(x, ic * hw, idx, d);
                else gather(x, ic * hw, idx, masks, d);
                transformPatch(d, v, ic * tp + b * V, stride);
            }
        }
    }

    /** The 16 patch positions of a block's tiles, all inside the input, into {@code d[pos * V + lane]}. */
    private static void gather(float[] x, int off, int[] idx, float[] d) {
        for (int pos = 0; pos < XI; pos++) FloatVector.fromArray(S, x, off, idx, pos * V).intoArray(d, pos * V);
    }

    /** As above, with zeros where bit {@code lane} of {@code masks[pos]} is clear (the padding, or no tile). */
    private static void gather(float[] x, int off, int[] idx, long[] masks, float[] d) {
        for (int pos = 0; pos < XI; pos++) {
            FloatVector.fromArray(S, x, off, idx, pos * V, VectorMask.fromLong(S, masks[pos])).intoArray(d, pos * V);
        }
    }

    /** V = B<sup>T</sup> d B of a block's patches {@code d[pos * V + lane]}: position {@code xi} into {@code v[dst + xi * stride ..]}. */
    private static void transformPatch(float[] d, float[] v, int dst, int stride) {
        for (int j = 0; j < 4; j++) {
            // B^T d, column j: rows d0 - d2, d1 + d2, d2 - d1, d1 - d3, into d's own rows (each read before it is written)
            FloatVector d0 = FloatVector.fromArray(S, d, j * V), d1 = FloatVector.fromArray(S, d, (4 + j) * V),
                    d2 = FloatVector.fromArray(S, d, (8 + j) * V), d3 = FloatVector.fromArray(S, d, (12 + j) * V);
            d0.sub(d2).intoArray(d, j * V);
            d1.add(d2).intoArray(d, (4 + j) * V);
            d2.sub(d1).intoArray(d, (8 + j) * V);
            d1.sub(d3).intoArray(d, (12 + j) * V);
        }
        for (int i = 0; i < 4; i++) {
            // (B^T d) B, row i: the same combination of its columns
            int r = 4 * i * V, o = dst + 4 * i * stride;
            FloatVector c0 = FloatVector.fromArray(S, d, r), c1 = FloatVector.fromArray(S, d, r + V),
                    c2 = FloatVector.fromArray(S, d, r + 2 * V), c3 = FloatVector.fromArray(S, d, r + 3 * V);
            c0.sub(c2).intoArray(v, o);
            c1.add(c2).intoArray(v, o + stride);
            c2.sub(c1).intoArray(v, o + 2 * stride);
            c1.sub(c3).intoArray(v, o + 3 * stride);
        }
    }

    /**
     * Y = A<sup>T</sup> M A for every tile of the chunk and output-channel panels {@code [j0, j1)}, from the GEMM results {@code m}
     * ({@code [xi][panel][tile][NR]}) into {@code px} ({@code [panel][pixel][NR]}, the chunk's output pixels numbered
     * row by row, image after image); a tile's second row or column past the output's edge is dropped.
     */
    private static void transformOutput(ConvGeometry g, int th, int tw, int r0, int r1, int mr, int panels, int pixels,
                                        float[] m, float[] px, int j0, int j1) {
        int oh = g.oh(), ow = g.ow(), xiStride = panels * mr;
        int rowBase = 0;
        for (int r = r0; r < r1; r++) {
            int ty = r % th, dy = Math.min(2, oh - 2 * ty);
            for (int tx = 0; tx < tw; tx++) {
                int t = (r - r0) * tw + tx, dx = Math.min(2, ow - 2 * tx), p = rowBase + 2 * tx;
                for (int j = j0; j < j1; j++) {
                    int src = j * mr + t * NR, dst = (j * pixels + p) * NR;
                    for (int q = 0; q < NR; q += V) outputTile(m, src + q, xiStride, px, dst + q, ow * NR, dy, dx);
                }
            }
            rowBase += dy * ow;
        }
    }

    /** One tile's 2x2 outputs for {@code V} channels; {@code rows} and {@code cols} (1 or 2) of them are kept. */
    private static void outputTile(float[] m, int src, int xiStride, float[] px, int dst, int rowStride, int rows, int cols) {
        // A^T M: rows m0 + m1 + m2 and m1 - m2 - m3, each four columns
        FloatVector m00 = FloatVector.fromArray(S, m, src), m01 = FloatVector.fromArray(S, m, src + xiStride),
                m02 = FloatVector.fromArray(S, m, src + 2 * xiStride), m03 = FloatVector.fromArray(S, m, src + 3 * xiStride);
        FloatVector m10 = FloatVector.fromArray(S, m, src + 4 * xiStride), m11 = FloatVector.fromArray(S, m, src + 5 * xiStride),
                m12 = FloatVector.fromArray(S, m, src + 6 * xiStride), m13 = FloatVector.fromArray(S, m, src + 7 * xiStride);
        FloatVector m20 = FloatVector.fromArray(S, m, src + 8 * xiStride), m21 = FloatVector.fromArray(S, m, src + 9 * xiStride),
                m22 = FloatVector.fromArray(S, m, src + 10 * xiStride), m23 = FloatVector.fromArray(S, m, src + 11 * xiStride);
        FloatVector s0 = m00.add(m10).add(m20), s1 = m01.add(m11).add(m21), s2 = m02.add(m12).add(m22), s3 = m03.add(m13).add(m23);
        // (A^T M) A: the same combination of each row's columns
        s0.add(s1).add(s2).intoArray(px, dst);
        if (cols == 2) s1.sub(s2).sub(s3).intoArray(px, dst + NR);
        if (rows == 2) {
            FloatVector m30 = FloatVector.fromArray(S, m, src + 12 * xiStride), m31 = FloatVector.fromArray(S, m, src + 13 * xiStride),
                    m32 = FloatVector.fromArray(S, m, src + 14 * xiStride), m33 = FloatVector.fromArray(S, m, src + 15 * xiStride);
            FloatVector t0 = m10.sub(m20).sub(m30), t1 = m11.sub(m21).sub(m31), t2 = m12.sub(m22).sub(m32), t3 = m13.sub(m23).sub(m33);
            t0.add(t1).add(t2).intoArray(px, dst + rowStride);
            if (cols == 2) t1.sub(t2).sub(t3).intoArray(px, dst + rowStride + NR);
        }
    }
}
