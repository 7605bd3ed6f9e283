package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import dev.mithril.runtime.ConvRef.Conv;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The paths of {@link ConvGemm} that skip the im2col matrix ({@link ConvPanels}) and that run whole chunks of images in
 * parallel: the packed panels equal im2col then the GEMM's own packing, element for element, and the convolution
 * and its gradients match the plain reference on 1, 2 and 3 threads (one image of many panels: blocks of columns
 * claimed by the threads).
 */
class ConvPanelsTest {
    /** n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups; every one has at least 8 output channels per group. */
    private static final List<Conv> CASES = List.of(
            new Conv(1, 3, 61, 53, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),        // rows wider than a panel, panels straddling rows
            new Conv(3, 5, 11, 13, 9, 3, 2, 2, 1, 1, 0, 1, 2, 1),        // stride, dilation, panels straddling images
            new Conv(5, 3, 23, 29, 17, 7, 7, 2, 2, 3, 3, 1, 1, 1),       // stem-like: 7x7 stride 2, 147 taps (a partial panel)
            new Conv(4, 6, 19, 17, 20, 5, 3, 1, 2, 4, 2, 2, 1, 2),       // groups, rows dilated, padding 4 and 2
            new Conv(7, 17, 9, 9, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1),        // 153 taps, odd batch: chunks shared unevenly
            new Conv(2, 2, 5, 5, 8, 3, 3, 1, 1, 3, 3, 1, 1, 1),          // padding larger than needed: border columns see only zeros
            new Conv(6, 64, 8, 8, 16, 1, 1, 2, 2, 0, 0, 1, 1, 1),        // 1x1 stride 2
            new Conv(3, 4, 40, 3, 10, 1, 3, 3, 1, 0, 1, 1, 1, 1),        // output rows of 3 columns, 16 rows per panel
            // Tap counts that fill whole panels, or nearly: the weight gradient packs them as the GEMM's columns.
            new Conv(3, 16, 13, 11, 8, 3, 3, 2, 1, 1, 2, 1, 2, 1),       // 144 taps, stride, padding and dilation mixed
            new Conv(5, 48, 6, 7, 9, 1, 1, 2, 2, 0, 0, 1, 1, 1),         // 48 taps, 1x1 stride 2
            new Conv(2, 10, 12, 12, 16, 5, 5, 1, 1, 2, 2, 1, 1, 1),      // 250 taps: the last panel partial
            new Conv(2, 64, 23, 25, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),       // 576 taps: columns packed in L2-sized blocks
            new Conv(1, 115, 9, 11, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1));      // 1035 taps, 99 pixels: the input gradient's product transposed

    private static int threadsBefore;

    @BeforeAll static void saveThreads() { threadsBefore = Parallel.threads(); }

    @AfterAll static void restoreThreads() { Parallel.setThreads(threadsBefore); }

    @Test void panelsEqualIm2colThenPacking() {
        long seed = 1;
        for (Conv p : CASES) {
            ConvGeometry g = p.geometry();
            float[] x = Tensor.random(seed++, p.x()).data();
            for (int n0 = 0; n0 < p.n(); n0 += 2) {
                int b = Math.min(2, p.n() - n0), ld = b * g.ohw();
                for (int gi = 0; gi < p.groups(); gi++) {
                    float[] col = new float[g.kk() * ld];
                    Im2col.im2col(g, x, n0, b, gi, col);
                    float[] expected = new float[ConvPanels.size(g, b)], actual = new float[expected.length];
                    GemmPacking.packB(false, g.kk(), ld, col, 0, ld, expected);
                    Arrays.fill(actual, Float.NaN); // every element must be written, padding included
                    ConvPanels.pack(g, x, n0, b, gi, actual);
                    assertArrayEquals(expected, actual, "panels " + p + " images " + n0 + "+" + b + " group " + gi);

                    float[] expectedT = new float[ConvPanels.sizeTransposed(g, b)], actualT = new float[expectedT.length];
                    GemmPacking.packB(true, ld, g.kk(), col, 0, ld, expectedT);
                    Arrays.fill(actualT, Float.NaN);
                    ConvPanels.packTransposed(g, x, n0, b, gi, actualT);
                    assertArrayEquals(expectedT, actualT, "transposed panels " + p + " images " + n0 + "+" + b + " group " + gi);

                    // A block of panels alone.
                    int panels = GemmPacking.panels(ld, GemmKernel.NR), j0 = panels / 3, j1 = Math.max(j0 + 1, panels - 1);
                    int cols = Math.min(ld, j1 * GemmKernel.NR) - j0 * GemmKernel.NR;
                    float[] block = new float[GemmPacking.packedSize(g.kk(), cols, GemmKernel.NR)], blockExpected = block.clone();
                    GemmPacking.packB(false, g.kk(), cols, col, j0 * GemmKernel.NR, ld, blockExpected);
                    Arrays.fill(block, Float.NaN);
                    ConvPanels.pack(g, x, n0, b, gi, j0, j1, block);
                    assertArrayEquals(blockExpected, block, "panels " + j0 + ".." + j1 + " of " + p);
                }
            }
        }
    }

