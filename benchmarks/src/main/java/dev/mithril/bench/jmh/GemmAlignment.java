package dev.mithril.bench.jmh;

import dev.mithril.runtime.Epilogue;
import dev.mithril.runtime.Gemm;
import dev.mithril.runtime.NativeBlas;
import dev.mithril.runtime.PackedWeights;
import dev.mithril.runtime.Parallel;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;

/**
 * How a small product's time depends on where its operands start against 64-byte cache lines, for our SGEMM and for
 * OpenBLAS on the very same arrays, on one thread. Java gives no control over that: a heap array's elements start 16
 * bytes after an object boundary that is 8-byte aligned, so a float array starts at one of eight offsets against a
 * line, and a 16-float vector load that does not start on a line reads two. The product {@code C = X * W^T} is run
 * with X starting 0, 2, ..., 14 floats into one array and W likewise into another (the eight 8-byte offsets, whatever
 * the arrays' own offsets are), and the table gives microseconds per call, ours / OpenBLAS's, best of five windows
 * of thread CPU time. Rows whose lines are all aligned show as one fast row (X) and one fast column (W). With a
 * second argument {@code packed}, ours is {@link Gemm#linear} with the weights packed once (what Full-level models
 * call; the packed copy lies on a line wherever W starts) instead of {@link Gemm#sgemm}.
 * <pre>
 * OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 java --add-modules jdk.incubator.vector \
 *     --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -cp mithril.jar dev.mithril.bench.jmh.GemmAlignment 32x10x256
 * </pre>
 */
public final class GemmAlignment {
    private GemmAlignment() {}

    public static void main(String[] args) {
        if (args.length < 1 || args.length > 2 || !args[0].matches("\\d+x\\d+x\\d+")
                || args.length == 2 && !args[1].equals("packed")) {
            throw new IllegalArgumentException("usage: GemmAlignment <MxNxK> [packed]");
        }
        boolean packed = args.length == 2;
        String[] p = args[0].split("x");
        int m = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]);
        if (!NativeBlas.available()) throw new IllegalStateException(NativeBlas.loadError());
        Parallel.setThreads(1);
        NativeBlas.setThreads(1);
        Gemm.useNative(false);
        Random r = new Random(42);
        float[] x = new float[m * k + 16], w = new float[n * k + 16], c = new float[m * n];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() * 2 - 1;
        // ours with packed weights: one packing per offset of W, made before any timing
        PackedWeights[] pw = new PackedWeights[8];
        if (packed) for (int wo = 0; wo < 16; wo += 2) pw[wo / 2] = Gemm.pack(w, wo, n, k);
        ThreadMXBean clock = ManagementFactory.getThreadMXBean();
        int calls = (int) Math.max(1, 2e8 / (2.0 * m * n * k));
        System.out.printf("%s%s, one thread: microseconds per call, ours / OpenBLAS, X (rows) and W (columns) starting"
                + " that many floats into their arrays%n%6s", args[0], packed ? " (ours: linear, packed weights)" : "", "X \\ W");
        for (int wo = 0; wo < 16; wo += 2) System.out.printf("  %11d", wo);
        System.out.println();
        for (int i = 0; i < 20; i++) { // both compiled and warm before the first placement is timed
            perCall(clock, calls, false, pw, m, n, k, x, 0, w, 0, c);
            perCall(clock, calls, true, pw, m, n, k, x, 0, w, 0, c);
        }
        double[] ratios = new double[64];
        for (int xo = 0; xo < 16; xo += 2) {
            System.out.printf("%6d", xo);
            for (int wo = 0; wo < 16; wo += 2) {
                double ours = Double.MAX_VALUE, theirs = Double.MAX_VALUE;
                for (int round = 0; round < 5; round++) {
                    ours = Math.min(ours, perCall(clock, calls, false, pw, m, n, k, x, xo, w, wo, c));
                    theirs = Math.min(theirs, perCall(clock, calls, true, pw, m, n, k, x, xo, w, wo, c));
                }
                ratios[xo / 2 * 8 + wo / 2] = theirs / ours;
                System.out.printf("  %5.2f/%5.2f", ours / 1e3, theirs / 1e3);
            }
            System.out.println();
        }
        Arrays.sort(ratios);
        System.out.printf("ours / OpenBLAS in speed over the 64 placements: median %.2f, from %.2f to %.2f%n",
                (ratios[31] + ratios[32]) / 2, ratios[0], ratios[63]);
    }

    /** Nanoseconds per call of one window of {@code calls} calls, after as many untimed. */
    private static double perCall(ThreadMXBean clock, int calls, boolean openblas, PackedWeights[] pw, int m, int n, int k,
                                  float[] x, int xo, float[] w, int wo, float[] c) {
        for (int i = 0; i < 2 * calls; i++) call(openblas, pw, m, n, k, x, xo, w, wo, c);
        long t0 = clock.getCurrentThreadCpuTime();
        for (int i = 0; i < calls; i++) call(openblas, pw, m, n, k, x, xo, w, wo, c);
        return (double) (clock.getCurrentThreadCpuTime() - t0) / calls;
    }

    /** One product; ours through {@link Gemm#linear} when {@code pw} holds packed weights (null entries: sgemm). */
    private static void call(boolean openblas, PackedWeights[] pw, int m, int n, int k, float[] x, int xo, float[] w, int wo,
                             float[] c) {
        if (openblas) NativeBlas.sgemm(false, true, m, n, k, 1f, x, xo, k, w, wo, k, 0f, c, 0, n);
        else if (pw[wo / 2] != null) Gemm.linear(x, xo, m, pw[wo / 2], null, Epilogue.NONE, c, 0);
        else Gemm.sgemm(false, true, m, n, k, 1f, x, xo, k, w, wo, k, 0f, c, 0, n);
    }
}
