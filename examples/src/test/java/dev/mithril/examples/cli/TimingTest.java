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

    @Test
    void medianOfEvenCountIsMeanOfMiddlePair() {
        Timing.Samples s = new Timing.Samples(new long[] {4_000_000, 1_000_000, 3_000_000, 2_000_000});
        assertEquals(2_500_000.0, s.medianNanos());
        assertEquals(2.5, s.medianMillis());
        assertEquals(32 / 0.0025, s.throughput(32), 1e-6);
        assertEquals(32 / 0.004, s.minThroughput(32), 1e-6);
        assertEquals(32 / 0.001, s.maxThroughput(32), 1e-6);
    }

    @Test
    void rejectsBadCounts() {
        assertThrows(IllegalArgumentException.class, () -> Timing.measure(-1, 1, () -> {}, Timing.SYSTEM));
        assertThrows(IllegalArgumentException.class, () -> Timing.measure(0, 0, () -> {}, Timing.SYSTEM));
        assertThrows(IllegalArgumentException.class, () -> new Timing.Samples(new long[0]));
    }
}
