package dev.mithril.bench.jmh;

import dev.mithril.runtime.Epilogue;
import dev.mithril.runtime.Gemm;
import dev.mithril.runtime.NativeBlas;
import dev.mithril.runtime.PackedWeights;
import dev.mithril.runtime.Parallel;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;
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
 * {@code C[m][n] = X[m][k] * W[n][k]^T} (a linear layer's product) by our SGEMM and by OpenBLAS's {@code cblas_sgemm}
 * through FFM, in the same run, on 1 and 2 threads. {@code impl}: {@code java} = {@link Gemm#sgemm} (packs W on every
 * call, like BLAS), {@code javaPacked} = {@link Gemm#linear} with weights packed once (what generated models call),
 * {@code openblas} = {@link NativeBlas#sgemm}. Shapes are {@code MxNxK}: 1024 cubed, the seed's 32/128/1024 x 1024 x 1024
 * and the MLP's layers 784->1024->512->256->10 at batch 32/128/1024. GFLOP/s = 2*M*N*K / time.
 *
 * <p>OpenBLAS 0.3.21 does not recognise every recent Xeon and then falls back to its SSE3 ("Prescott") kernels; set
 * {@code OPENBLAS_CORETYPE} to compare against its AVX-512 kernels:
 * <pre>
 * OPENBLAS_CORETYPE=SkylakeX java -jar benchmarks/target/mithril.jar ... (or: java -cp mithril.jar org.openjdk.jmh.Main Gemm)
 * </pre>
 *
 * <p>On a machine shared with other work, JMH's wall-clock times of ours and of OpenBLAS are taken minutes apart
 * under different load. {@link #main} is the cross-check for that case: it alternates the three implementations in
 * rounds within one JVM and keeps each one's best window, timed by the calling thread's CPU time on one thread (where
 * both run entirely on that thread, so time spent descheduled does not count) and by wall time on more:
 * <pre>
 * OPENBLAS_CORETYPE=SkylakeX java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -cp mithril.jar dev.mithril.bench.jmh.GemmBenchmark 1 1024x1024x1024,32x1024x1024
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
public class GemmBenchmark {
    @Param({"1024x1024x1024", "32x1024x1024", "128x1024x1024",
            "32x1024x784", "32x512x1024", "32x256x512", "32x10x256",
            "128x1024x784", "128x512x1024", "128x256x512", "128x10x256",
            "1024x1024x784", "1024x512x1024", "1024x256x512", "1024x10x256"})
    public String shape;

    @Param({"java", "javaPacked", "openblas"})
    public String impl;

    @Param({"1", "2"})
    public int threads;

    /** {@code f32} ({@code sgemm}) or {@code f64} ({@code dgemm}, float64 weights, {@code cblas_dgemm}). */
    @Param({"f32"})
    public String dtype;

    private int m, n, k;
    private float[] x, w, c;
    private double[] xd, wd, cd;
    private PackedWeights packed;

    @Setup(Level.Trial)
    public void setUp() {
        allocate();
        configure();
    }

    /** Fresh operands of {@link #shape}, the same values every time. */
    private void allocate() {
        String[] p = shape.split("x");
        m = Integer.parseInt(p[0]);
        n = Integer.parseInt(p[1]);
        k = Integer.parseInt(p[2]);
        Random r = new Random(42);
        if (dtype.equals("f64")) {
            xd = new double[m * k];
            wd = new double[n * k];
            cd = new double[m * n];
            for (int i = 0; i < xd.length; i++) xd[i] = r.nextDouble() * 2 - 1;
            for (int i = 0; i < wd.length; i++) wd[i] = r.nextDouble() * 2 - 1;
            packed = Gemm.pack(wd, 0, n, k);
            return;
        }
        x = new float[m * k];
        w = new float[n * k];
        c = new float[m * n];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() * 2 - 1;
        packed = Gemm.pack(w, 0, n, k);
    }

    /** Times {@code other}'s operands from now on: the very same arrays, so the same offsets in memory. */
    private void share(GemmBenchmark other) {
        m = other.m; n = other.n; k = other.k;
        x = other.x; w = other.w; c = other.c; xd = other.xd; wd = other.wd; cd = other.cd; packed = other.packed;
    }

    /** The thread counts of the pool and of OpenBLAS for this implementation. */
    private void configure() {
        Parallel.setThreads(threads);
        Gemm.useNative(false);
        if (impl.equals("openblas")) {
            if (!NativeBlas.available()) throw new IllegalStateException(NativeBlas.loadError());
            NativeBlas.setThreads(threads);
        } else if (!impl.equals("java") && !impl.equals("javaPacked")) {
            throw new IllegalArgumentException("impl must be java, javaPacked or openblas, got " + impl);
        }
        if (!dtype.equals("f32") && !dtype.equals("f64")) throw new IllegalArgumentException("dtype must be f32 or f64, got " + dtype);
    }

    @Benchmark
    public Object sgemm() {
        if (xd != null) {
            switch (impl) {
                case "java" -> Gemm.dgemm(false, true, m, n, k, 1.0, xd, 0, k, wd, 0, k, 0.0, cd, 0, n);
                case "javaPacked" -> Gemm.linear(xd, 0, m, packed, null, Epilogue.NONE, cd, 0);
                default -> NativeBlas.dgemm(false, true, m, n, k, 1.0, xd, 0, k, wd, 0, k, 0.0, cd, 0, n);
            }
            return cd;
        }
        switch (impl) {
            case "java" -> Gemm.sgemm(false, true, m, n, k, 1f, x, 0, k, w, 0, k, 0f, c, 0, n);
            case "javaPacked" -> Gemm.linear(x, 0, m, packed, null, Epilogue.NONE, c, 0);
            default -> NativeBlas.sgemm(false, true, m, n, k, 1f, x, 0, k, w, 0, k, 0f, c, 0, n);
        }
        return c;
    }

    /**
     * Interleaved comparison: {@code args[0]} threads, {@code args[1]} comma-separated shapes (MxNxK), optionally
     * {@code args[2]} = {@code f64} for float64 ({@code dgemm} against {@code cblas_dgemm}). Prints GFLOP/s of java,
     * javaPacked and openblas per shape and the ratios to OpenBLAS.
     */
    /**
     * OpenBLAS's pthread workers spin after a call before they sleep (2^28 cycles by default, about 0.1 s here). On two
     * cores that spinning thread took a core from the next round's Java products: a third of the two-thread runs of
     * 128x256x512 to 200x256x1024 measured about 125 GFLOP/s instead of 200-230, in our code before and after a change
     * alike, and none with {@code OPENBLAS_THREAD_TIMEOUT=4}. Waiting here lets OpenBLAS keep its default while the
     * Java rounds get both cores.
     */
    private static void letOpenBlasThreadsSleep() {
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static void main(String[] args) {
        if (args.length != 2 && args.length != 3) throw new IllegalArgumentException("usage: GemmBenchmark <threads> <MxNxK,...> [f32|f64]");
        int threads = Integer.parseInt(args[0]);
        String dtype = args.length == 3 ? args[2] : "f32";
        ThreadMXBean clock = ManagementFactory.getThreadMXBean();
        boolean cpuTime = threads == 1;
        String[] impls = {"java", "javaPacked", "openblas"};
        System.out.printf("%s, %d thread(s), timed by %s; GFLOP/s, best window of each%n", dtype.equals("f64") ? "float64" : "float32", threads,
                cpuTime ? "thread CPU time" : "wall time");
        for (String shape : args[1].split(",")) {
            GemmBenchmark[] runs = new GemmBenchmark[impls.length];
            for (int i = 0; i < impls.length; i++) {
                runs[i] = new GemmBenchmark();
                runs[i].shape = shape;
                runs[i].impl = impls[i];
                runs[i].threads = threads;
                runs[i].dtype = dtype;
                runs[i].setUp();
            }
            double flops = 2.0 * runs[0].m * runs[0].n * runs[0].k;
            int calls = (int) Math.max(1, 4e8 / flops);
            double[] best = new double[impls.length];
            for (int round = 0; round < 5; round++) {
                // New operands each round, the same arrays for all three: where an array starts against 64-byte
                // lines changes with each allocation, and the classifier runs 10-16% faster (ours and OpenBLAS alike)
                // when its rows start on one (docs/BENCHMARKS.md, GemmAlignment). With arrays of their own, each
                // implementation's best window came from its own luckiest allocation, and the classifier's ratio
                // ranged over 0.71-0.93 between runs.
                runs[0].allocate();
                for (int i = 1; i < impls.length; i++) runs[i].share(runs[0]);
                for (int i = 0; i < impls.length; i++) {
                    runs[i].configure();
                    for (int c = 0; c < 3 * calls; c++) runs[i].sgemm();
                    for (int window = 0; window < 8; window++) {
                        long t0 = cpuTime ? clock.getCurrentThreadCpuTime() : System.nanoTime();
                        for (int c = 0; c < calls; c++) runs[i].sgemm();
                        long dt = (cpuTime ? clock.getCurrentThreadCpuTime() : System.nanoTime()) - t0;
                        best[i] = Math.max(best[i], flops * calls / Math.max(1, dt));
                    }
                    if (threads > 1 && impls[i].equals("openblas")) letOpenBlasThreadsSleep();
                }
            }
            System.out.printf("%-16s java %6.1f  javaPacked %6.1f  openblas %6.1f  java/openblas %.2f  packed/openblas %.2f%n",
                    shape, best[0], best[1], best[2], best[0] / best[2], best[1] / best[2]);
        }
    }
}
