package dev.mithril.examples.train;

import dev.mithril.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Mini-batches of a split, in an order shuffled by a seed (Fisher-Yates); the last batch may be smaller. */
public final class Batches {
    /** One batch: images {@code [b, 784]} and labels {@code [b]} (I64). */
    public record Batch(Tensor images, Tensor labels) {}

    private Batches() {}

    /** The batches of one epoch; {@code seed} fixes the order (pass epoch-dependent seeds for a new order each epoch). */
    public static List<Batch> shuffled(FashionMnist.Split split, int batchSize, long seed) {
        if (batchSize <= 0) throw new IllegalArgumentException("Batches.shuffled: batch size must be positive, got " + batchSize);
        int n = split.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return slices(split, order, batchSize);
    }

    /** The batches in file order (for evaluation). */
    public static List<Batch> inOrder(FashionMnist.Split split, int batchSize) {
        int[] order = new int[split.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        return slices(split, order, batchSize);
    }

    private static List<Batch> slices(FashionMnist.Split split, int[] order, int batchSize) {
        int d = split.images().dim(1);
        float[] x = split.images().data();
        List<Batch> out = new ArrayList<>();
        for (int s = 0; s < order.length; s += batchSize) {
            int b = Math.min(batchSize, order.length - s);
            float[] bx = new float[b * d];
            long[] by = new long[b];
            for (int i = 0; i < b; i++) {
                System.arraycopy(x, order[s + i] * d, bx, i * d, d);
                by[i] = split.labels()[order[s + i]];
            }
            out.add(new Batch(Tensor.of(bx, b, d), Tensor.ofLongs(by, b)));
        }
        return out;
    }

    /** How many of {@code logits [b, C]} rows have their largest value at the label. */
    public static int correct(Tensor logits, Tensor labels) {
        int b = logits.dim(0), c = logits.dim(1), ok = 0;
        float[] z = logits.toF32().data();
        long[] y = labels.longs();
        for (int i = 0; i < b; i++) {
            int best = 0;
            for (int j = 1; j < c; j++) if (z[i * c + j] > z[i * c + best]) best = j;
            if (best == y[i]) ok++;
        }
        return ok;
    }
}
