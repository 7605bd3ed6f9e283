package dev.mithril.bench;

import dev.mithril.runtime.Attention;
import dev.mithril.runtime.Parallel;
import dev.mithril.runtime.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Times the fused causal attention kernels ({@link Attention#forwardFused}, {@link Attention#backwardFused}) at
 * the GPT decoder's shapes (8 heads, width 512) against nanoGPT's PyTorch attention, run by
 * {@code benchmarks/torch_attention.py} as a subprocess right after each Java measurement so both see the
 * same machine load. Reports the median of N timed calls after warm-up and the ratio torch / ours (above 1
 * means ours is faster), then the same for the minimum, which load from other processes disturbs less.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... dev.mithril.bench.AttentionLayers [threads] [runs] [script]
 * </pre>
 *
 * <p>PyTorch runs with the environment of {@link TorchPeer#configure} (its best configuration here).
 */
public final class AttentionLayers {
    private static final int HEADS = 8, WIDTH = 512;
    /** {B, T} pairs. */
    private static final int[][] SHAPES = {{1, 128}, {16, 128}, {1, 1024}, {4, 1024}};
    private static final Pattern TORCH = Pattern.compile("TORCH fwd_ms=([0-9.]+) bwd_ms=([0-9.]+) fwd_min_ms=([0-9.]+) bwd_min_ms=([0-9.]+)");

    private AttentionLayers() {}

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 21;
        Path script = Path.of(args.length > 2 ? args[2] : "benchmarks/torch_attention.py");
        Parallel.setThreads(threads);
        System.out.printf("attention, %d heads, width %d, %d threads, median of %d; torch with %s%n", HEADS, WIDTH, threads, runs,
                TorchPeer.environmentNote());
        System.out.printf("%-14s %-6s %12s %12s %8s %12s %12s %8s%n", "shape", "stat", "ours fwd ms", "torch fwd", "ratio", "ours bwd ms",
                "torch bwd", "ratio");
        for (int[] s : SHAPES) {
            int b = s[0], t = s[1];
            int n = t >= 1024 ? Math.max(5, runs / 3) : runs;
            Tensor qkv = Tensor.randn(1, b, t, 3 * WIDTH), dOut = Tensor.randn(2, b, t, WIDTH);
            Attention.Result r = Attention.forwardFused(qkv, HEADS);
            double[] fwd = timedMs(() -> Attention.forwardFused(qkv, HEADS), n);
            double[] bwd = timedMs(() -> Attention.backwardFused(qkv, HEADS, r.out(), r.lse(), dOut), n);
            double[] torch = torch(script, b, t, n);
            String shape = String.format("B=%d T=%d", b, t);
            System.out.printf("%-14s %-6s %12.3f %12.3f %8.2f %12.3f %12.3f %8.2f%n", shape, "median", fwd[0], torch[0], torch[0] / fwd[0],
                    bwd[0], torch[1], torch[1] / bwd[0]);
            System.out.printf("%-14s %-6s %12.3f %12.3f %8.2f %12.3f %12.3f %8.2f%n", "", "min", fwd[1], torch[2], torch[2] / fwd[1],
                    bwd[1], torch[3], torch[3] / bwd[1]);
        }
    }

    /** Median and minimum milliseconds of {@code runs} calls, after at least 1.5 s and 5 calls of warm-up. */
    private static double[] timedMs(Runnable call, int runs) {
        long warmUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        int warm = 0;
        while (warm < 5 || System.nanoTime() < warmUntil) { call.run(); warm++; }
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            call.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return new double[] {ms[runs / 2], ms[0]};
    }

    private static double[] torch(Path script, int b, int t, int runs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", script.toString(), Integer.toString(b), Integer.toString(t),
                Integer.toString(HEADS), Integer.toString(WIDTH), Integer.toString(Math.max(3, runs / 2)), Integer.toString(runs)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        TorchPeer.configure(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException("torch_attention.py failed:\n" + out);
        Matcher m = TORCH.matcher(out);
        if (!m.find()) throw new IllegalStateException("torch_attention.py printed no timing:\n" + out);
        double[] r = new double[4];
        for (int i = 0; i < 4; i++) r[i] = Double.parseDouble(m.group(i + 1));
        return r;
    }
}
