package dev.mithril.runtime;

import java.util.concurrent.atomic.AtomicInteger;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The input gradient of a strided convolution (undilated) as {@link ConvShift} forward passes, one per phase of the
 * input: input row {@code iy} with {@code iy + padH = strideH * m + ry} receives the output gradient's rows
 * {@code m - q} through the kernel rows {@code ky = ry + strideH * q}, so each phase {@code (ry, rx)} of the input
 * gradient is a stride-1 convolution of the output gradient with the sub-kernel of those taps (flipped, input and
 * output channels swapped, padded by its own size minus one). Each phase's results are written into every
 * {@code strideH}-th row and {@code strideW}-th column of the input gradient; the positions no tap reaches are zero.
 * Batches only: each thread takes whole images, and runs all phases of an image.
 */
final class ConvShiftStrided {
    private static final VectorSpecies<Float> S = GemmKernel.S;
    private static final int V = GemmKernel.V, NR = GemmKernel.NR, MR = 8;
    /** The calling thread's packed sub-kernels, per phase and group, kept between calls. */
    private static final ThreadLocal<float[][][]> WEIGHTS = ThreadLocal.withInitial(() -> new float[0][][]);

    private ConvShiftStrided() {}

    /**
     * Whether {@code g}'s input gradient should run here: a stride above 1 without dilation, on a batch with an image
     * for every thread, at least 16 input channels (the phases' output channels: the stem's 3 would use 3 of each
     * vector's 16 lanes) and an output gradient at least 14 wide. Measured at batch 32 against {@link ConvGemm}'s
     * im2col and col2im: 1.09x and 1.17x less time on ResNet-18's stride-2 3x3 layers with 28x28 and 14x14 outputs,
     * 0.88x with 7x7 ones, 0.30x on the stem.
     */
    static boolean pays(ConvGeometry g) {
        if (g.strideH() == 1 && g.strideW() == 1 || g.dilationH() != 1 || g.dilationW() != 1) return false;
        if (GemmKernel.MR != MR || !ConvShift.batched(g) || g.cg() < 16 || g.ow() < 14) return false;
        int qx = taps(g.kw(), g.strideW(), g.strideW() - 1);
        return qx > 0 && g.og() * taps(g.kh(), g.strideH(), g.strideH() - 1) * qx >= 16;
    }

    /** Kernel taps {@code k = r + stride * q < size}: how many q there are. */
    private static int taps(int size, int stride, int r) { return r >= size ? 0 : (size - r + stride - 1) / stride; }

    /** The stride-1 convolution over the output gradient whose forward pass is phase {@code (ry, rx)}; null when no tap reaches it. */
    private static ConvGeometry phase(ConvGeometry g, int ry, int rx) {
        int qy = taps(g.kh(), g.strideH(), ry), qx = taps(g.kw(), g.strideW(), rx);
        if (qy == 0 || qx == 0) return null;
        return ConvGeometry.of("Conv2d input gradient", new int[] {g.n(), g.o(), g.oh(), g.ow()}, new int[] {g.c(), g.og(), qy, qx},
                1, 1, qy - 1, qx - 1, 1, 1, g.groups());
    }

    /** {@code gx = conv2d's input gradient} for a geometry {@link #pays} accepts; {@code gx} is overwritten. */
    static void backwardInput(ConvGeometry g, float[] gradOut, float[] w, float[] gx) {
        int sh = g.strideH(), sw = g.strideW(), phases = sh * sw;
        float[][][] weights = weights(phases, g.groups());
        ConvGeometry[] geometries = new ConvGeometry[phases];
        for (int ry = 0; ry < sh; ry++) {
            for (int rx = 0; rx < sw; rx++) {
                int ph = ry * sw + rx;
                ConvGeometry t = geometries[ph] = phase(g, ry, rx);
                if (t == null) continue;
                for (int gi = 0; gi < g.groups(); gi++) {
                    int size = ConvRows.packedSize(t);
                    if (weights[ph][gi] == null || weights[ph][gi].length < size) weights[ph][gi] = new float[size];
                    ConvShift.packFlipped(g, t.kh(), t.kw(), ry, rx, w, gi, weights[ph][gi]);
                }
            }
        }
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(Parallel.threads(), 1, (from, to) -> {
            for (int n; (n = next.getAndIncrement()) < g.n(); ) {
                for (int ry = 0; ry < sh; ry++) {
                    for (int rx = 0; rx < sw; rx++) image(g, geometries[ry * sw + rx], weights[ry * sw + rx], gradOut, n, ry, rx, gx);
                }
            }
        });
    }

