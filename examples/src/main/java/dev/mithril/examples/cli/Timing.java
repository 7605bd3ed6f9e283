package dev.mithril.examples.cli;

import java.util.Arrays;

/**
 * The measurement protocol shared by {@code mithril run} and {@code mithril bench}: {@code warmup}
 * untimed calls, continued until they have lasted at least a minimum time (so the JIT compiles the hot path and
 * buffers are allocated), then {@code runs} timed samples. Reported figures are the median, with min and max beside
 * it, since the median ignores the occasional GC pause or noisy neighbour that a mean would smear in.
 *
 * <p>A count alone is not enough: C2 compiles in the background, so what a number of calls buys depends on how long
 * they take. On the 2-core VM of docs/BENCHMARKS.md the MLP at Full, batch 32, timed alone ({@code mithril bench})
 * after 20 warm-up calls read 34-35K samples/s, after 300 82-87K; in {@code mithril run} (after None and Basic) 100
 * calls gave 36-80K, and 100 calls lasting at least 0.5 s 35-45K, 1 s 47-88K, 1.5 s 82-87K (four runs each), 2 s
 * 76-88K. Hence {@link #DEFAULT_WARMUP_MS}. Calls of a second or more (ResNet-50) reach it after one or two.
 *
 * <p>A sample is one call, or with a minimum sample length ({@link #measure(int, int, long, Runnable, Clock)})
 * a group of consecutive calls that together last at least that long, recorded as their mean per call: for calls
 * too short to time singly, where the clock's reads and resolution are a share of the call. The group size is found
 * before timing, by doubling a group of untimed calls until it lasts the minimum (at most {@link #MAX_GROUP} calls).
 * (On a shared VM it does not steady the medians: the noise there lasts longer than a sample.)
 */
public final class Timing {
    /** A monotonic clock in nanoseconds; {@link System#nanoTime} in real use, a fake one in tests. */
    @FunctionalInterface
    public interface Clock {
        long nanos();
    }

    /** The system's monotonic clock. */
    public static final Clock SYSTEM = System::nanoTime;

    private Timing() {}

    /** The most calls one sample groups, whatever the minimum sample length asks. */
    public static final int MAX_GROUP = 1 << 16;

    /** The least time the warm-up of {@code mithril run} and {@code mithril bench} lasts unless told otherwise. */
    public static final int DEFAULT_WARMUP_MS = 1500;

    /** Runs the protocol on {@code body}, one call per sample, and returns the timed samples. */
    public static Samples measure(int warmup, int runs, Runnable body, Clock clock) {
        return measure(warmup, 0, runs, 0, body, clock);
    }

    /**
     * Runs the protocol on {@code body} with samples at least {@code minSampleNanos} long (0: one call per sample) and
     * returns the timed samples, each the mean time per call of its group; the warm-up is {@code warmup} calls.
     */
    public static Samples measure(int warmup, int runs, long minSampleNanos, Runnable body, Clock clock) {
        return measure(warmup, 0, runs, minSampleNanos, body, clock);
    }

    /**
     * Runs the protocol on {@code body}: {@link #warmUp} with {@code warmup} calls and {@code minWarmupNanos}, then
     * {@code runs} samples at least {@code minSampleNanos} long (0: one call per sample); returns the timed samples,
     * each the mean time per call of its group.
     */
    public static Samples measure(int warmup, long minWarmupNanos, int runs, long minSampleNanos, Runnable body, Clock clock) {
        if (runs < 1) throw new IllegalArgumentException("Timing.measure: runs must be >= 1, got " + runs);
        if (minSampleNanos < 0) {
            throw new IllegalArgumentException("Timing.measure: minimum sample length must be >= 0 ns, got " + minSampleNanos);
        }
        warmUp(warmup, minWarmupNanos, body, clock);
        int calls = minSampleNanos == 0 ? 1 : groupSize(minSampleNanos, body, clock);
        long[] ns = new long[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = clock.nanos();
            for (int c = 0; c < calls; c++) body.run();
            ns[i] = Math.round((double) (clock.nanos() - t0) / calls);
        }
        return new Samples(ns, calls);
    }

    /**
     * Calls {@code body} untimed {@code calls} times, then on until the calls together have lasted at least
     * {@code minNanos} (the clock read after each call past the count); returns how many calls were made.
     */
    public static long warmUp(int calls, long minNanos, Runnable body, Clock clock) {
        if (calls < 0) throw new IllegalArgumentException("Timing: warm-up calls must be >= 0, got " + calls);
        if (minNanos < 0) throw new IllegalArgumentException("Timing: minimum warm-up time must be >= 0 ns, got " + minNanos);
        long t0 = minNanos == 0 ? 0 : clock.nanos(), made = 0; // no minimum: the clock is not read at all
        for (; made < calls; made++) body.run();
        while (minNanos > 0 && clock.nanos() - t0 < minNanos) {
            body.run();
            made++;
        }
        return made;
    }

    /** The smallest power of two of calls (up to {@link #MAX_GROUP}) that lasted {@code minNanos}, found by untimed groups. */
    private static int groupSize(long minNanos, Runnable body, Clock clock) {
        int calls = 1;
        while (calls < MAX_GROUP) {
            long t0 = clock.nanos();
            for (int c = 0; c < calls; c++) body.run();
            if (clock.nanos() - t0 >= minNanos) break;
            calls *= 2;
        }
        return calls;
    }

    /**
     * Timed samples in nanoseconds per call, in the order they were taken; each sample the mean of {@code calls}
     * consecutive calls.
     */
    public record Samples(long[] nanos, int calls) {
        public Samples {
            if (nanos.length == 0) throw new IllegalArgumentException("Samples: need at least one sample");
            if (calls < 1) throw new IllegalArgumentException("Samples: calls per sample must be >= 1, got " + calls);
            nanos = nanos.clone();
        }

        /** Samples of one call each. */
        public Samples(long[] nanos) { this(nanos, 1); }

        /** The median; for an even count the mean of the two middle samples. */
        public double medianNanos() {
            long[] s = nanos.clone();
            Arrays.sort(s);
            int n = s.length;
            return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + (double) s[n / 2]) / 2;
        }

        public long minNanos() { return Arrays.stream(nanos).min().orElseThrow(); }

        public long maxNanos() { return Arrays.stream(nanos).max().orElseThrow(); }

        /** Median latency in milliseconds. */
        public double medianMillis() { return medianNanos() / 1e6; }

        /** Items per second at the median time, e.g. samples/s for {@code items} = batch size. */
        public double throughput(int items) { return items / (medianNanos() / 1e9); }

        /** Items per second of the slowest sample. */
        public double minThroughput(int items) { return items / (maxNanos() / 1e9); }

        /** Items per second of the fastest sample. */
        public double maxThroughput(int items) { return items / (minNanos() / 1e9); }
    }
}
