package dev.mithril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.examples.cli.Timing;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The measurement protocol with a fake clock: warm-up calls untimed, then each timed call read between two
 * clock readings, the median (not the mean) reported with min and max; nothing here depends on real time.
 */
class BenchProtocolTest {
    /** A clock whose k-th timed call lasts {@code durations[k % durations.length]} ns: readings alternate start, end. */
    private static final class ScriptedClock implements Timing.Clock {
        private final long[] durations;
        private long now = 1_000_000, reads;

        ScriptedClock(long... durations) { this.durations = durations; }

        @Override public long nanos() {
            if (reads++ % 2 == 1) now += durations[(int) ((reads / 2 - 1) % durations.length)];
            return now;
        }
    }

    @Test
    void warmupCallsAreUntimedAndTheMedianIsReported() {
        int[] calls = {0};
        ScriptedClock clock = new ScriptedClock(500, 100, 9_000, 300, 200);
        Timing.Samples s = Timing.measure(7, 5, () -> calls[0]++, clock);
        assertEquals(12, calls[0], "7 warm-up calls and 5 timed ones");
        assertEquals(10, clock.reads, "two clock readings per timed call, none for the warm-up");
        assertEquals(300.0, s.medianNanos(), "median of 500, 100, 9000, 300, 200; the outlier does not move it");
        assertEquals(100, s.minNanos());
        assertEquals(9_000, s.maxNanos());
        assertEquals(4 / 300e-9, s.throughput(4), 1e-3);
        Timing.Samples even = Timing.measure(0, 4, () -> {}, new ScriptedClock(40, 10, 30, 20));
        assertEquals(25.0, even.medianNanos(), "even count: mean of the two middle samples");
    }

    @Test
    void runnerReportsTheMedianOfEachSubjectAndTheOverhead() {
        // three runs per subject, so every subject sees durations 30, 10, 20 us in that order
        BenchOptions o = BenchOptions.parse(new String[] {"--model", "linear", "--level", "none", "--batch-sizes", "2",
                "--runs", "3", "--warmup", "1", "--min-sample-ms", "0", "--warmup-ms", "0"});
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        BenchRunner.Outcome r = new BenchRunner(o, new ScriptedClock(30_000, 10_000, 20_000),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run();
        assertTrue(r.measured());
        Report.Table inference = table(r, "inference");
        assertEquals(2, inference.rows().size(), "Java/None and the hand-written twin");
        for (List<Object> row : inference.rows()) {
            assertEquals(2 / 20e-6, (Double) row.get(4), 1e-6, "throughput at the median call: " + row);
            assertEquals(2 / 30e-6, (Double) row.get(5), 1e-6, "min throughput from the slowest call: " + row);
            assertEquals(2 / 10e-6, (Double) row.get(6), 1e-6, "max throughput from the fastest call: " + row);
            assertEquals(0.02, (Double) row.get(7), 1e-12, "latency in ms: " + row);
        }
        List<Object> overhead = table(r, "overhead").rows().getFirst();
        assertEquals("empty model", overhead.get(0));
        assertEquals(20_000.0, (Double) overhead.get(1));
        assertEquals(100.0, (Double) overhead.get(4), 1e-9, "as slow as the fastest subject: 100%");
        Report.Table cross = table(r, "cross");
        assertEquals(1.0, (Double) cross.rows().getFirst().get(4), 1e-12, "Mithril / hand-written at equal medians");
    }

    @Test
    void withAMinimumSampleLengthEachSubjectFindsItsGroupAndReportsTimePerCall() {
        // Every pair of readings (a trial or a sample) spans the next of 0.5 ms, 1.5 ms in turn; samples of >= 1 ms.
        // The empty model is timed first: its trials read 0.5 ms (too short: 2 calls) then 1.5 ms (2 calls it is),
        // and its one sample, 0.5 ms for 2 calls, is 0.25 ms per call. Java/None then starts on a 1.5 ms trial: one
        // call per sample, sampled at 0.5 ms; and so does the hand-written twin after it.
        BenchOptions o = BenchOptions.parse(new String[] {"--model", "linear", "--mode", "inference", "--level", "none",
                "--batch-sizes", "2", "--runs", "1", "--warmup", "0", "--min-sample-ms", "1", "--warmup-ms", "0"});
        BenchRunner.Outcome r = new BenchRunner(o, new ScriptedClock(500_000, 1_500_000),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        assertTrue(r.measured());
        assertEquals(250_000.0, (Double) table(r, "overhead").rows().getFirst().get(1), "two calls in 0.5 ms");
        List<List<Object>> rows = table(r, "inference").rows();
        assertEquals(List.of("Mithril Java/None", "hand-written on runtime kernels"), rows.stream().map(x -> x.get(0)).toList());
        for (List<Object> row : rows) {
            assertEquals(0.5, (Double) row.get(7), 1e-12, "one call per sample: " + row);
            assertEquals(2 / 0.5e-3, (Double) row.get(4), 1e-6);
        }
    }

    @Test
    void theComparedPairIsWarmedBeforeAnySubjectOfTheBatchIsTimed() {
        BenchOptions o = BenchOptions.parse(new String[] {"--model", "linear", "--level", "none,full", "--batch-sizes", "2,3",
                "--runs", "2", "--warmup", "4", "--min-sample-ms", "0", "--warmup-ms", "0"});
        BenchRunner runner = new BenchRunner(o, new ScriptedClock(10_000),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertTrue(runner.run().measured());
        assertEquals(List.of("linear Java/Full batch 2: 4 calls", "linear hand-written batch 2: 4 calls",
                "linear Java/Full batch 3: 4 calls", "linear hand-written batch 3: 4 calls"), runner.warmedBeforeTiming(),
                "the best level and the hand-written model, each batch, with the warm-up's number of calls");
    }

    @Test
    void generationWarmsTheCachedDecoderAndTheHandWrittenOneBeforeTimingEither() {
        BenchOptions o = BenchOptions.parse(new String[] {"--model", "transformer", "--mode", "generation", "--level", "full",
                "--batch-sizes", "1", "--runs", "1", "--warmup", "1", "--min-sample-ms", "0", "--warmup-ms", "0"});
        BenchRunner runner = new BenchRunner(o, new ScriptedClock(10_000),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertTrue(runner.run().measured());
        assertEquals(List.of("transformer KV cache Java/Full batch 1: 1 calls", "transformer KV cache hand-written batch 1: 1 calls"),
                runner.warmedBeforeTiming());
    }

    private static Report.Table table(BenchRunner.Outcome r, String id) {
        return r.report().tables().stream().filter(t -> t.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no table " + id + " in " + r.report().tables().stream().map(Report.Table::id).toList()));
    }
}
