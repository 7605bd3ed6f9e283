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
 * says, one packed B row per step): the input transform writes V in blocks of 16 tiles, {@code [xi][block][channel][16]},
 * so that 8 consecutive tiles of one channel are the 8 floats a step broadcasts, and the transformed weight U is
 * packed as B panels once per call (once per model when pre-packed). The coefficients of F(2x2, 3x3) are 0, +-1 and
 * 1/2, so the result differs from the direct sum by rounding only; larger tiles (F(4x4, 3x3): 4 times fewer
 * multiply-adds) have coefficients up to 8 and amplify rounding, and are not used.
 *
 * <p>The work is cut into <i>chunks</i> of whole tile rows (across image boundaries) of about {@link #TARGET_TILES}
 * tiles, claimed by the threads one at a time. Per chunk: the input transform of every tile and input channel (16
 * gathers of 16 tiles per channel, masked at the borders); the 16 GEMMs (position by position, so that one position's
 * transformed input stays in L2 while the weight panels stream past it); the output transform of every tile and
 * 48-channel panel into a pixels-by-channels buffer; and the same transposing store as {@link ConvShift}, which adds the
 * bias and residual and applies the activation. An output plane with an odd side computes a tile's second row or
 * column and throws it away (15 of a 7x7 plane's 64 tile pixels).
 *
 * <p>Measured against {@link ConvShift} in one JVM (batch 32, 2 threads, ResNet-18's 3x3 stride-1 layers): 1.2-1.3x
 * less time at 56x56 with 64 channels, 1.5x at 28x28, 1.6-1.8x at 14x14 and 1.5-1.6x at 7x7, forward and input
 * gradient alike (docs/BENCHMARKS.md). The weight transform per call (forward unpacked, input gradient) costs about
 * 1.5 ms of one core for a 512 x 512 weight, a tenth of the layer's time: its gathers of 16 kernels
 * 4608 floats apart are the slow part.
 */
final class ConvWinograd {
    private static final VectorSpecies<Float> S = GemmKernel.S;
    private static final int V = GemmKernel.V, NR = GemmKernel.NR, MR = 8, KC = GemmTuning.KC;
    /** Positions of the transformed 4x4 tile: 16 GEMMs. */
    private static final int XI = 16;
    /**
     * Tiles per chunk, about: enough slivers that each packed weight block loaded into L1 serves 16 of them, few
     * enough that one position's transformed input (tiles x channels) stays in L2 (64-384 measured within noise).
     */
    private static final int TARGET_TILES = 128;
    /**
     * Per-thread buffers: 0 the transformed input of a chunk, 1 the GEMM results, 2 the output pixels, 3 the packed
     * weight of a call, 4 one channel of a block's gathered patches, 5 the weight transform's kernels.
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[6][]);

    /** Per-thread gather offsets of one block's 16 patch positions (16 tiles each), and which lanes of each lie inside the input. */
    private static final ThreadLocal<int[]> PATCH = ThreadLocal.withInitial(() -> new int[XI * V]);
    private static final ThreadLocal<long[]> MASKS = ThreadLocal.withInitial(() -> new long[XI]);
    /** Per-thread offsets {@code 0, 16, 32, ...}: input channel {@code q}'s row of a block of transformed tiles. */
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

    /** Whether the input gradient should run here, as the forward pass of {@link ConvShift#transposed}. */
    static boolean paysBackwardInput(ConvGeometry g) {
        return fits(g) && g.padH() <= 2 && g.padW() <= 2 && pays(ConvShift.transposed(g));
    }

    // ---------------------------------------------------------------- weight

    /** Floats of the packed transformed weight for {@code c} input and {@code o} output channels. */
    static int packedSize(int c, int o) {
        return Math.multiplyExact(XI * GemmPacking.panels(o, NR) * NR, c);
    }

    /**
     * Packs U = G g G<sup>T</sup> for every output channel {@code oc < o} and input channel {@code ic < c} into
     * {@code u}: position {@code xi}'s B operand ({@code c x o}) in 48-column panels, {@code u[((xi * panels + j) * c +
     * ic) * NR + col]}. {@code g} is {@code w[oc][ic]} ({@code [o, c, 3, 3]}), or when {@code flipped}, the input
     * gradient's kernel {@code w[ic][oc]} rotated by 180 degrees ({@code w} of shape {@code [c, o, 3, 3]}).
     */
    static void pack(int c, int o, float[] w, boolean flipped, float[] u) {
        int panels = GemmPacking.panels(o, NR);
        Parallel.forRange(panels, 1, (j0, j1) -> {
            int ocStride = flipped ? 9 : c * 9, icStride = flipped ? o * 9 : 9;
            int[] idx = GemmPacking.gatherRows(ocStride);
            float[] k = scratch(5, 21 * V);
            for (int j = j0; j < j1; j++) {
                int width = Math.min(NR, o - j * NR);
                // 16 input channels of the panel's kernels at a time: 48 rows of 16 x 9 floats, in L1 across the gathers
                for (int ic0 = 0; ic0 < c; ic0 += 16) {
                    for (int ic = ic0; ic < Math.min(c, ic0 + 16); ic++) {
                        int dst = (j * c + ic) * NR, xiStride = panels * c * NR, col = 0;
                        for (; col + V <= width; col += V) {
                            packVector(w, (j * NR + col) * ocStride + ic * icStride, idx, flipped, k, u, dst + col, xiStride);
                        }
                        for (; col < width; col++) packScalar(w, (j * NR + col) * ocStride + ic * icStride, flipped, u, dst + col, xiStride);
                        for (; col < NR; col++) {
                            for (int xi = 0; xi < XI; xi++) u[dst + col + xi * xiStride] = 0f;
                        }
                    }
                }
            }
        });
    }

    /** Kernel element {@code (ky, kx)} of the 3x3 kernel at {@code base}: rotated by 180 degrees when flipped. */
    private static int tap(int base, int ky, int kx, boolean flipped) {
        return base + (flipped ? 8 - (ky * 3 + kx) : ky * 3 + kx);
    }

    /**
     * U for {@code V} output channels at once, their kernels {@code idx} apart from {@code base}: the 9 taps gathered
     * into {@code k} ({@code k[tap * V + lane]}), G g into {@code k[(9 + 3i + kx) * V ..]}, then each of its rows
     * combined.
     */
    private static void packVector(float[] w, int base, int[] idx, boolean flipped, float[] k, float[] u, int dst, int xiStride) {
        for (int t = 0; t < 9; t++) FloatVector.fromArray(S, w, base + (flipped ? 8 - t : t), idx, 0).intoArray(k, t * V);
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
            int r = (9 + 3 * i) * V;
            packRow(FloatVector.fromArray(S, k, r), FloatVector.fromArray(S, k, r + V), FloatVector.fromArray(S, k, r + 2 * V),
                    u, dst + 4 * i * xiStride, xiStride);
        }
    }

    /** (G g) G<sup>T</sup> for one row {@code a, b, c} of G g: the same combination of its three columns. */
    private static void packRow(FloatVector a, FloatVector b, FloatVector c, float[] u, int o, int xiStride) {
        FloatVector s = a.add(c).mul(0.5f), t = b.mul(0.5f);
        a.intoArray(u, o);
        s.add(t).intoArray(u, o + xiStride);
        s.sub(t).intoArray(u, o + 2 * xiStride);
        c.intoArray(u, o + 3 * xiStride);
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
        float g0 = w[tap(base, 0, kx, flipped)], g1 = w[tap(base, 1, kx, flipped)], g2 = w[tap(base, 2, kx, flipped)];
        return switch (i) {
            case 0 -> g0;
            case 1 -> (g0 + g2) * 0.5f + g1 * 0.5f;
            case 2 -> (g0 + g2) * 0.5f - g1 * 0.5f;
            default -> g2;
        };
    }

    // ---------------------------------------------------------------- forward

    /** This thread's offsets {@code q * V} for {@code q < c}. */
    private static int[] steps(int c) {
        int[] steps = STEPS.get();
        if (steps.length < c) {
            steps = new int[c];
            for (int q = 0; q < c; q++) steps[q] = q * V;
            STEPS.set(steps);
        }
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
        int th = (g.oh() + 1) / 2, tw = (g.ow() + 1) / 2, rows = Math.multiplyExact(g.n(), th), threads = Parallel.threads();
        // whole tile rows per chunk, as many chunks as a multiple of the threads, each near the target
        int per = Math.max(1, Math.min(rows, (TARGET_TILES + tw / 2) / tw));
        int chunks = (rows + per - 1) / per;
        chunks = (chunks + threads - 1) / threads * threads;
        int rowsPerChunk = (rows + chunks - 1) / chunks, count = (rows + rowsPerChunk - 1) / rowsPerChunk;
        float[] uw = weights;
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(Math.min(threads, count), 1, (from, to) -> {
            for (int ch; (ch = next.getAndIncrement()) < count; ) {
                int r0 = ch * rowsPerChunk;
                chunk(g, x, uw, bias, res, act, out, th, tw, r0, Math.min(rows, r0 + rowsPerChunk));
            }
        });
    }

    /** Tile rows {@code [r0, r1)} of the whole batch (row {@code r} is image {@code r / th}'s tile row {@code r % th}). */
    private static void chunk(ConvGeometry g, float[] x, float[] u, float[] bias, float[] res, Epilogue act, float[] out,
                              int th, int tw, int r0, int r1) {
        int c = g.c(), o = g.o(), panels = GemmPacking.panels(o, NR), tiles = (r1 - r0) * tw, blocks = (tiles + V - 1) / V;
        int slivers = (tiles + MR - 1) / MR;
        float[] v = scratch(0, XI * blocks * V * c);
        transformInput(g, x, th, tw, r0, r1, blocks, v);
        float[] m = scratch(1, XI * panels * slivers * MR * NR);
        int kb = GemmDriver.blockSize(c, KC, 1);
        int[] steps = steps(c);
        for (int xi = 0; xi < XI; xi++) {
            for (int j = 0; j < panels; j++) {
                int vectors = (Math.min(NR, o - j * NR) + V - 1) / V, mOff = (xi * panels + j) * slivers * MR * NR;
                for (int pc = 0; pc < c; pc += kb) {
                    int kc = Math.min(kb, c - pc), bO = ((xi * panels + j) * c + pc) * NR;
                    for (int s = 0; s < slivers; s++) {
                        int px = (xi * blocks + s * MR / V) * c * V + s * MR % V;
                        ConvShift.tile(vectors, v, px, steps, pc, kc, u, bO, m, mOff + s * MR * NR, pc > 0);
                    }
                }
            }
        }
        int pixels = 0;
        for (int r = r0; r < r1; r++) pixels += Math.min(2, g.oh() - 2 * (r % th)) * g.ow();
        float[] px = scratch(2, panels * pixels * NR);
        transformOutput(g, th, tw, r0, r1, slivers, panels, pixels, m, px);
        // one run of pixels per image in the chunk: its tile rows are consecutive output rows
        int start = 0;
        for (int r = r0; r < r1; ) {
            int n = r / th, end = Math.min(r1, (n + 1) * th), y0 = 2 * (r % th), y1 = Math.min(g.oh(), 2 * (end - n * th));
            int len = (y1 - y0) * g.ow();
            for (int oc = 0; oc < o; oc++) {
                int src = ((oc / NR) * pixels + start) * NR + oc % NR, dst = (n * o + oc) * g.ohw() + y0 * g.ow();
                ConvShift.storeRun(px, src, len, bias == null ? 0f : bias[oc], res, act, out, dst);
            }
            start += len;
            r = end;
        }
    }

    /**
     * V = B<sup>T</sup> d B of every tile of the chunk and every input channel into {@code v}: blocks of 16 tiles,
     * {@code v[((xi * blocks + b) * c + ic) * 16 + lane]} for tile {@code 16b + lane}, so that 8 consecutive tiles of
     * one channel are the A sliver the micro-kernel broadcasts. Per block, the input offsets of its tiles' 16 patch
     * positions are worked out once; per channel, the 16 positions are gathered (masked where the patch lies in the
     * padding) into a small buffer, then transformed from there. (Gathering and transforming in one method leaves C2
     * past its inlining budget, and the vectors passed between the parts are then boxed: 4-8 times slower. Gathers of
     * 8-lane vectors next to the 16-lane ones elsewhere also measured slower than 16-lane ones.) Lanes past the
     * chunk's last tile are zeros.
     */
    private static void transformInput(ConvGeometry g, float[] x, int th, int tw, int r0, int r1, int blocks, float[] v) {
        int h = g.h(), w = g.w(), c = g.c(), hw = g.hw(), tiles = (r1 - r0) * tw;
        int[] idx = PATCH.get();
        long[] masks = MASKS.get();
        float[] d = scratch(4, XI * V);
        for (int b = 0; b < blocks; b++) {
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
            int stride = blocks * c * V;
            for (int ic = 0; ic < c; ic++) {
                if (inside) gather(x, ic * hw, idx, d);
                else gather(x, ic * hw, idx, masks, d);
                transformPatch(d, v, (b * c + ic) * V, stride);
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
     * Y = A<sup>T</sup> M A for every tile of the chunk and every output-channel panel, from the GEMM results {@code m}
     * ({@code [xi][panel][tile][NR]}) into {@code px} ({@code [panel][pixel][NR]}, the chunk's output pixels numbered
     * row by row, image after image); a tile's second row or column past the output's edge is dropped.
     */
    private static void transformOutput(ConvGeometry g, int th, int tw, int r0, int r1, int slivers, int panels, int pixels,
                                        float[] m, float[] px) {
        int oh = g.oh(), ow = g.ow(), xiStride = panels * slivers * MR * NR;
        int rowBase = 0;
        for (int r = r0; r < r1; r++) {
            int ty = r % th, dy = Math.min(2, oh - 2 * ty);
            for (int tx = 0; tx < tw; tx++) {
                int t = (r - r0) * tw + tx, dx = Math.min(2, ow - 2 * tx), p = rowBase + 2 * tx;
                for (int j = 0; j < panels; j++) {
                    int src = (j * slivers * MR + t) * NR, dst = (j * pixels + p) * NR;
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