    private static float[][][] weights(int phases, int groups) {
        float[][][] w = WEIGHTS.get();
        if (w.length < phases || w[0].length < groups) {
            w = new float[phases][groups][];
            WEIGHTS.set(w);
        }
        return w;
    }

    /** Phase {@code (ry, rx)} of image {@code n}'s input gradient: its forward pass, then its rows and columns of gx. */
    private static void image(ConvGeometry g, ConvGeometry t, float[][] packed, float[] gradOut, int n, int ry, int rx, float[] gx) {
        if (t == null) {
            store(g, null, null, null, n, 0, g.c(), ry, rx, gx);
            return;
        }
        ConvShift.Layout l = ConvShift.Layout.of(t);
        float[] in = ConvShift.scratch(0, l.size()), tmp = ConvShift.scratch(1, ConvShift.resultSize(t, l));
        ConvShift.phases(t, l, gradOut, n, in, 0, t.c());
        int panels = GemmPacking.panels(t.og(), NR);
        for (int gi = 0; gi < t.groups(); gi++) {
            for (int j = 0; j < panels; j++) {
                ConvShift.computePanel(t, l, in, packed[gi], gi, j, tmp, 0, l.tiles());
                int c0 = gi * t.og() + j * NR;
                store(g, t, l, tmp, n, c0, Math.min(c0 + NR, (gi + 1) * t.og()), ry, rx, gx);
            }
        }
    }

    /**
     * Input channels {@code [c0, c1)} of image {@code n}: gx at rows {@code sh m + ry - padH} and columns
     * {@code sw x + rx - padW} takes the phase's result at {@code (m, x)} (pixels by channels in {@code tmp}, as
     * {@link ConvShift#computePanel} leaves them), or zero where the phase has no result ({@code t == null}, or past
     * its output's rows or columns).
     */
    private static void store(ConvGeometry g, ConvGeometry t, ConvShift.Layout l, float[] tmp, int n, int c0, int c1, int ry, int rx,
                              float[] gx) {
        int sh = g.strideH(), sw = g.strideW(), h = g.h(), w = g.w();
        int mLo = Math.max(0, Math.floorDiv(g.padH() - ry + sh - 1, sh)), mHi = Math.floorDiv(h - 1 + g.padH() - ry, sh) + 1;
        int xLo = Math.max(0, Math.floorDiv(g.padW() - rx + sw - 1, sw)), xHi = Math.floorDiv(w - 1 + g.padW() - rx, sw) + 1;
        int rows = t == null ? 0 : t.oh(), cols = t == null ? 0 : t.ow(), xEnd = Math.min(xHi, cols);
        int[] from = ConvShift.panelIndex(), to = GemmPacking.gatherRows(sw);
        int panels = t == null ? 0 : GemmPacking.panels(t.og(), NR);
        for (int c = c0; c < c1; c++) {
            int plane = (n * g.c() + c) * h * w;
            int base = t == null ? 0 : ((c / t.og() * panels + c % t.og() / NR) * l.tiles()) * MR * NR + c % t.og() % NR;
            for (int m = mLo; m < mHi; m++) {
                int dst = plane + (sh * m + ry - g.padH()) * w + rx - g.padW(), x = xLo;
                if (m < rows) {
                    int src = base + m * l.wph() * NR;
                    for (; x + V <= xEnd; x += V) FloatVector.fromArray(S, tmp, src + x * NR, from, 0).intoArray(gx, dst + sw * x, to, 0);
                    for (; x < xEnd; x++) gx[dst + sw * x] = tmp[src + x * NR];
                }
                for (; x < xHi; x++) gx[dst + sw * x] = 0f;
            }
        }
    }
}
