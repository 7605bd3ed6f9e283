package dev.mithril.runtime;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The packing passes of one float32 {@code sgemm} on their own, on one thread: all of a row-major {@code n x n} A
 * packed into slivers block by block ({@code GemmPacking.packA}, 64 rows by 256 k steps at a time, as the 1024-cubed
 * product does), and all of a transposed B ({@code W[n][k]}, a linear layer's weight) packed into panels. It sits in
 * the runtime's package to reach the package-private packing code; it is a benchmark, not part of the runtime.
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/mithril.jar org.openjdk.jmh.Main PackingBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class PackingBenchmark {
    @Param({"1024"})
    public int n;

    private float[] a, ap, bp;
    private static final int MC = 64, KC = 256;

    @Setup
    public void setUp() {
        Random r = new Random(7);
        a = new float[n * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
        ap = new float[MC * KC];
        bp = new float[GemmPacking.packedSize(n, n, GemmKernel.NR)];
    }

    /** All of A, one 64 x 256 block after another into the same buffer. */
    @Benchmark
    public float[] packA() {
        for (int ic = 0; ic < n; ic += MC) {
            for (int pc = 0; pc < n; pc += KC) GemmPacking.packA(false, a, 0, n, ic, Math.min(MC, n - ic), pc, Math.min(KC, n - pc), ap);
        }
        return ap;
    }

    /** All of a transposed B into its panels. */
    @Benchmark
    public float[] packTransposedB() {
        GemmPacking.packB(true, n, n, a, 0, n, bp, 0, 0, GemmPacking.panels(n, GemmKernel.NR));
        return bp;
    }
}
