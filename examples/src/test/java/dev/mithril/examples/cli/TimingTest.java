package dev.mithril.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The protocol with a scripted clock and a counting workload: no real time is measured. */
class TimingTest {
    /** A clock whose readings advance by the given durations, one per timed call, and that logs when it is read. */
    private static final class ScriptedClock implements Timing.Clock {
        final long[] durations;
        final List<String> log;
        long now = 1_000;
        int reads;

        ScriptedClock(List<String> log, long... durations) {
            this.log = log;
            this.durations = durations;
        }

        @Override public long nanos() {
            log.add("clock");
            if (reads++ % 2 == 1) now += durations[reads / 2 - 1];
            return now;
        }
    }

    @Test
    void warmupCallsAreUntimedThenEachRunIsTimed() {
        List<String> log = new ArrayList<>();
        ScriptedClock clock = new ScriptedClock(log, 50, 10, 40, 20, 30);
        Timing.Samples s = Timing.measure(2, 5, () -> log.add("call"), clock);
        assertEquals(List.of("call", "call", "clock", "call", "clock", "clock", "call", "clock", "clock", "call", "clock",
                "clock", "call", "clock", "clock", "call", "clock"), log);
        assertEquals(List.of(50L, 10L, 40L, 20L, 30L), java.util.Arrays.stream(s.nanos()).boxed().toList());
        assertEquals(30.0, s.medianNanos());
        assertEquals(10, s.minNanos());
        assertEquals(50, s.maxNanos());
    }

    /** A clock that advances by {@code perCall} ns at each call of the workload, and logs each read. */
    private static class CallClock implements Timing.Clock {
        final List<String> log;
        final long perCall;
        long now = 5_000;

        CallClock(List<String> log, long perCall) { this.log = log; this.perCall = perCall; }

        @Override public long nanos() { log.add("clock"); return now; }

        void call() { log.add("call"); now += perCall; }
    }

    @Test
    void samplesGroupTheFewestDoublingCallsThatLastTheMinimum() {
        List<String> log = new ArrayList<>();
        CallClock clock = new CallClock(log, 300);
        // 1000 ns at 300 per call: trials of 1, 2, 4 calls (300, 600, 1200 ns), so 4 calls per sample
        Timing.Samples s = Timing.measure(1, 3, 1_000, clock::call, clock);
        assertEquals(4, s.calls());
        assertEquals(List.of(300L, 300L, 300L), java.util.Arrays.stream(s.nanos()).boxed().toList());
        assertEquals(1 + (1 + 2 + 4) + 3 * 4, log.stream().filter("call"::equals).count(),
                "warm-up, the three trials, then three samples of four calls");
        assertEquals(2 * 3 + 2 * 3, log.stream().filter("clock"::equals).count(), "two reads per trial and per sample");
        assertEquals(300.0, s.medianNanos());
    }

    @Test
    void groupMeansArePerCallAndRoundedAndTheGroupIsCapped() {
        List<String> log = new ArrayList<>();
        // a call of 0 ns never lasts the minimum: the group stops at MAX_GROUP
        CallClock still = new CallClock(log, 0);
        Timing.Samples capped = Timing.measure(0, 2, 1_000_000, still::call, still);
        assertEquals(Timing.MAX_GROUP, capped.calls());
        assertEquals(0.0, capped.medianNanos());
        // a call longer than the minimum: one per sample, as without a minimum
        CallClock slow = new CallClock(log, 5_000);
        Timing.Samples one = Timing.measure(0, 2, 1_000, slow::call, slow);
        assertEquals(1, one.calls());
        assertEquals(5_000.0, one.medianNanos());
        // calls alternating 100 and 201 ns, groups of 2 (301 ns >= 250): per-call mean 150.5 rounds to 151
        long[] next = {100};
        List<String> log2 = new ArrayList<>();
        CallClock odd = new CallClock(log2, 0) {
            @Override void call() { now += next[0]; next[0] = next[0] == 100 ? 201 : 100; }
        };
        Timing.Samples rounded = Timing.measure(0, 2, 250, odd::call, odd);
        assertEquals(2, rounded.calls());
        assertEquals(List.of(151L, 151L), java.util.Arrays.stream(rounded.nanos()).boxed().toList());
    }

    @Test
    void medianOfEvenCountIsMeanOfMiddlePair() {
        Timing.Samples s = new Timing.Samples(new long[] {4_000_000, 1_000_000, 3_000_000, 2_000_000});
        assertEquals(2_500_000.0, s.medianNanos());
        assertEquals(2.5, s.medianMillis());
        assertEquals(32 / 0.0025, s.throughput(32), 1e-6);
        assertEquals(32 / 0.004, s.minThroughput(32), 1e-6);
        assertEquals(32 / 0.001, s.maxThroughput(32), 1e-6);
    }

    /**
     * The warm-up makes its calls, then goes on until they have lasted the minimum: 100 ns a call, 2 calls and 1 µs
     * make 10 calls; 20 calls already last 2 µs, so no more; no minimum, no clock read.
     */
    @Test
    void warmupLastsAtLeastTheMinimumTime() {
        List<String> log = new ArrayList<>();
        CallClock clock = new CallClock(log, 100);
        assertEquals(10, Timing.warmUp(2, 1_000, clock::call, clock));
        assertEquals(10, log.stream().filter("call"::equals).count());
        assertEquals(5_000 + 1_000, clock.now);

        log.clear();
        assertEquals(20, Timing.warmUp(20, 1_000, clock::call, clock));
        assertEquals(List.of("clock"), log.subList(0, 1));
        assertEquals(20, log.stream().filter("call"::equals).count());

        log.clear();
        assertEquals(3, Timing.warmUp(3, 0, clock::call, clock));
        assertEquals(List.of("call", "call", "call"), log);

        // measure: the warm-up (1 call, then on to 500 ns: 5 calls) before the timed samples (2, one call each)
        log.clear();
        Timing.Samples s = Timing.measure(1, 500, 2, 0, clock::call, clock);
        assertEquals(7, log.stream().filter("call"::equals).count());
        assertEquals(List.of(100L, 100L), java.util.Arrays.stream(s.nanos()).boxed().toList());
    }

    @Test
    void rejectsBadCounts() {
        assertThrows(IllegalArgumentException.class, () -> Timing.measure(-1, 1, () -> {}, Timing.SYSTEM));
        assertThrows(IllegalArgumentException.class, () -> Timing.measure(0, 0, () -> {}, Timing.SYSTEM));
        assertThrows(IllegalArgumentException.class, () -> new Timing.Samples(new long[0]));
        assertThrows(IllegalArgumentException.class, () -> new Timing.Samples(new long[] {1}, 0));
        assertThrows(IllegalArgumentException.class, () -> Timing.measure(0, 1, -1, () -> {}, Timing.SYSTEM));
        assertThrows(IllegalArgumentException.class, () -> Timing.warmUp(0, -1, () -> {}, Timing.SYSTEM));
        assertThrows(IllegalArgumentException.class, () -> Timing.warmUp(-1, 0, () -> {}, Timing.SYSTEM));
    }
}
