package dev.mithril.bench.jmh;

import dev.mithril.runtime.Parallel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one parallel region costs: {@link Parallel#forRange} over {@code threads} chunks whose bodies do almost nothing
 * (a few adds into a per-chunk slot), called back to back as a model's kernels call it. On two threads this is the
 * hand-over to the worker and the wait for its answer; it is what a small kernel pays to use the second core, so a
 * kernel splits only work that takes several times as long.
 * <pre>
 * java -cp benchmarks/target/mithril.jar org.openjdk.jmh.Main ParallelBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC"})
public class ParallelBenchmark {
    @Param({"2"})
    public int threads;

    private final long[] sums = new long[64];
    private Parallel.RangeBody body;

    @Setup(Level.Trial)
    public void setUp() {
        Parallel.setThreads(threads);
        body = (from, to) -> {
            long s = 0;
            for (int i = from; i < to; i++) s += i;
            sums[from * 16 % 64] += s;
        };
    }

    @Benchmark
    public long region() {
        Parallel.forRange(threads, 1, body);
        return sums[0];
    }
}
