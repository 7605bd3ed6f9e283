package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.runtime.ConvRef.Conv;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The forward pass with a weight from {@link Conv2d#prepack} against the plain reference, on the packed and the unpacked paths. */
class ConvPrepackedTest {
    /** n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups */
    private static final List<Conv> CASES = List.of(
            new Conv(1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1),          // everything 1
            new Conv(1, 13, 7, 7, 53, 3, 3, 1, 1, 1, 1, 1, 1, 1),        // a 7x7 plane, 53 channels: one panel and a tail
            new Conv(1, 230, 3, 5, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1),       // 2070 taps on 15 pixels: the packed form, k blocks
            new Conv(3, 5, 11, 13, 7, 3, 2, 2, 1, 1, 0, 1, 2, 1),        // primes, stride and dilation mixed, three images per call
            new Conv(2, 4, 17, 19, 6, 5, 5, 2, 2, 3, 3, 2, 2, 2),        // pad 3, dilation 2, two groups
            new Conv(1, 6, 9, 10, 6, 3, 3, 1, 2, 1, 1, 1, 1, 6),         // depthwise: not packed
            new Conv(2, 6, 8, 9, 12, 3, 3, 2, 2, 1, 1, 1, 1, 3),         // groups 3, channel multiplier 4
            new Conv(1, 17, 14, 14, 100, 1, 1, 1, 1, 0, 0, 1, 1, 1),     // 1x1 stride 1: the input read in place
            new Conv(5, 9, 6, 5, 10, 1, 1, 2, 2, 0, 0, 1, 1, 1),         // 1x1 stride 2 (downsample), five images per call
            new Conv(1, 3, 31, 29, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1),        // 899 pixels: the input read in place (ConvShift)
            new Conv(1, 20, 14, 14, 30, 3, 3, 1, 1, 1, 1, 1, 1, 1),      // one 14x14 image: a plane below the in-place threshold
            new Conv(1, 2, 5, 5, 3, 3, 3, 1, 1, 3, 3, 1, 1, 1));         // padding larger than needed: border outputs see only padding

    @Test void float32MatchesReferenceWithResidualAndActivation() {
        long seed = 40;
        for (Conv p : CASES) {
            Tensor x = Tensor.random(seed++, p.x()), w = Tensor.random(seed++, p.wt()), b = Tensor.random(seed++, p.o());
            Tensor r = Tensor.random(seed++, p.out());
            double[] conv = ConvRef.forward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), ConvRef.toDouble(b.data()));
            PackedConv2d pw = Conv2d.prepack(w, p.groups());
            assertEquals(p.og() == 1 && p.cg() == 1, pw.panels == null, "packed unless depthwise " + p);
            for (boolean relu : new boolean[] {false, true}) {
                double[] expected = new double[conv.length];
                for (int i = 0; i < conv.length; i++) {
                    double v = conv[i] + r.data()[i];
                    expected[i] = relu ? Math.max(0, v) : v;
                }
                Tensor out = Tensor.zeros(p.out());
                Arrays.fill(out.data(), Float.NaN); // must be overwritten, not accumulated
                Conv2d.conv2dInto(x, pw, b, p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), r, relu ? Epilogue.RELU : Epilogue.NONE, out);
                ConvRef.assertClose(expected, out.data(), 1e-5, "prepacked relu=" + relu + " " + p);
            }
            Tensor plain = Conv2d.conv2d(x, pw, null, p.sh(), p.sw(), p.ph(), p.pw(), p.dh(), p.dw(), null, Epilogue.NONE);
            ConvRef.assertClose(ConvRef.forward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), null), plain.data(), 1e-5,
                    "prepacked, no bias " + p);
        }
    }

    /** The packed form itself on every case, whatever {@link ConvRows#pays} would pick, batches included. */
    @Test void packedFormMatchesReferenceOnEveryShape() {
        long seed = 400;
        for (Conv p : CASES) {
            if (p.og() == 1 && p.cg() == 1) continue;
            Tensor x = Tensor.random(seed++, p.x()), w = Tensor.random(seed++, p.wt()), b = Tensor.random(seed++, p.o());
            ConvGeometry g = p.geometry();
            float[] out = new float[Ref.size(p.out())];
            Arrays.fill(out, Float.NaN);
            ConvRows.forward(g, x.data(), Conv2d.prepack(w, p.groups()).panels, b.data(), null, Epilogue.NONE, out);
            ConvRef.assertClose(ConvRef.forward(p, ConvRef.toDouble(x.data()), ConvRef.toDouble(w.data()), ConvRef.toDouble(b.data())), out,
                    1e-5, "ConvRows " + p);
        }
    }

    @Test void float64RunsTheUnpackedKernels() {
        Conv p = new Conv(2, 4, 7, 7, 10, 3, 3, 1, 1, 1, 1, 1, 1, 2);
        double[] xd = ConvRef.randomDoubles(1, Ref.size(p.x())), wd = ConvRef.randomDoubles(2, Ref.size(p.wt()));
        double[] bd = ConvRef.randomDoubles(3, p.o());
        Tensor w = Tensor.of(wd, p.wt());
        PackedConv2d pw = Conv2d.prepack(w, 2);
        assertNull(pw.panels);
        assertEquals(DType.F64, pw.dtype());
        Tensor y = Conv2d.conv2d(Tensor.of(xd, p.x()), pw, Tensor.of(bd, p.o()), 1, 1, 1, 1, 1, 1, null, Epilogue.NONE);
        ConvRef.assertClose(ConvRef.forward(p, xd, wd, bd), y.doubles(), 1e-12, "float64 " + p);
    }

    @Test void smallPlanesTakeThePackedFormAndLargeOnesDoNot() {
        ConvGeometry b1At7 = ConvGeometry.of("test", new int[] {1, 512, 7, 7}, new int[] {512, 512, 3, 3}, 1, 1, 1, 1, 1, 1, 1);
        ConvGeometry b1At14 = ConvGeometry.of("test", new int[] {1, 256, 14, 14}, new int[] {256, 256, 3, 3}, 1, 1, 1, 1, 1, 1, 1);
        ConvGeometry b1At28 = ConvGeometry.of("test", new int[] {1, 128, 28, 28}, new int[] {128, 128, 3, 3}, 1, 1, 1, 1, 1, 1, 1);
        ConvGeometry b32At7 = ConvGeometry.of("test", new int[] {32, 512, 7, 7}, new int[] {512, 512, 3, 3}, 1, 1, 1, 1, 1, 1, 1);
        ConvGeometry b1At14Pointwise = ConvGeometry.of("test", new int[] {1, 128, 28, 28}, new int[] {256, 128, 1, 1}, 2, 2, 0, 0, 1, 1, 1);
        ConvGeometry b1At7Pointwise = ConvGeometry.of("test", new int[] {1, 256, 14, 14}, new int[] {512, 256, 1, 1}, 2, 2, 0, 0, 1, 1, 1);
        assertTrue(ConvRows.pays(b1At7));
        assertTrue(ConvRows.pays(b1At7Pointwise));
        assertFalse(ConvRows.pays(b1At14));
        assertFalse(ConvRows.pays(b1At14Pointwise));
        assertFalse(ConvRows.pays(b1At28));
        assertFalse(ConvRows.pays(b32At7));
    }

    @Test void badInputIsRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> Conv2d.prepack(Tensor.zeros(4, 3, 3), 1));
        assertTrue(e.getMessage().startsWith("Conv2d.prepack:") && e.getMessage().contains("rank 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conv2d.prepack(Tensor.zeros(6, 2, 3, 3), 4));
        assertTrue(e.getMessage().contains("groups 4") && e.getMessage().contains("[6, 2, 3, 3]"), e.getMessage());
        PackedConv2d pw = Conv2d.prepack(Tensor.zeros(6, 2, 3, 3), 2);
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.conv2d(Tensor.zeros(1, 6, 8, 8), pw, null, 1, 1, 0, 0, 1, 1, null, Epilogue.NONE));
        assertTrue(e.getMessage().startsWith("Conv2d.conv2d:") && e.getMessage().contains("[1, 6, 8, 8]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.conv2d(Tensor.zeros(DType.F64, 1, 4, 8, 8), pw, null, 1, 1, 0, 0, 1, 1, null, Epilogue.NONE));
        assertTrue(e.getMessage().contains("mixed dtypes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.conv2dInto(Tensor.zeros(1, 4, 8, 8), null, null, 1, 1, 0, 0, 1, 1, null, Epilogue.NONE, Tensor.zeros(1, 6, 6, 6)));
        assertTrue(e.getMessage().contains("packed weight is null"), e.getMessage());
    }
}
