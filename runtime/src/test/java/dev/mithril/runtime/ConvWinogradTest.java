package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mithril.runtime.ConvRef.Conv;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ConvWinograd} (F(2x2, 3x3)) against the plain reference, on shapes chosen to hit its edges: odd output sides
 * (a tile's second row or column thrown away), planes whose tile count is not a multiple of the 8-tile sliver, chunks
 * of tile rows that start and end inside an image and span several, padding 0 to 2 (border tiles read through masked
 * gathers), channel counts that leave one- and two-vector panels and several k blocks, 1 to 3 threads.
 */
class ConvWinogradTest {
    private static final int THREADS_BEFORE = Parallel.threads();

    @BeforeAll static void needsTheWideTile() {
        assumeTrue(ConvWinograd.fits(ConvGeometry.of("test", new int[] {1, 1, 3, 3}, new int[] {1, 1, 3, 3}, 1, 1, 0, 0, 1, 1, 1)),
                "ConvWinograd needs 8-lane vectors and the 8-row GEMM tile (AVX-512 or a 32-register machine)");
    }

    @AfterAll static void restoreThreads() { Parallel.setThreads(THREADS_BEFORE); }

    /** n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups */
    private static final List<Conv> CASES = List.of(
            new Conv(1, 1, 3, 3, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1),          // one output pixel: one tile, three of its outputs dropped
            new Conv(2, 7, 13, 11, 53, 3, 3, 1, 1, 1, 1, 1, 1, 1),       // primes: odd sides, a 5-channel tail panel
            new Conv(3, 16, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1),        // ResNet's 7x7 plane: 16 tiles an image, 64 = 48 + 16
            new Conv(5, 5, 9, 6, 20, 3, 3, 1, 1, 0, 2, 1, 1, 1),         // padding 0 and 2: 7x8 outputs
            new Conv(2, 3, 60, 26, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1),       // 13 tiles a row: chunks end inside an image
            new Conv(1, 300, 6, 5, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1),       // 300 input channels: three k blocks
            new Conv(7, 2, 4, 5, 3, 3, 3, 1, 1, 2, 1, 1, 1, 1),          // seven tiny images: chunks span several
            new Conv(2, 9, 2, 2, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),          // a 2x2 input: every patch position of the tile padded or inside
            new Conv(1, 5, 40, 40, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1));      // one 40x40 image: on 3 threads, all threads on each of 4 chunks

    @Test void forwardMatchesReferenceOnEveryShapeAndThreadCount() {
        ConvRef.checkForward(CASES, 12_000, (g, x, w, prepacked, bias, res, act, out) -> {
            float[] u = null;
            if (prepacked) {
                u = new float[ConvWinograd.packedSize(g.c(), g.o())];
                ConvWinograd.pack(g.c(), g.o(), w, false, u);
            }
            ConvWinograd.forward(g, x, w, u, bias, res, act, out);
        });
    }

    /** The input gradient (the forward pass of the flipped, transposed weight), gx NaN-filled first. */
    @Test void backwardInputMatchesReference() {
        ConvRef.checkInputGradient(CASES.stream().filter(p -> p.ph() <= 2 && p.pw() <= 2).toList(), 13_000, ConvWinograd::backwardInput);
    }

    /** The weight gradient (the transforms run backwards), on every case and thread count; gw is overwritten, twice. */
    @Test void backwardWeightMatchesReference() {
        long seed = 14_000;
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            for (Conv p : CASES) {
                ConvGeometry g = p.geometry();
                Tensor x = Tensor.random(seed++, p.x()), w = Tensor.random(seed++, p.wt()), gy = Tensor.random(seed++, p.out());
                double[] expected = ConvRef.backward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), ConvRef.toDouble(gy.data()))[1];
                float[] gw = new float[expected.length];
                for (int call = 0; call < 2; call++) { // the second call must not add to the first one's accumulators
                    java.util.Arrays.fill(gw, Float.NaN);
                    ConvWinograd.backwardWeight(g, gy.data(), x.data(), gw);
                    ConvRef.assertClose(expected, gw, 1e-5, "threads " + threads + " call " + call + " " + p);
                }
            }
        }
    }

    /**
     * A weight whose accumulator passes 8 MiB (512 input channels, 500 outputs: 17 MiB) is summed into one accumulator
     * shared by the threads, split by position; on one thread it takes the per-thread form. Both against the reference,
     * on odd 5x3 planes (a thrown-away tile row and column) of three images.
     */
    @Test void weightGradientWithASharedAccumulator() {
        Conv p = new Conv(3, 512, 5, 3, 500, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Tensor x = Tensor.random(15_001, p.x()), w = Tensor.random(15_002, p.wt()), gy = Tensor.random(15_003, p.out());
        double[] expected = ConvRef.backward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), ConvRef.toDouble(gy.data()))[1];
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            float[] gw = new float[expected.length];
            java.util.Arrays.fill(gw, Float.NaN);
            ConvWinograd.backwardWeight(p.geometry(), gy.data(), x.data(), gw);
            ConvRef.assertClose(expected, gw, 1e-5, "threads " + threads);
        }
    }

    /**
     * A NaN or an infinity in the input reaches exactly the outputs whose 3x3 window covers it, as in the direct sum:
     * the transforms only add and subtract patch values, and a tile's output reads only the transformed positions its
     * window feeds (a value at the patch's last row or column never reaches the tile's first output). Every other output
     * matches the reference. (An infinity comes out as NaN in most of the covered outputs, where the direct sum gives
     * +-infinity: the transforms subtract it from itself.)
     */
    @Test void aNonFiniteInputReachesOnlyTheOutputsWhoseWindowCoversIt() {
        Parallel.setThreads(2);
        Conv p = new Conv(2, 64, 9, 10, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Tensor x = Tensor.random(16_001, p.x()), w = Tensor.random(16_002, p.wt());
            int iy = 4, ix = 5, channel = 7, image = 1; // rows 3-5 and columns 4-6 of image 1's output see it
            x.data()[((image * p.c() + channel) * p.h() + iy) * p.w() + ix] = bad;
            double[] expected = ConvRef.forward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), null);
            float[] out = new float[expected.length];
            ConvWinograd.forward(p.geometry(), x.data(), w.data(), null, null, null, Epilogue.NONE, out);
            double max = 1;
            for (double e : expected) if (Double.isFinite(e)) max = Math.max(max, Math.abs(e));
            for (int n = 0; n < p.n(); n++) {
                for (int o = 0; o < p.o(); o++) {
                    for (int y = 0; y < p.oh(); y++) {
                        for (int xx = 0; xx < p.ow(); xx++) {
                            int i = ((n * p.o() + o) * p.oh() + y) * p.ow() + xx;
                            String at = bad + " input, output " + n + "," + o + "," + y + "," + xx;
                            if (n == image && Math.abs(y - iy) <= 1 && Math.abs(xx - ix) <= 1) {
                                assertFalse(Float.isFinite(out[i]), at + " must not be finite: " + out[i]);
                            } else {
                                assertTrue(Math.abs(out[i] - expected[i]) <= 1e-5 * max, at + ": " + out[i] + " against " + expected[i]);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Values of a realistic size (a ResNet layer's input and He-initialised weight): the transforms' rounding stays at float's. */
    @Test void roundingStaysAtTheDirectSumsOnALayerSizedProduct() {
        Parallel.setThreads(2);
        Conv p = new Conv(2, 128, 14, 14, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Tensor x = Tensor.random(77, p.x()), w = Tensor.random(78, p.wt());
        double[] expected = ConvRef.forward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), null);
        float[] out = new float[expected.length];
        ConvWinograd.forward(p.geometry(), x.data(), w.data(), null, null, null, Epilogue.NONE, out);
        // 1152 products per output of values in [-1, 1): the direct sum in float rounds to about 1e-6 of the largest output
        ConvRef.assertClose(expected, out, 2e-6, p.toString());
    }

    /** Conv2d routes ResNet's stride-1 3x3 layers here on batches, and not where the form does not apply. */
    @Test void choosesThisFormOnlyWhereItApplies() {
        Parallel.setThreads(2);
        assertTrue(ConvWinograd.pays(new Conv(32, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1).geometry()));
        assertTrue(ConvWinograd.paysBackwardInput(new Conv(32, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1).geometry()));
        assertFalse(ConvWinograd.pays(new Conv(32, 128, 28, 28, 256, 3, 3, 2, 2, 1, 1, 1, 1, 1).geometry()), "stride 2");
        assertFalse(ConvWinograd.pays(new Conv(32, 128, 28, 28, 128, 3, 3, 1, 1, 2, 2, 2, 2, 1).geometry()), "dilation 2");
        assertFalse(ConvWinograd.pays(new Conv(32, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1, 1, 1, 2).geometry()), "groups");
        assertFalse(ConvWinograd.pays(new Conv(32, 128, 28, 28, 128, 5, 5, 1, 1, 2, 2, 1, 1, 1).geometry()), "5x5");
        assertFalse(ConvWinograd.pays(new Conv(1, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1).geometry()), "one image on two threads");
        assertTrue(ConvWinograd.paysPrepacked(new Conv(1, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1).geometry()), "one image, pre-packed");
        assertFalse(ConvWinograd.paysPrepacked(new Conv(1, 32, 14, 14, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1).geometry()), "32 input channels");
    }

    /** Through the public API: a batched forward and both gradients land here and agree with the reference. */
    @Test void conv2dRoutesBatchedLayersHere() {
        Parallel.setThreads(2);
        Conv p = new Conv(2, 64, 9, 9, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Tensor x = Tensor.random(81, p.x()), w = Tensor.random(82, p.wt()), gy = Tensor.random(83, p.out());
        assertTrue(ConvWinograd.pays(p.geometry()) && ConvWinograd.paysBackwardInput(p.geometry()));
        Tensor y = Conv2d.conv2d(x, w, null, 1, 1, 1, 1, 1, 1, 1);
        ConvRef.assertClose(ConvRef.forward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), null), y.data(), 1e-5, "forward");
        PackedConv2d pw = Conv2d.prepack(w, 1);
        Tensor yp = Conv2d.conv2d(x, pw, null, 1, 1, 1, 1, 1, 1, null, Epilogue.NONE);
        ConvRef.assertClose(ConvRef.forward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), null), yp.data(), 1e-5, "pre-packed");
        // one image of it, pre-packed: the same form, all threads on each chunk; bias, residual and ReLU fused
        Conv one = new Conv(1, 64, 9, 9, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Tensor x1 = Tensor.random(84, one.x()), b1 = Tensor.random(85, one.o()), r1 = Tensor.random(86, one.out());
        assertTrue(ConvWinograd.paysPrepacked(one.geometry()) && !ConvWinograd.pays(one.geometry()));
        Tensor y1 = Conv2d.conv2d(x1, pw, b1, 1, 1, 1, 1, 1, 1, r1, Epilogue.RELU);
        double[] e1 = ConvRef.forward(one, ConvRef.toDouble(x1.data()), ConvRef.toDouble(w.data()), ConvRef.toDouble(b1.data()));
        for (int i = 0; i < e1.length; i++) e1[i] = Math.max(0, e1[i] + r1.data()[i]);
        ConvRef.assertClose(e1, y1.data(), 1e-5, "one image, pre-packed");
        Tensor gx = Conv2d.conv2dBackwardInput(gy, w, p.x(), 1, 1, 1, 1, 1, 1, 1);
        double[] expected = ConvRef.backward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), ConvRef.toDouble(gy.data()))[0];
        ConvRef.assertClose(expected, gx.data(), 1e-5, "input gradient");
        assertTrue(ConvWinograd.paysBackwardWeight(p.geometry()));
        Tensor gw = Conv2d.conv2dBackwardWeight(gy, x, p.wt(), 1, 1, 1, 1, 1, 1, 1);
        double[] expectedW = ConvRef.backward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), ConvRef.toDouble(gy.data()))[1];
        ConvRef.assertClose(expectedW, gw.data(), 1e-5, "weight gradient");
    }
}
