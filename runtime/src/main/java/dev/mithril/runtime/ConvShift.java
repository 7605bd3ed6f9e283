package dev.mithril.runtime;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 convolution that reads the input in place: no im2col matrix and no packing of input patches. The input of
 * one image is first copied once into a zero-padded buffer, split into {@code strideH x strideW} phase planes per
 * channel (phase {@code (py, px)} holds the padded input's rows {@code py, py + sH, ...} and columns
 * {@code px, px + sW, ...}). In that buffer the input an output pixel needs for tap {@code (c, ky, kx)} sits at a
 * fixed offset from the pixel's own index, when pixels are numbered over the phase plane's width {@code wph}
 * ({@code p = y * wph + x}): {@code in[p + tap(c, ky, kx)]}. So 8 consecutive output pixels read 8 consecutive
 * floats for every tap, which is exactly a packed A sliver of a GEMM with pixels as rows, taps as k and output
 * channels as columns, and the micro-kernel broadcasts them straight from the buffer. The weight is the GEMM's packed
 * B operand ({@link ConvRows#packWeight}), pre-packed once for inference ({@link PackedConv2d}).
 *
 * <p>The price is {@code wph - ow} columns per output row that are computed and thrown away (at stride 1 a row's right
 * padding is the next row's left padding, so 1 of 57 at 56x56, 1 of 15 at 14x14, 1 of 8 at 7x7; 1 of 29 for ResNet's
 * stride-2 layers), against the im2col packing the GEMM path does for every
 * call: per input element that packing costs about what {@code og / 16} vector multiply-adds do, most of the time of a
 * 64-channel layer. Results go through a per-image buffer laid out pixels by channels, {@code [panel][pixel][NR]},
 * which also carries the partial sums between k blocks; a transposing pass then writes the NCHW output with the bias,
 * residual and activation.
 */
final class ConvShift {
    private static final VectorSpecies<Float> S = GemmKernel.S;
    private static final int V = GemmKernel.V, NR = GemmKernel.NR;
    /** Output pixels per micro-kernel call (the rows of its register tile). */
    private static final int MR = 8;
    private static final int KC = GemmTuning.KC;
    /**
     * Per-thread buffers: 0 the phase planes of one image, 1 the results of one image, 2 a per-call packed weight, 3 the
     * packed output gradient of one image ({@link ConvShiftWeight}).
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][]);
    private static final VectorMask<Float> EVEN_LANES = VectorMask.fromLong(S, 0x5555_5555_5555_5555L & ((1L << V) - 1)),
            ODD_LANES = VectorMask.fromLong(S, 0xAAAA_AAAA_AAAA_AAAAL & ((1L << V) - 1));
    /** Offsets {@code 0, NR, 2*NR, ...}: a gather of one channel's values from pixels-by-channels results. */
    private static final ThreadLocal<int[]> PANEL_INDEX = ThreadLocal.withInitial(() -> new int[V]);

    private ConvShift() {}

    /**
     * Whether this form should compute {@code g}'s forward pass: float32 on the 8-row register tile, output rows of at
     * least 7 pixels (narrower ones throw away too much of each row), not a plain GEMM already (1x1, stride 1, no
     * padding), and either a plane of at least 512 pixels or several images with one for every thread (a single image
     * of ResNet's 14x14 and 7x7 planes, split over two threads, measured faster on the GEMM forms). A 1x1 kernel at
     * stride 2 only on batches with outputs of at least 14 columns: 1.07-1.33x less time than {@link ConvGemm} at batch
     * 32 on ResNet's 28x28 and 14x14 outputs, 0.88x on 7x7. At batch 32 it took 1.16-1.33x less time than
     * {@link ConvGemm} on ResNet-18's 3x3 layers with 14x14 or larger outputs and 1.29x on its 7x7 stem, and about the
     * same on the 7x7 plane (docs/BENCHMARKS.md).
     */
    static boolean pays(ConvGeometry g) {
        if (!fits(g)) return false;
        if (g.kh() * g.kw() == 1) return batched(g) && g.ow() >= 14;
        return g.ohw() >= 512 || batched(g);
    }

    /** What every use of the phase planes needs: the 8-row tile, rows of 7 or more outputs, 16 or more taps, not a plain GEMM. */
    static boolean fits(ConvGeometry g) {
        return GemmKernel.MR == MR && g.ow() >= 7 && g.kk() >= 16 && !g.pointwise();
    }

    /** Several images, at least one for every thread: each thread then takes whole images. */
    static boolean batched(ConvGeometry g) { return g.n() > 1 && g.n() >= Parallel.threads(); }

    /**
     * Whether the input gradient should run here, as the forward convolution of the output gradient with the
     * flipped, transposed weight ({@link #backwardInput}): stride 1, and padding at most the kernel's reach.
     */
    static boolean paysBackwardInput(ConvGeometry g) {
        return g.strideH() == 1 && g.strideW() == 1 && g.padH() <= g.dilationH() * (g.kh() - 1)
                && g.padW() <= g.dilationW() * (g.kw() - 1) && pays(transposed(g));
    }

    /**
     * The convolution whose forward pass is {@code g}'s input gradient at stride 1: the output gradient convolved with
     * the weight transposed (input and output channels swapped) and flipped in both spatial axes, padded by the
     * kernel's reach minus {@code g}'s padding.
     */
    static ConvGeometry transposed(ConvGeometry g) {
        return ConvGeometry.of("Conv2d input gradient", new int[] {g.n(), g.o(), g.oh(), g.ow()}, new int[] {g.c(), g.og(), g.kh(), g.kw()},
                1, 1, g.dilationH() * (g.kh() - 1) - g.padH(), g.dilationW() * (g.kw() - 1) - g.padW(), g.dilationH(), g.dilationW(), g.groups());
    }

    /** {@code gx = conv2d's input gradient} for a geometry {@link #paysBackwardInput} accepts; {@code gx} is overwritten. */
    static void backwardInput(ConvGeometry g, float[] gradOut, float[] w, float[] gx) {
        ConvGeometry t = transposed(g);
        int size = ConvRows.packedSize(t);
        float[][] packed = new float[g.groups()][];
        for (int gi = 0; gi < g.groups(); gi++) {
            packed[gi] = g.groups() == 1 ? scratch(2, size) : new float[size];
            packFlipped(g, g.kh(), g.kw(), 0, 0, w, gi, packed[gi]);
        }
        forward(t, gradOut, null, packed, null, null, Epilogue.NONE, gx);
    }

    /**
     * Group {@code gi} of a transposed, flipped weight, packed as {@link ConvRows#packWeight} packs a weight, straight
     * from {@code g}'s weight: panel columns are {@code g}'s input channels, rows its output channels' taps
     * {@code (o, ty, tx)} for {@code ty < qy, tx < qx}, tap {@code (ty, tx)} holding kernel position
     * {@code (ry + sH (qy - 1 - ty), rx + sW (qx - 1 - tx))}. At stride 1 with {@code (qy, qx) = (kh, kw)} and
     * {@code (ry, rx) = (0, 0)} it is the whole weight of {@link #transposed}{@code (g)}; at stride 2, the sub-kernel of
     * one input phase ({@link ConvShiftStrided}).
     */
    static void packFlipped(ConvGeometry g, int qy, int qx, int ry, int rx, float[] w, int gi, float[] p) {
        int cg = g.cg(), og = g.og(), khw = g.kh() * g.kw(), kk = og * qy * qx, panels = GemmPacking.panels(cg, NR);
        int[] idx = GemmPacking.gatherRows(khw);
        for (int j = 0; j < panels; j++) {
            int c0 = j * NR, width = Math.min(NR, cg - c0);
            for (int o = 0; o < og; o++) {
                for (int ty = 0; ty < qy; ty++) {
                    for (int tx = 0; tx < qx; tx++) {
                        int ky = ry + g.strideH() * (qy - 1 - ty), kx = rx + g.strideW() * (qx - 1 - tx);
                        int dst = j * kk * NR + ((o * qy + ty) * qx + tx) * NR, col = 0;
                        int src = ((gi * og + o) * cg + c0) * khw + ky * g.kw() + kx;
                        // input channels of one tap are khw apart in the weight: a gather per vector
                        for (; col + V <= width; col += V, src += V * khw) FloatVector.fromArray(S, w, src, idx, 0).intoArray(p, dst + col);
                        for (; col < width; col++, src += khw) p[dst + col] = w[src];
                        for (; col < NR; col++) p[dst + col] = 0f;
                    }
                }
            }
        }
    }

    /** Geometry of the phase buffer of one image, derived once per call. */
    record Layout(ConvGeometry g, int wph, int hph, int size, int tiles, int[] taps, boolean[] usedPhases) {
        /** Layouts this thread computed last: a training step re-uses them instead of re-making the tap table. */
        private static final ThreadLocal<Layout[]> RECENT = ThreadLocal.withInitial(() -> new Layout[8]);

        static Layout of(ConvGeometry g) {
            Layout[] recent = RECENT.get();
            for (Layout l : recent) if (l != null && l.g.equals(g)) return l;
            Layout l = make(g);
            System.arraycopy(recent, 0, recent, 1, recent.length - 1);
            return recent[0] = l;
        }

        private static Layout make(ConvGeometry g) {
            int sh = g.strideH(), sw = g.strideW();
            int hp = g.h() + 2 * g.padH(), wp = g.w() + 2 * g.padW();
            // At horizontal stride 1 a row's right padding is the next row's left padding: rows of w + z columns, where
            // z covers the left padding and the last valid output's reach past the input (pw for "same" padding), and
            // the row holds every output column.
            int z = Math.max(Math.max(g.padW(), g.ow() - g.w()), g.ow() - 1 + (g.kw() - 1) * g.dilationW() - g.padW() - (g.w() - 1));
            int wph = sw == 1 ? g.w() + z : (wp + sw - 1) / sw, hph = (hp + sh - 1) / sh;
            int plane = Math.multiplyExact(hph, wph);
            int[] taps = new int[g.kk() * g.groups()];
            int maxRow = 0, maxCol = 0;
            boolean[] used = new boolean[sh * sw];
            for (int gi = 0; gi < g.groups(); gi++) {
                for (int c = 0; c < g.cg(); c++) {
                    for (int ky = 0; ky < g.kh(); ky++) {
                        for (int kx = 0; kx < g.kw(); kx++) {
                            int dy = ky * g.dilationH(), dx = kx * g.dilationW();
                            int phase = ((gi * g.cg() + c) * sh + dy % sh) * sw + dx % sw;
                            taps[gi * g.kk() + (c * g.kh() + ky) * g.kw() + kx] = phase * plane + dy / sh * wph + dx / sw;
                            used[dy % sh * sw + dx % sw] = true;
                            maxRow = Math.max(maxRow, dy / sh);
                            maxCol = Math.max(maxCol, dx / sw);
                        }
                    }
                }
            }
            int pixels = g.oh() * wph, tiles = (pixels + MR - 1) / MR;
            // the last tile reads up to MR - 1 pixels past the plane's computed rows, plus the furthest tap
            long reach = ((long) g.c() * sh * sw - 1) * plane + ((long) tiles * MR - 1) + (long) maxRow * wph + maxCol + 1;
            int size = Math.toIntExact(Math.max((long) g.c() * sh * sw * plane, reach));
            return new Layout(g, wph, hph, size, tiles, taps, used);
        }
    }

    static float[] scratch(int slot, int n) {
        float[][] s = SCRATCH.get();
        if (s[slot] == null || s[slot].length < n) s[slot] = new float[n];
        return s[slot];
    }

    /**
     * {@code out = act(conv(x, w) + bias + res)}; {@code packed[gi]} is group {@code gi}'s weight packed by
     * {@link ConvRows#packWeight}, or {@code packed == null} to pack {@code w} on this call. {@code bias} and
     * {@code res} may be null.
     */
    static void forward(ConvGeometry g, float[] x, float[] w, float[][] packed, float[] bias, float[] res, Epilogue act, float[] out) {
        float[][] weights = packed;
        if (weights == null) {
            weights = new float[g.groups()][];
            int size = ConvRows.packedSize(g);
            float[] all = scratch(2, size * g.groups());
            for (int gi = 0; gi < g.groups(); gi++) {
                float[] p = g.groups() == 1 ? all : new float[size];
                ConvRows.packWeight(g, w, gi, p);
                weights[gi] = p;
            }
        }
        Layout l = Layout.of(g);
        float[][] ws = weights;
        int t = Parallel.threads(), panels = GemmPacking.panels(g.og(), NR);
        if (t > 1 && g.n() >= t) {
            AtomicInteger next = new AtomicInteger();
            // whole images per thread, claimed one at a time, each in the thread's own buffers
            Parallel.forRange(t, 1, (from, to) -> {
                for (int n; (n = next.getAndIncrement()) < g.n(); ) {
                    float[] in = scratch(0, l.size()), tmp = scratch(1, resultSize(g, l));
                    phases(g, l, x, n, in, 0, g.c());
                    // panel by panel, each stored while its results are still in cache
                    for (int gi = 0; gi < g.groups(); gi++) {
                        for (int j = 0; j < panels; j++) {
                            computePanel(g, l, in, ws[gi], gi, j, tmp, 0, l.tiles());
                            int o0 = gi * g.og() + j * NR;
                            store(g, l, tmp, n, o0, Math.min(o0 + NR, (gi + 1) * g.og()), bias, res, act, out);
                        }
                    }
                }
            });
            return;
        }
        float[] in = scratch(0, l.size()), tmp = scratch(1, resultSize(g, l));
        for (int n = 0; n < g.n(); n++) {
            int image = n;
            Parallel.forRange(g.c(), Math.max(1, 4096 / Math.max(1, g.hw())), (c0, c1) -> phases(g, l, x, image, in, c0, c1));
            Parallel.forRange(l.tiles(), 16, (t0, t1) -> compute(g, l, in, ws, tmp, t0, t1));
            Parallel.forRange(g.o(), Math.max(1, 4096 / Math.max(1, g.ohw())), (o0, o1) -> store(g, l, tmp, image, o0, o1, bias, res, act, out));
        }
    }

    static int resultSize(ConvGeometry g, Layout l) {
        return Math.toIntExact((long) g.groups() * GemmPacking.panels(g.og(), NR) * l.tiles() * MR * NR);
    }

    /**
     * Channels {@code [c0, c1)} of image {@code n} into their zero-padded phase planes. Planes no tap reads (a 1x1
     * stride-2 convolution reads only phase (0, 0)) are skipped: only a tile's thrown-away pixels can reach into them.
     */
    static void phases(ConvGeometry g, Layout l, float[] x, int n, float[] in, int c0, int c1) {
        int sh = g.strideH(), sw = g.strideW(), wph = l.wph(), hph = l.hph(), plane = hph * wph;
        int h = g.h(), w = g.w(), ph = g.padH(), pw = g.padW();
        boolean pairs = sw == 2 && l.usedPhases()[0] == l.usedPhases()[1] && (sh == 1 || l.usedPhases()[2] == l.usedPhases()[3]);
        int[] stride = sw == 1 ? null : GemmPacking.gatherRows(sw);
        for (int c = c0; c < c1; c++) {
            int src = (n * g.c() + c) * g.hw();
            for (int py = 0; py < sh; py++) {
                if (pairs) {
                    if (l.usedPhases()[py * sw]) splitPairs(g, l, x, src, in, ((c * sh + py) * sw) * plane, py);
                    continue;
                }
                for (int px = 0; px < sw; px++) {
                    if (!l.usedPhases()[py * sw + px]) continue;
                    int dst = ((c * sh + py) * sw + px) * plane;
                    // phase column j holds input column j * sw + px - pw
                    int j0 = ConvGeometry.firstValid(px - pw, sw), j1 = ConvGeometry.endValid(px - pw, sw, w, wph);
                    for (int i = 0; i < hph; i++, dst += wph) {
                        int row = i * sh + py - ph;
                        if (row < 0 || row >= h || j0 >= j1) {
                            Arrays.fill(in, dst, dst + wph, 0f);
                            continue;
                        }
                        Arrays.fill(in, dst, dst + j0, 0f);
                        int s = src + row * w + j0 * sw + px - pw, j = j0;
                        if (sw == 1) System.arraycopy(x, s, in, dst + j0, j1 - j0);
                        else {
                            // every sw-th element: a gather per vector while the row's last gathered lane is in bounds
                            for (; j + V <= j1 && s + (V - 1) * sw < src + (row + 1) * w; j += V, s += V * sw) {
                                FloatVector.fromArray(S, x, s, stride, 0).intoArray(in, dst + j);
                            }
                            for (; j < j1; j++, s += sw) in[dst + j] = x[s];
                        }
                        Arrays.fill(in, dst + j1, dst + wph, 0f);
                    }
                }
            }
        }
        if (c1 == g.c()) Arrays.fill(in, g.c() * sh * sw * plane, l.size(), 0f);
    }

    /**
     * Horizontal stride 2: both column phases of phase row {@code py} (planes at {@code dst} and {@code dst + plane}) in
     * one pass over each input row, 16 columns at a time, the even and odd columns compressed into two runs of 8. Input
     * column {@code col} lands in column phase {@code (col + pw) % 2} at {@code (col + pw) / 2}.
     */
    private static void splitPairs(ConvGeometry g, Layout l, float[] x, int src, float[] in, int dst, int py) {
        int sh = g.strideH(), wph = l.wph(), hph = l.hph(), plane = hph * wph, h = g.h(), w = g.w(), ph = g.padH(), pw = g.padW();
        // padding on the left of each column phase (input columns below 0), and where the input columns end
        int lo0 = (pw + 1) / 2, lo1 = pw / 2, hi0 = Math.floorDiv(w - 1 + pw, 2) + 1, hi1 = Math.floorDiv(w - 2 + pw, 2) + 1;
        for (int i = 0; i < hph; i++, dst += wph) {
            int row = i * sh + py - ph;
            if (row < 0 || row >= h) {
                Arrays.fill(in, dst, dst + wph, 0f);
                Arrays.fill(in, dst + plane, dst + plane + wph, 0f);
                continue;
            }
            for (int j = 0; j < lo0 && j < wph; j++) in[dst + j] = 0f;
            for (int j = 0; j < lo1 && j < wph; j++) in[dst + plane + j] = 0f;
            int s = src + row * w;
            for (int col = 0; col < w; col += V) {
                // the last step loads and stores only the row's remaining columns
                int left = Math.min(V, w - col);
                FloatVector v = FloatVector.fromArray(S, x, s + col, VectorMask.fromLong(S, (1L << left) - 1));
                int q = col + pw, even = dst + (q & 1) * plane + (q >> 1), odd = dst + ((q + 1) & 1) * plane + ((q + 1) >> 1);
                v.compress(EVEN_LANES).intoArray(in, even, VectorMask.fromLong(S, (1L << ((left + 1) / 2)) - 1));
                v.compress(ODD_LANES).intoArray(in, odd, VectorMask.fromLong(S, (1L << (left / 2)) - 1));
            }
            for (int j = Math.max(hi0, 0); j < wph; j++) in[dst + j] = 0f;
            for (int j = Math.max(hi1, 0); j < wph; j++) in[dst + plane + j] = 0f;
        }
    }

    /** This thread's offsets {@code 0, NR, 2*NR, ...}: one channel of {@code V} pixels in pixels-by-channels results. */
    static int[] panelIndex() {
        int[] idx = PANEL_INDEX.get();
        if (idx[1] != NR) for (int i = 0; i < V; i++) idx[i] = i * NR;
        return idx;
    }

    /** Pixel tiles {@code [t0, t1)} of every group and output-channel panel into {@code tmp}. */
    private static void compute(ConvGeometry g, Layout l, float[] in, float[][] packed, float[] tmp, int t0, int t1) {
        int panels = GemmPacking.panels(g.og(), NR);
        for (int gi = 0; gi < g.groups(); gi++) {
            for (int j = 0; j < panels; j++) computePanel(g, l, in, packed[gi], gi, j, tmp, t0, t1);
        }
    }

    /** Pixel tiles {@code [t0, t1)} of output-channel panel {@code j} of group {@code gi} into {@code tmp}. */
    static void computePanel(ConvGeometry g, Layout l, float[] in, float[] bp, int gi, int j, float[] tmp, int t0, int t1) {
        int kk = g.kk(), og = g.og(), panels = GemmPacking.panels(og, NR), kb = GemmDriver.blockSize(kk, KC, 1);
        int[] taps = l.taps();
        int width = Math.min(NR, og - j * NR), vectors = (width + V - 1) / V;
        int res = ((gi * panels + j) * l.tiles()) * MR * NR;
        for (int pc = 0; pc < kk; pc += kb) {
            int kc = Math.min(kb, kk - pc), bO = j * kk * NR + pc * NR, tap0 = gi * kk + pc;
            boolean acc = pc > 0;
            for (int tile = t0; tile < t1; tile++) {
                int tOff = res + tile * MR * NR, px = tile * MR;
                tile(vectors, in, px, taps, tap0, kc, bp, bO, tmp, tOff, acc);
            }
        }
    }

    /**
     * Output channels {@code [o0, o1)} of image {@code n} from {@code tmp} (pixels by channels, per panel) into the
     * NCHW output, adding the bias and residual and applying the activation; the thrown-away columns are skipped.
     */
    private static void store(ConvGeometry g, Layout l, float[] tmp, int n, int o0, int o1, float[] bias, float[] res,
                              Epilogue act, float[] out) {
        int og = g.og(), panels = GemmPacking.panels(og, NR), ow = g.ow(), oh = g.oh(), wph = l.wph();
        for (int o = o0; o < o1; o++) {
            int gi = o / og, oc = o % og, j = oc / NR;
            int base = ((gi * panels + j) * l.tiles()) * MR * NR + oc % NR;
            float bv = bias == null ? 0f : bias[o];
            int dst = (n * g.o() + o) * g.ohw();
            for (int y = 0; y < oh; y++, dst += ow) storeRun(tmp, base + y * wph * NR, ow, bv, res, act, out, dst);
        }
    }

    /**
     * {@code len} pixels of one channel from pixels-by-channels results ({@code tmp[src + i * NR]}) into the NCHW output
     * at {@code out[dst + i]}, adding {@code bias} and the residual {@code res[dst + i]} (may be null) and applying the
     * activation.
     */
    static void storeRun(float[] tmp, int src, int len, float bias, float[] res, Epilogue act, float[] out, int dst) {
        int[] idx = panelIndex();
        int x = 0;
        for (; x <= len - V; x += V) {
            FloatVector v = FloatVector.fromArray(S, tmp, src + x * NR, idx, 0).add(bias);
            if (res != null) v = v.add(FloatVector.fromArray(S, res, dst + x));
            v.intoArray(out, dst + x);
        }
        for (; x < len; x++) {
            float v = tmp[src + x * NR] + bias;
            out[dst + x] = res == null ? v : v + res[dst + x];
        }
        Activations.apply(act, out, dst, len);
    }

    // ---------------------------------------------------------------- micro-kernels

    /**
     * The 8-row tile at {@code t[tO..]} (row stride NR) (+)= rows {@code in[px + taps[tap0 + q] + r]} ({@code r < 8})
     * times the packed B rows from {@code bO}, over {@code q < kc}, on {@code vectors} (1 to 3) vectors of columns.
     */
    static void tile(int vectors, float[] in, int px, int[] taps, int tap0, int kc, float[] bp, int bO, float[] t, int tO, boolean acc) {
        if (vectors == 3) k3(in, px, taps, tap0, kc, bp, bO, t, tO, acc);
        else if (vectors == 2) k2(in, px, taps, tap0, kc, bp, bO, t, tO, acc);
        else k1(in, px, taps, tap0, kc, bp, bO, t, tO, acc);
    }

    /**
     * The 8-pixel by 48-channel tile at {@code t[tO..]} (row stride NR) (+)= the input at pixels {@code px..px+7} for
     * taps {@code taps[tap0 .. tap0+kc)} times the packed weight rows from {@code bO}.
     */
    private static void k3(float[] in, int px, int[] taps, int tap0, int kc, float[] bp, int bO, float[] t, int tO, boolean acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00,
                c10 = c00, c11 = c00, c12 = c00,
                c20 = c00, c21 = c00, c22 = c00,
                c30 = c00, c31 = c00, c32 = c00,
                c40 = c00, c41 = c00, c42 = c00,
                c50 = c00, c51 = c00, c52 = c00,
                c60 = c00, c61 = c00, c62 = c00,
                c70 = c00, c71 = c00, c72 = c00;
        for (int q = 0; q < kc; q++) {
            int a = px + taps[tap0 + q], b = bO + q * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + V), b2 = FloatVector.fromArray(S, bp, b + 2 * V);
            FloatVector x;
            x = FloatVector.broadcast(S, in[a]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, in[a + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, in[a + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, in[a + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, in[a + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(S, in[a + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52);
            x = FloatVector.broadcast(S, in[a + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61); c62 = x.fma(b2, c62);
            x = FloatVector.broadcast(S, in[a + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71); c72 = x.fma(b2, c72);
        }
        if (acc) {
            int o = tO;
            c00 = c00.add(FloatVector.fromArray(S, t, o)); c01 = c01.add(FloatVector.fromArray(S, t, o + V)); c02 = c02.add(FloatVector.fromArray(S, t, o + 2 * V)); o += NR;
            c10 = c10.add(FloatVector.fromArray(S, t, o)); c11 = c11.add(FloatVector.fromArray(S, t, o + V)); c12 = c12.add(FloatVector.fromArray(S, t, o + 2 * V)); o += NR;
            c20 = c20.add(FloatVector.fromArray(S, t, o)); c21 = c21.add(FloatVector.fromArray(S, t, o + V)); c22 = c22.add(FloatVector.fromArray(S, t, o + 2 * V)); o += NR;
            c30 = c30.add(FloatVector.fromArray(S, t, o)); c31 = c31.add(FloatVector.fromArray(S, t, o + V)); c32 = c32.add(FloatVector.fromArray(S, t, o + 2 * V)); o += NR;
            c40 = c40.add(FloatVector.fromArray(S, t, o)); c41 = c41.add(FloatVector.fromArray(S, t, o + V)); c42 = c42.add(FloatVector.fromArray(S, t, o + 2 * V)); o += NR;
            c50 = c50.add(FloatVector.fromArray(S, t, o)); c51 = c51.add(FloatVector.fromArray(S, t, o + V)); c52 = c52.add(FloatVector.fromArray(S, t, o + 2 * V)); o += NR;
            c60 = c60.add(FloatVector.fromArray(S, t, o)); c61 = c61.add(FloatVector.fromArray(S, t, o + V)); c62 = c62.add(FloatVector.fromArray(S, t, o + 2 * V)); o += NR;
            c70 = c70.add(FloatVector.fromArray(S, t, o)); c71 = c71.add(FloatVector.fromArray(S, t, o + V)); c72 = c72.add(FloatVector.fromArray(S, t, o + 2 * V));
        }
        int o = tO;
        c00.intoArray(t, o); c01.intoArray(t, o + V); c02.intoArray(t, o + 2 * V); o += NR;
        c10.intoArray(t, o); c11.intoArray(t, o + V); c12.intoArray(t, o + 2 * V); o += NR;
        c20.intoArray(t, o); c21.intoArray(t, o + V); c22.intoArray(t, o + 2 * V); o += NR;
        c30.intoArray(t, o); c31.intoArray(t, o + V); c32.intoArray(t, o + 2 * V); o += NR;
        c40.intoArray(t, o); c41.intoArray(t, o + V); c42.intoArray(t, o + 2 * V); o += NR;
        c50.intoArray(t, o); c51.intoArray(t, o + V); c52.intoArray(t, o + 2 * V); o += NR;
        c60.intoArray(t, o); c61.intoArray(t, o + V); c62.intoArray(t, o + 2 * V); o += NR;
        c70.intoArray(t, o); c71.intoArray(t, o + V); c72.intoArray(t, o + 2 * V);
    }

    /** As {@link #k3} for a panel of at most 32 channels. */
    private static void k2(float[] in, int px, int[] taps, int tap0, int kc, float[] bp, int bO, float[] t, int tO, boolean acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
                c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int q = 0; q < kc; q++) {
            int a = px + taps[tap0 + q], b = bO + q * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + V);
            FloatVector x;
            x = FloatVector.broadcast(S, in[a]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, in[a + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, in[a + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, in[a + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, in[a + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, in[a + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, in[a + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, in[a + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        if (acc) {
            int o = tO;
            c00 = c00.add(FloatVector.fromArray(S, t, o)); c01 = c01.add(FloatVector.fromArray(S, t, o + V)); o += NR;
            c10 = c10.add(FloatVector.fromArray(S, t, o)); c11 = c11.add(FloatVector.fromArray(S, t, o + V)); o += NR;
            c20 = c20.add(FloatVector.fromArray(S, t, o)); c21 = c21.add(FloatVector.fromArray(S, t, o + V)); o += NR;
            c30 = c30.add(FloatVector.fromArray(S, t, o)); c31 = c31.add(FloatVector.fromArray(S, t, o + V)); o += NR;
            c40 = c40.add(FloatVector.fromArray(S, t, o)); c41 = c41.add(FloatVector.fromArray(S, t, o + V)); o += NR;
            c50 = c50.add(FloatVector.fromArray(S, t, o)); c51 = c51.add(FloatVector.fromArray(S, t, o + V)); o += NR;
            c60 = c60.add(FloatVector.fromArray(S, t, o)); c61 = c61.add(FloatVector.fromArray(S, t, o + V)); o += NR;
            c70 = c70.add(FloatVector.fromArray(S, t, o)); c71 = c71.add(FloatVector.fromArray(S, t, o + V));
        }
        int o = tO;
        c00.intoArray(t, o); c01.intoArray(t, o + V); o += NR;
        c10.intoArray(t, o); c11.intoArray(t, o + V); o += NR;
        c20.intoArray(t, o); c21.intoArray(t, o + V); o += NR;
        c30.intoArray(t, o); c31.intoArray(t, o + V); o += NR;
        c40.intoArray(t, o); c41.intoArray(t, o + V); o += NR;
        c50.intoArray(t, o); c51.intoArray(t, o + V); o += NR;
        c60.intoArray(t, o); c61.intoArray(t, o + V); o += NR;
        c70.intoArray(t, o); c71.intoArray(t, o + V);
    }

    /** As {@link #k3} for a panel of at most 16 channels. */
    private static void k1(float[] in, int px, int[] taps, int tap0, int kc, float[] bp, int bO, float[] t, int tO, boolean acc) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int q = 0; q < kc; q++) {
            int a = px + taps[tap0 + q];
            FloatVector b0 = FloatVector.fromArray(S, bp, bO + q * NR);
            c0 = FloatVector.broadcast(S, in[a]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, in[a + 1]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, in[a + 2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, in[a + 3]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, in[a + 4]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, in[a + 5]).fma(b0, c5);
            c6 = FloatVector.broadcast(S, in[a + 6]).fma(b0, c6);
            c7 = FloatVector.broadcast(S, in[a + 7]).fma(b0, c7);
        }
        if (acc) {
            c0 = c0.add(FloatVector.fromArray(S, t, tO)); c1 = c1.add(FloatVector.fromArray(S, t, tO + NR));
            c2 = c2.add(FloatVector.fromArray(S, t, tO + 2 * NR)); c3 = c3.add(FloatVector.fromArray(S, t, tO + 3 * NR));
            c4 = c4.add(FloatVector.fromArray(S, t, tO + 4 * NR)); c5 = c5.add(FloatVector.fromArray(S, t, tO + 5 * NR));
            c6 = c6.add(FloatVector.fromArray(S, t, tO + 6 * NR)); c7 = c7.add(FloatVector.fromArray(S, t, tO + 7 * NR));
        }
        c0.intoArray(t, tO); c1.intoArray(t, tO + NR); c2.intoArray(t, tO + 2 * NR); c3.intoArray(t, tO + 3 * NR);
        c4.intoArray(t, tO + 4 * NR); c5.intoArray(t, tO + 5 * NR); c6.intoArray(t, tO + 6 * NR); c7.intoArray(t, tO + 7 * NR);
    }
}
