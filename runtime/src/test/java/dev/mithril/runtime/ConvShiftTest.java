package dev.mithril.runtime;

import dev.mithril.runtime.ConvRef.Conv;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ConvShift} (the input read in place from zero-padded phase planes) against the plain reference, on shapes
 * chosen to hit its edges: strides 1 to 3 (one to nine phase planes per channel), padding, dilation, groups, channel
 * counts that leave one- and two-vector panels, planes whose pixel count is not a multiple of the 8-pixel tile, k
 * blocks, and batches below and above the thread count (images split over threads, or one image's tiles split).
 */
class ConvShiftTest {
    private static final int THREADS_BEFORE = Parallel.threads();

    @AfterAll static void restoreThreads() { Parallel.setThreads(THREADS_BEFORE); }

    /** n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups */
    private static final List<Conv> CASES = List.of(
            new Conv(1, 3, 8, 8, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1),          // smallest plane it takes, 5 channels (one vector, masked by zeros)
            new Conv(2, 7, 13, 11, 53, 3, 3, 1, 1, 1, 1, 1, 1, 1),       // primes: one full panel and a 5-channel tail, 143 pixels
            new Conv(3, 4, 15, 17, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1),       // stride 2: four phase planes, 64 = 48 + 16
            new Conv(2, 5, 19, 23, 32, 5, 5, 3, 2, 2, 1, 1, 1, 1),       // strides 3 and 2, 5x5, a two-vector panel
            new Conv(1, 6, 12, 14, 17, 3, 3, 1, 1, 2, 2, 2, 2, 1),       // dilation 2 with padding 2
            new Conv(2, 6, 10, 12, 20, 3, 3, 1, 1, 1, 1, 1, 1, 2),       // two groups of 3 in, 10 out
            new Conv(1, 160, 9, 10, 100, 3, 3, 1, 1, 1, 1, 1, 1, 1),     // 1440 taps: 12 k blocks, 100 = 48 + 48 + 4
            new Conv(5, 3, 30, 31, 9, 7, 7, 2, 2, 3, 3, 1, 1, 1),        // a stem: 7x7 stride 2 on 3 channels, five images
            new Conv(1, 2, 9, 8, 3, 3, 3, 1, 1, 3, 3, 1, 1, 1),          // padding larger than needed
            new Conv(2, 3, 7, 9, 6, 3, 3, 1, 1, 1, 4, 1, 1, 1),          // wider output than input: 6 more columns (pad 4 on each side)
            new Conv(4, 8, 11, 9, 48, 3, 2, 1, 1, 0, 1, 1, 1, 1),        // no vertical padding, a 3x2 kernel, exactly one panel
            new Conv(3, 20, 12, 10, 30, 1, 3, 2, 2, 0, 1, 1, 1, 1),      // a 1x3 kernel at stride 2: two of the four phase planes read
            new Conv(2, 24, 14, 15, 20, 1, 1, 2, 2, 0, 0, 1, 1, 1),      // 1x1 at stride 2 (a downsample): one phase plane read
            new Conv(2, 5, 9, 45, 20, 3, 3, 2, 2, 1, 1, 1, 1, 1),        // stride 2 on 45 columns: rows split in 16-column steps, a tail of 13
            new Conv(1, 4, 7, 64, 10, 3, 3, 2, 2, 0, 2, 1, 1, 1),        // 64 columns in whole steps; padding 2 on the columns only
            new Conv(2, 24, 5, 67, 12, 1, 1, 2, 2, 0, 0, 1, 1, 1));      // 1x1 stride 2 on 67 columns: gathers up to the array's end

    @Test void forwardMatchesReferenceOnEveryShapeAndThreadCount() {
        ConvRef.checkForward(CASES, 7000, (g, x, w, prepacked, bias, res, act, out) -> {
            float[][] packed = null;
            if (prepacked) {
                packed = new float[g.groups()][];
                for (int gi = 0; gi < g.groups(); gi++) {
                    packed[gi] = new float[ConvRows.packedSize(g)];
                    ConvRows.packWeight(g, w, gi, packed[gi]);
                }
            }
            ConvShift.forward(g, x, w, packed, bias, res, act, out);
        });
    }

    /**
     * The input gradient at stride 1 as the forward convolution of the output gradient with the flipped, transposed
     * weight, against the reference's product rule; gx is overwritten (NaN-filled first).
     */
    @Test void backwardInputMatchesReference() {
        List<Conv> cases = List.of(
                new Conv(2, 7, 13, 11, 53, 3, 3, 1, 1, 1, 1, 1, 1, 1),   // 53 input channels of the transposed product: a tail panel
                new Conv(3, 64, 9, 8, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1),    // 64 = 48 + 16 output channels of it
                new Conv(1, 6, 12, 14, 17, 3, 3, 1, 1, 2, 2, 2, 2, 1),   // dilation 2: padding 2 of a reach of 4
                new Conv(2, 6, 10, 12, 20, 3, 3, 1, 1, 1, 1, 1, 1, 2),   // two groups
                new Conv(1, 5, 16, 9, 100, 3, 5, 1, 1, 0, 2, 1, 1, 1),   // no vertical padding: the transposed conv pads by 2
                new Conv(4, 3, 11, 12, 8, 5, 5, 1, 1, 2, 2, 1, 1, 1));   // 5x5, four images over the threads
        ConvRef.checkInputGradient(cases, 8000, ConvShift::backwardInput);
    }

    /**
     * The input gradient at stride 2 and 3 (ConvShiftStrided: one stride-1 product per phase of the input), against the
     * reference; gx is overwritten (NaN-filled first), including the rows and columns no tap reaches.
     */
    @Test void stridedBackwardInputMatchesReference() {
        List<Conv> cases = List.of(
                new Conv(2, 7, 13, 11, 53, 3, 3, 2, 2, 1, 1, 1, 1, 1),   // odd sizes: the last input row and column get one tap row
                new Conv(3, 64, 12, 14, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1),  // 64 = 48 + 16 input channels: the transposed product's panels
                new Conv(2, 5, 23, 19, 20, 7, 7, 2, 2, 3, 3, 1, 1, 1),   // a stem: 7x7, four taps per phase row
                new Conv(2, 6, 17, 16, 20, 3, 3, 2, 2, 1, 1, 1, 1, 2),   // two groups
                new Conv(2, 4, 20, 22, 24, 5, 3, 3, 2, 2, 0, 1, 1, 1),   // strides 3 and 2, no horizontal padding
                new Conv(4, 3, 15, 15, 40, 3, 3, 2, 2, 0, 0, 1, 1, 1),   // no padding at all: the last row and column see no output
                new Conv(2, 9, 16, 18, 30, 2, 2, 2, 2, 0, 0, 1, 1, 1));  // 2x2 at stride 2: one tap per phase
        ConvRef.checkInputGradient(cases, 9500, ConvShiftStrided::backwardInput);
    }

    /** The weight gradient (ConvShiftWeight) against the reference, on every forward case; gw is overwritten. */
    @Test void backwardWeightMatchesReference() {
        long seed = 9000;
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            for (Conv p : CASES) {
                ConvGeometry g = p.geometry();
                Tensor x = Tensor.random(seed++, p.x()), w = Tensor.random(seed++, p.wt()), gy = Tensor.random(seed++, p.out());
                double[] expected = ConvRef.backward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), ConvRef.toDouble(gy.data()))[1];
                float[] gw = new float[expected.length];
                for (int call = 0; call < 2; call++) { // the second call must not add to the first one's accumulators
                    Arrays.fill(gw, Float.NaN);
                    ConvShiftWeight.backwardWeight(g, gy.data(), x.data(), gw);
                    ConvRef.assertClose(expected, gw, 1e-4, "threads " + threads + " call " + call + " " + p);
                }
            }
        }
    }

    /** Stale values left in the per-thread buffers by a larger call must not leak into a smaller one. */
    @Test void smallerCallAfterLargerOneIgnoresStaleBuffers() {
        Parallel.setThreads(1);
        Conv big = new Conv(1, 9, 20, 20, 60, 3, 3, 1, 1, 1, 1, 1, 1, 1), small = new Conv(1, 2, 8, 9, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        for (Conv p : List.of(big, small)) {
            ConvGeometry g = p.geometry();
            Tensor x = Tensor.random(91, p.x()), w = Tensor.random(92, p.wt());
            float[] out = new float[Math.toIntExact((long) p.n() * p.o() * p.oh() * p.ow())];
            ConvShift.forward(g, x.data(), w.data(), null, null, null, Epilogue.NONE, out);
            ConvRef.assertClose(ConvRef.forward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), null), out, 1e-5, p.toString());
        }
    }
}
