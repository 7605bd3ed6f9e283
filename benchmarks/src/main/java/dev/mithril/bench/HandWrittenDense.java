package dev.mithril.bench;

import dev.mithril.runtime.Epilogue;
import dev.mithril.runtime.Gemm;
import dev.mithril.runtime.PackedWeights;
import java.util.SplittableRandom;

/**
 * A stack of linear layers written by hand directly on the runtime's kernels, the way a careful person would
 * without Mithril: weights packed once, bias and ReLU fused into each GEMM's epilogue, activations in two
 * buffers allocated once per batch size and reused (ping-pong). The yardstick that generated Full code should
 * meet. Hidden layers use ReLU; the last layer has bias only.
 */
public final class HandWrittenDense {
    private final int[] widths;
    private final PackedWeights[] weights;
    private final float[][] biases;
    private final int maxWidth;
    private int batch = -1;
    private float[] ping, pong;

    /** Random weights like PyTorch's {@code nn.Linear} default: uniform in +-1/sqrt(fan_in). */
    public HandWrittenDense(int[] widths, long seed) {
        this(widths, randomWeights(widths, seed), randomBiases(widths, seed + 1));
    }

    /** Given weights {@code w[i]} of shape [widths[i+1], widths[i]] (PyTorch layout) and biases of widths[i+1]. */
    public HandWrittenDense(int[] widths, float[][] w, float[][] b) {
        if (widths.length < 2) throw new IllegalArgumentException("HandWrittenDense: need at least 2 widths, got " + widths.length);
        if (w.length != widths.length - 1 || b.length != widths.length - 1) {
            throw new IllegalArgumentException("HandWrittenDense: " + (widths.length - 1) + " layers but " + w.length
                    + " weights and " + b.length + " biases");
        }
        this.widths = widths.clone();
        this.weights = new PackedWeights[w.length];
        this.biases = new float[w.length][];
        int max = 0;
        for (int i = 0; i < w.length; i++) {
            weights[i] = Gemm.pack(w[i], 0, widths[i + 1], widths[i]);
            if (b[i].length != widths[i + 1]) {
                throw new IllegalArgumentException("HandWrittenDense: bias " + i + " has " + b[i].length + " values, layer has "
                        + widths[i + 1] + " outputs");
            }
            biases[i] = b[i].clone();
            if (i > 0) max = Math.max(max, widths[i]);
        }
        this.maxWidth = Math.max(max, widths[widths.length - 1]);
    }

    /**
     * Runs the layers on {@code x} ({@code batch} rows of {@code widths[0]}); returns the buffer holding the
     * output rows. The buffer is reused by the next call, as a generated Full model's would be.
     */
    public float[] forward(float[] x, int batch) {
        if (x.length < batch * widths[0]) {
            throw new IllegalArgumentException("HandWrittenDense.forward: x has " + x.length + " values, need " + batch + " x " + widths[0]);
        }
        if (batch != this.batch) {
            ping = new float[batch * maxWidth];
            pong = new float[batch * maxWidth];
            this.batch = batch;
        }
        float[] in = x, out = ping;
        int last = weights.length - 1;
        for (int i = 0; i <= last; i++) {
            Gemm.linear(in, 0, batch, weights[i], biases[i], i == last ? Epilogue.BIAS : Epilogue.BIAS_RELU, out, 0);
            in = out;
            out = out == ping ? pong : ping;
        }
        return in;
    }

    static float[][] randomWeights(int[] widths, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] w = new float[widths.length - 1][];
        for (int i = 0; i + 1 < widths.length; i++) w[i] = uniform(r, widths[i + 1] * widths[i], widths[i]);
        return w;
    }

    static float[][] randomBiases(int[] widths, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] b = new float[widths.length - 1][];
        for (int i = 0; i + 1 < widths.length; i++) b[i] = uniform(r, widths[i + 1], widths[i]);
        return b;
    }

    private static float[] uniform(SplittableRandom r, int n, int fanIn) {
        float bound = (float) (1 / Math.sqrt(fanIn));
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        return a;
    }
}
