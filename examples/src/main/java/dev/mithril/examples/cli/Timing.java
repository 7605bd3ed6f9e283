package dev.mithril.examples.cli;

import java.util.Arrays;

/**
 * The measurement protocol shared by {@code mithril run} and {@code mithril bench}: {@code warmup}
 * untimed calls (so the JIT compiles the hot path and buffers are allocated), then {@code runs}
 * individually timed calls. Reported figures are the median, with min and max beside it, since the
 * median ignores the occasional GC pause or noisy neighbour that a mean would smear in.
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

    /** Runs the protocol on {@code body} and returns the timed samples. */
    public static Samples measure(int warmup, int runs, Runnable body, Clock clock) {
        if (warmup < 0) throw new IllegalArgumentException("Timing.measure: warmup must be >= 0, got " + warmup);
        if (runs < 1) throw new IllegalArgumentException("Timing.measure: runs must be >= 1, got " + runs);
        for (int i = 0; i < warmup; i++) body.run();
        long[] ns = new long[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = clock.nanos();
            body.run();
            ns[i] = clock.nanos() - t0;
        }
        return new Samples(ns);
    }

    /** Timed samples in nanoseconds, in the order they were taken. */
    public record Samples(long[] nanos) {
        public Samples {
            if (nanos.length == 0) throw new IllegalArgumentException("Samples: need at least one sample");
            nanos = nanos.clone();
        }

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
