package dev.mithril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The hand-written baseline against a plain triple loop, on awkward sizes (primes, one row). */
class HandWrittenDenseTest {
    @Test
    void matchesPlainLoops() {
        int[] widths = {7, 13, 5, 3};
        float[][] w = HandWrittenDense.randomWeights(widths, 1), b = HandWrittenDense.randomBiases(widths, 2);
        HandWrittenDense m = new HandWrittenDense(widths, w, b);
        for (int batch : new int[] {1, 3, 17}) {
            float[] x = HandWrittenDense.randomWeights(new int[] {widths[0], batch}, batch)[0];
            float[] expected = reference(widths, w, b, x, batch);
            float[] got = m.forward(x, batch);
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], got[i], 1e-5, "batch " + batch + " element " + i);
        }
    }

    private static float[] reference(int[] widths, float[][] w, float[][] b, float[] x, int batch) {
        float[] h = x;
        for (int l = 0; l + 1 < widths.length; l++) {
            int in = widths[l], out = widths[l + 1];
            float[] y = new float[batch * out];
            for (int r = 0; r < batch; r++) {
                for (int o = 0; o < out; o++) {
                    double s = b[l][o];
                    for (int k = 0; k < in; k++) s += (double) h[r * in + k] * w[l][o * in + k];
                    y[r * out + o] = (float) (l + 2 < widths.length ? Math.max(0, s) : s);
                }
            }
            h = y;
        }
        return h;
    }
}
