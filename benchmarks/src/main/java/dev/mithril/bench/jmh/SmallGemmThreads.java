package dev.mithril.bench.jmh;

import dev.mithril.runtime.Epilogue;
import dev.mithril.runtime.Gemm;
import dev.mithril.runtime.NativeBlas;
import dev.mithril.runtime.PackedWeights;
import dev.mithril.runtime.Parallel;
import java.util.Random;

/**
 * Nanoseconds per call of a product short enough that a parallel region's own cost matters (the classifier layer,
 * 32 x 10 x 256, takes 1.5 µs), on a chosen number of threads: {@code C = X * W^T} by {@link Gemm#sgemm}, by
 * {@link Gemm#linear} with the weights packed once, and by OpenBLAS (whose small-matrix kernel runs on one thread
 * whatever it is told), on the same arrays. Each round times five windows of calls per implementation, one after the
 * other, by wall time (a region's cost is the time its caller waits); each line gives the best window of each and
 * OpenBLAS's time over ours. The JVM's own placement of the threads moves these figures by 10-20% between runs, so
 * compare jars by alternating runs of this, not by one run each.
 * <pre>
 * OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 java --add-modules jdk.incubator.vector \
 *     --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -cp mithril.jar dev.mithril.bench.jmh.SmallGemmThreads 2 32x10x256
 * </pre>
 */
public final class SmallGemmThreads {
    private SmallGemmThreads() {}

    public static void main(String[] args) {
        if (args.length < 2 || args.length > 3 || !args[0].matches("\\d+") || !args[1].matches("\\d+x\\d+x\\d+")
                || args.length == 3 && !args[2].matches("\\d+")) {
            throw new IllegalArgumentException("usage: SmallGemmThreads <threads> <MxNxK> [rounds]");
        }
        int threads = Integer.parseInt(args[0]), rounds = args.length == 3 ? Integer.parseInt(args[2]) : 3;
        String[] p = args[1].split("x");
        int m = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]);
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        if (!NativeBlas.available()) throw new IllegalStateException(NativeBlas.loadError());
        Parallel.setThreads(threads);
        NativeBlas.setThreads(1);
        Gemm.useNative(false);
        Random r = new Random(42);
        float[] x = new float[m * k], w = new float[n * k], c = new float[m * n];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() * 2 - 1;
        PackedWeights packed = Gemm.pack(w, 0, n, k);
        int calls = (int) Math.max(100, Math.min(1e6, 3e10 / (2.0 * m * n * k))); // windows of about 0.2 s
        System.out.printf("%s on %d thread(s): nanoseconds per call, best of 5 windows of %d calls (wall time)%n",
                args[1], threads, calls);
        for (int round = 0; round < rounds + 1; round++) { // the first round warms all three up and is not printed
            double sgemm = best(0, calls, m, n, k, x, w, packed, c);
            double linear = best(1, calls, m, n, k, x, w, packed, c);
            double openblas = best(2, calls, m, n, k, x, w, packed, c);
            if (round == 0) continue;
            System.out.printf("sgemm %6.0f  linear (packed) %6.0f  OpenBLAS %6.0f   OpenBLAS / sgemm %.2f  OpenBLAS / linear %.2f%n",
                    sgemm, linear, openblas, openblas / sgemm, openblas / linear);
        }
    }

    private static double best(int which, int calls, int m, int n, int k, float[] x, float[] w, PackedWeights packed, float[] c) {
        double best = Double.MAX_VALUE;
        for (int window = 0; window < 5; window++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                switch (which) {
                    case 0 -> Gemm.sgemm(false, true, m, n, k, 1f, x, 0, k, w, 0, k, 0f, c, 0, n);
                    case 1 -> Gemm.linear(x, 0, m, packed, null, Epilogue.NONE, c, 0);
                    default -> NativeBlas.sgemm(false, true, m, n, k, 1f, x, 0, k, w, 0, k, 0f, c, 0, n);
                }
            }
            best = Math.min(best, (double) (System.nanoTime() - t0) / calls);
        }
        return best;
    }
}
