package dev.mithril.examples.zoo;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * How the next token is chosen from a row of logits: greedily (temperature 0: the first largest logit, as
 * {@code torch.argmax}), or drawn from {@code softmax(logits / temperature)} restricted to the {@code topK}
 * largest logits (0: all), with draws from a generator seeded by {@code seed}. Rows are drawn in order, one
 * draw each, so two generations from equal logits with the same seed pick the same tokens.
 */
public record Sampling(double temperature, int topK, long seed) {
    public Sampling {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new IllegalArgumentException("sampling: temperature must be 0 (greedy) or positive, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("sampling: top-k must be 0 (all tokens) or positive, got " + topK);
    }

    /** Always the most likely token. */
    public static Sampling greedy() { return new Sampling(0, 0, 0); }

    public boolean isGreedy() { return temperature == 0; }

    /** A chooser with its own random generator, for one generation. */
    public Chooser chooser() { return new Chooser(this); }

    /** Picks tokens from rows of logits; holds the random state of one generation. */
    public static final class Chooser {
        private final Sampling s;
        private final SplittableRandom random;
        private double[] p = new double[0];
        private float[] sorted = new float[0];

        private Chooser(Sampling s) {
            this.s = s;
            this.random = new SplittableRandom(s.seed());
        }

        /** The token of each of {@code rows} rows of {@code logits} (row {@code r} at {@code off + r * vocab}). */
        public long[] pick(float[] logits, int off, int rows, int vocab) {
            long[] out = new long[rows];
            for (int r = 0; r < rows; r++) out[r] = pick(logits, off + r * vocab, vocab);
            return out;
        }

        private int pick(float[] z, int off, int vocab) {
            int best = 0;
            for (int i = 1; i < vocab; i++) if (z[off + i] > z[off + best]) best = i;
            if (s.isGreedy()) return best;
            // Keep the logits at or above the k-th largest (ties at the boundary stay in), then softmax at the temperature.
            float floor = Float.NEGATIVE_INFINITY;
            if (s.topK() > 0 && s.topK() < vocab) {
                if (sorted.length < vocab) sorted = new float[vocab];
                System.arraycopy(z, off, sorted, 0, vocab);
                Arrays.sort(sorted, 0, vocab);
                floor = sorted[vocab - s.topK()];
            }
            if (p.length < vocab) p = new double[vocab];
            double max = z[off + best], sum = 0;
            for (int i = 0; i < vocab; i++) {
                p[i] = z[off + i] >= floor ? Math.exp((z[off + i] - max) / s.temperature()) : 0;
                sum += p[i];
            }
            double u = random.nextDouble() * sum, acc = 0;
            int last = best;
            for (int i = 0; i < vocab; i++) {
                if (p[i] == 0) continue;
                acc += p[i];
                last = i;
                if (u < acc) return i;
            }
            return last; // rounding left u at the very top
        }
    }
}
