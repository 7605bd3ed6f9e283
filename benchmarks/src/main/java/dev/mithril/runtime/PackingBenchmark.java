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
 * The packing passes of one {@code sgemm} on their own, on one thread: all of a row-major {@code n x n} A packed into
 * slivers block by block ({@code GemmPacking.packA}, 64 rows by 256 k steps at a time, as the 1024-cubed product
 * does; float64 by 192), and all of a transposed B ({@code W[n][k]}, a linear layer's weight) packed into panels. It sits in
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
    private double[] a64, ap64;
    private static final int MC = 64, KC = 256, KC64 = 192;

    @Setup
    public void setUp() {
        Random r = new Random(7);
        a = new float[n * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
        ap = new float[MC * KC];
        a64 = new double[n * n];
        for (int i = 0; i < a64.length; i++) a64[i] = a[i];
        ap64 = new double[MC * KC64];
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

    /** All of a float64 A, one 64 x 192 block after another (float64's k blocks are 192 deep). */
    @Benchmark
    public double[] packA64() {
        for (int ic = 0; ic < n; ic += MC) {
            for (int pc = 0; pc < n; pc += KC64) GemmPacking.packA(false, a64, 0, n, ic, Math.min(MC, n - ic), pc, Math.min(KC64, n - pc), ap64);
        }
        return ap64;
    }

    /** All of a transposed B into its panels. */
    @Benchmark
    public float[] packTransposedB() {
        GemmPacking.packB(true, n, n, a, 0, n, bp, 0, 0, GemmPacking.panels(n, GemmKernel.NR));
        return bp;
    }
}
