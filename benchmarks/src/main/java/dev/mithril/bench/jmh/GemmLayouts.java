package dev.mithril.bench.jmh;

import dev.mithril.runtime.Gemm;
import dev.mithril.runtime.NativeBlas;
import dev.mithril.runtime.Parallel;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * Our GEMM against OpenBLAS in each of the four storage layouts, NN, NT, TN and TT (T: the operand is stored
 * transposed), in the same rounds on the same arrays. {@link GemmBenchmark} times NT only, the forward pass's
 * {@code X * W^T}; a training step also runs {@code dY * W} (NN) and {@code dY^T * X} (TN) for the input and the
 * weight gradients. Each round draws new operands; within it each layout runs ours, then OpenBLAS, best of six calls
 * after three to warm up; one thread is timed by the thread's CPU time, more by the wall clock. A first round, not
 * printed, warms every path up (on two threads the compiler's threads otherwise share the cores with the first
 * products: NT's first round read 0.54-0.62 where the later ones read 0.90). Prints GFLOP/s and ours / OpenBLAS per
 * layout and round.
 * <pre>
 * OPENBLAS_CORETYPE=SkylakeX java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -XX:+UseParallelGC -cp mithril.jar dev.mithril.bench.jmh.GemmLayouts 1 1024x1024x1024 [f64]
 * </pre>
 */
public final class GemmLayouts {
    private static final int ROUNDS = 3, WARM = 3, WINDOWS = 6;

    private GemmLayouts() {}

    public static void main(String[] args) {
        if (args.length < 2 || args.length > 3 || !args[1].matches("\\d+x\\d+x\\d+") || args.length == 3 && !args[2].matches("f32|f64")) {
            throw new IllegalArgumentException("usage: GemmLayouts <threads> <MxNxK> [f32|f64]");
        }
        int threads = Integer.parseInt(args[0]);
        String[] p = args[1].split("x");
        int m = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]);
        boolean f64 = args.length == 3 && args[2].equals("f64");
        if (!NativeBlas.available()) throw new IllegalStateException(NativeBlas.loadError());
        Parallel.setThreads(threads);
        NativeBlas.setThreads(threads);
        Gemm.useNative(false);
        ThreadMXBean clock = ManagementFactory.getThreadMXBean();
        boolean cpuTime = threads == 1;
        System.out.printf("%s %s, %d thread(s), timed by %s; GFLOP/s ours / OpenBLAS (ratio), best of %d calls%n",
                f64 ? "float64" : "float32", args[1], threads, cpuTime ? "thread CPU time" : "wall time", WINDOWS);
        double flops = 2.0 * m * n * k;
        for (int round = -1; round < ROUNDS; round++) { // round -1 warms up every path and is not printed
            Random r = new Random(round);
            Operands o = new Operands(m, n, k, f64, r);
            StringBuilder line = new StringBuilder();
            for (int layout = 0; layout < 4; layout++) {
                boolean tA = layout >= 2, tB = layout % 2 == 1;
                double[] best = new double[2];
                for (int impl = 0; impl < 2; impl++) {
                    for (int w = 0; w < WARM; w++) o.call(impl == 1, tA, tB);
                    for (int w = 0; w < WINDOWS; w++) {
                        long t0 = cpuTime ? clock.getCurrentThreadCpuTime() : System.nanoTime();
                        o.call(impl == 1, tA, tB);
                        long dt = (cpuTime ? clock.getCurrentThreadCpuTime() : System.nanoTime()) - t0;
                        best[impl] = Math.max(best[impl], flops / Math.max(1, dt));
                    }
                }
                if (threads > 1) letOpenBlasThreadsSleep();
                line.append(String.format("%s%s %6.1f / %6.1f (%.2f)   ", tA ? "T" : "N", tB ? "T" : "N", best[0], best[1], best[0] / best[1]));
            }
            if (round >= 0) System.out.println(line.toString().strip());
        }
    }

    /** As in {@link GemmBenchmark}: OpenBLAS's workers spin for about 0.1 s after a call, on the cores ours needs next. */
    private static void letOpenBlasThreadsSleep() {
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One round's A, B and C, stored so that every layout reads the same memory: op(A) is m x k, op(B) k x n. */
    private static final class Operands {
        private final int m, n, k;
        private final float[] a, b, c;
        private final double[] a64, b64, c64;

        Operands(int m, int n, int k, boolean f64, Random r) {
            this.m = m;
            this.n = n;
            this.k = k;
            int sa = m * k, sb = k * n;
            if (f64) {
                a64 = new double[sa]; b64 = new double[sb]; c64 = new double[m * n];
                for (int i = 0; i < sa; i++) a64[i] = r.nextDouble() * 2 - 1;
                for (int i = 0; i < sb; i++) b64[i] = r.nextDouble() * 2 - 1;
                a = b = c = null;
            } else {
                a = new float[sa]; b = new float[sb]; c = new float[m * n];
                for (int i = 0; i < sa; i++) a[i] = r.nextFloat() * 2 - 1;
                for (int i = 0; i < sb; i++) b[i] = r.nextFloat() * 2 - 1;
                a64 = b64 = c64 = null;
            }
        }

        void call(boolean openBlas, boolean tA, boolean tB) {
            int lda = tA ? m : k, ldb = tB ? k : n;
            if (a64 != null) {
                if (openBlas) NativeBlas.dgemm(tA, tB, m, n, k, 1.0, a64, 0, lda, b64, 0, ldb, 0.0, c64, 0, n);
                else Gemm.dgemm(tA, tB, m, n, k, 1.0, a64, 0, lda, b64, 0, ldb, 0.0, c64, 0, n);
            } else if (openBlas) {
                NativeBlas.sgemm(tA, tB, m, n, k, 1f, a, 0, lda, b, 0, ldb, 0f, c, 0, n);
            } else {
                Gemm.sgemm(tA, tB, m, n, k, 1f, a, 0, lda, b, 0, ldb, 0f, c, 0, n);
            }
        }
    }
}