    @Test void convolutionAndGradientsMatchReferenceOnOneTwoAndThreeThreads() {
        for (int threads = 1; threads <= 3; threads++) {
            Parallel.setThreads(threads);
            long seed = 100;
            for (Conv p : CASES) {
                String what = p + " on " + threads + " threads";
                Tensor x = Tensor.random(seed++, p.x()), w = Tensor.random(seed++, p.wt()), b = Tensor.random(seed++, p.o());
                Tensor gy = Tensor.random(seed++, p.out());
                double[] xd = ConvRef.toDouble(x.data()), wd = ConvRef.toDouble(w.data());
                double[] y = ConvRef.forward(p, xd, wd, ConvRef.toDouble(b.data()));
                double[][] grads = ConvRef.backward(p, xd, wd, ConvRef.toDouble(gy.data()));

                Tensor out = Tensor.zeros(p.out()), gx = Tensor.zeros(p.x()), gw = Tensor.zeros(p.wt());
                Arrays.fill(out.data(), Float.NaN);
                Arrays.fill(gx.data(), Float.NaN);
                Arrays.fill(gw.data(), Float.NaN); // the gradients overwrite, whichever thread's partial sum lands first
                Conv2d.conv2dInto(x, w, b, p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups(), Conv2d.Algorithm.IM2COL_GEMM, out);
                Conv2d.conv2dBackwardInputInto(gy, w, p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups(),
                        Conv2d.Algorithm.IM2COL_GEMM, gx);
                Conv2d.conv2dBackwardWeightInto(gy, x, p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), p.groups(),
                        Conv2d.Algorithm.IM2COL_GEMM, gw);
                ConvRef.assertClose(y, out.data(), 1e-5, "forward " + what);
                ConvRef.assertClose(grads[0], gx.data(), 1e-5, "grad input " + what);
                ConvRef.assertClose(grads[1], gw.data(), 1e-5, "grad weight " + what);
            }
        }
    }

    @Test void imagesRunInParallelChunksOnlyWhenEveryThreadGetsOne() {
        int f = ConvGemm.FORWARD_COLUMNS, gw = ConvGemm.WEIGHT_GRAD_COLUMNS;
        Parallel.setThreads(2);
        ConvGeometry big = new Conv(32, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1).geometry();
        assertEquals(1, ConvGemm.parallelChunk(big, f), "one 56x56 image per chunk");
        ConvGeometry small = new Conv(32, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1).geometry();
        assertEquals(16, ConvGemm.parallelChunk(small, f), "7x7 planes: two chunks of 16");
        assertEquals(6, ConvGemm.parallelChunk(small, gw), "weight gradient, 7 planes per chunk: 5 chunks, rounded up to 6 of 6 images");
        assertEquals(0, ConvGemm.parallelChunk(new Conv(1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1).geometry(), f), "batch 1");
        Parallel.setThreads(1);
        assertEquals(0, ConvGemm.parallelChunk(big, f), "one thread");
    }
}
