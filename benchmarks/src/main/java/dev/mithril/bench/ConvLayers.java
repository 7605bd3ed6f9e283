package dev.mithril.bench;

import dev.mithril.examples.cli.Timing;
import dev.mithril.runtime.Conv2d;
import dev.mithril.runtime.Epilogue;
import dev.mithril.runtime.Gemm;
import dev.mithril.runtime.PackedConv2d;
import dev.mithril.runtime.Parallel;
import dev.mithril.runtime.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Times {@link Conv2d} on ResNet-18's convolution layers (224x224 input), forward and both gradients, against
 * PyTorch on the same layers in the same sitting, alternating layer by layer: our timings, then
 * {@code benchmarks/torch_conv_layers.py} as a subprocess for the same layer, and one table row per direction (plus
 * our forward pass with a pre-packed weight beside PyTorch's forward).
 * Protocol on both sides: warm-up calls, then the median of timed calls; outputs are written into
 * preallocated tensors on our side (as generated code does). {@code --native} times our kernels over OpenBLAS
 * ({@link Gemm#useNative}) instead of the Java GEMM; {@code --threads} sets both sides' thread count (default:
 * {@link Parallel#threads()}); {@code --rounds R} times each layer R times on both sides, alternating, and keeps each
 * side's best median (for a shared, noisy machine).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp mithril.jar dev.mithril.bench.ConvLayers [--batches 1,32]
 *     [--runs 15,3] [--warmup 10,2] [--rounds 1] [--script benchmarks/torch_conv_layers.py] [--threads 2] [--no-torch] [--native]
 *     [--layers name,...]
 * </pre>
 */
public final class ConvLayers {
    /** A ResNet-18 convolution: name, in and out channels, square kernel, stride, padding, square input size. */
    record Layer(String name, int cin, int cout, int k, int stride, int pad, int size) {}

    /** The same table, in the same order, as LAYERS in torch_conv_layers.py. */
    static final List<Layer> LAYERS = List.of(
            new Layer("conv1_7x7s2_3-64_224", 3, 64, 7, 2, 3, 224),
            new Layer("layer1_3x3_64-64_56", 64, 64, 3, 1, 1, 56),
            new Layer("layer2_3x3s2_64-128_56", 64, 128, 3, 2, 1, 56),
            new Layer("layer2_3x3_128-128_28", 128, 128, 3, 1, 1, 28),
            new Layer("layer2_1x1s2_64-128_56", 64, 128, 1, 2, 0, 56),
            new Layer("layer3_3x3s2_128-256_28", 128, 256, 3, 2, 1, 28),
            new Layer("layer3_3x3_256-256_14", 256, 256, 3, 1, 1, 14),
            new Layer("layer3_1x1s2_128-256_28", 128, 256, 1, 2, 0, 28),
            new Layer("layer4_3x3s2_256-512_14", 256, 512, 3, 2, 1, 14),
            new Layer("layer4_3x3_512-512_7", 512, 512, 3, 1, 1, 7),
            new Layer("layer4_1x1s2_256-512_14", 256, 512, 1, 2, 0, 14));
    /**
     * Our rows per layer. {@code forward_prepacked} is the forward pass with the weight from {@link Conv2d#prepack} (as
     * generated code at the Full level can hold it), compared with PyTorch's plain forward; it is counted apart from the
     * three directions PyTorch has.
     */
    static final List<String> DIRECTIONS = List.of("forward", "forward_prepacked", "grad_input", "grad_weight");
    private static final String PREPACKED = "forward_prepacked";

    private static boolean torchVersionShown;

    private ConvLayers() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        int[] batches = ints(opt.getOrDefault("batches", "1,32"));
        int[] runs = ints(opt.getOrDefault("runs", "15,3"));
        int[] warmup = ints(opt.getOrDefault("warmup", "10,2"));
        String script = opt.getOrDefault("script", "benchmarks/torch_conv_layers.py");
        boolean torch = !opt.containsKey("no-torch");
        int rounds = Integer.parseInt(opt.getOrDefault("rounds", "1"));
        if (rounds < 1) throw new IllegalArgumentException("ConvLayers: --rounds must be at least 1, got " + rounds);
        List<String> only = opt.containsKey("layers") ? List.of(opt.get("layers").split(",")) : null;
        if (opt.containsKey("threads")) Parallel.setThreads(Integer.parseInt(opt.get("threads")));
        System.out.printf("ConvLayers: %d threads, %s%n", Parallel.threads(), System.getProperty("java.vm.version"));
        if (opt.containsKey("native") && !Gemm.useNative(true)) throw new IllegalStateException("ConvLayers: --native but OpenBLAS is not available");
        System.out.printf("GEMM: %s%n", Gemm.implementation());
        for (int b = 0; b < batches.length; b++) {
            int batch = batches[b], r = runs[Math.min(b, runs.length - 1)], w = warmup[Math.min(b, warmup.length - 1)];
            System.out.printf("%nbatch %d (warm-up %d, median of %d, best of %d rounds; ratio = torch / mithril, above 1: we are faster)%n",
                    batch, w, r, rounds);
            System.out.printf("%-26s %-17s %12s %12s %8s %8s%n", "layer", "direction", "mithril ms", "torch ms", "ratio", "GFLOP/s");
            int faster = 0, total = 0, prepackedFaster = 0, prepackedTotal = 0;
            for (Layer l : LAYERS) {
                if (only != null && !only.contains(l.name())) continue;
                // Alternate layer by layer: on a shared machine, both sides then see about the same load. With several
                // rounds, each side keeps its best median, so that a burst of load in one round counts for neither.
                double[] ours = null;
                Map<String, Double> theirs = new LinkedHashMap<>();
                for (int round = 0; round < rounds; round++) {
                    double[] o = measure(l, batch, w, r);
                    if (ours == null) ours = o;
                    else for (int d = 0; d < ours.length; d++) ours[d] = Math.min(ours[d], o[d]);
                    if (torch) runTorch(script, batch, w, r, l.name()).forEach((k, v) -> theirs.merge(k, v, Math::min));
                }
                for (int d = 0; d < DIRECTIONS.size(); d++) {
                    boolean prepacked = DIRECTIONS.get(d).equals(PREPACKED);
                    Double t = theirs.get(l.name() + " " + (prepacked ? "forward" : DIRECTIONS.get(d)));
                    double gflops = 2.0 * batch * l.cout() * l.cin() * l.k() * l.k() * out(l) * out(l) / (ours[d] * 1e6);
                    if (t != null && prepacked) { prepackedTotal++; if (t >= ours[d]) prepackedFaster++; }
                    else if (t != null) { total++; if (t >= ours[d]) faster++; }
                    System.out.printf("%-26s %-17s %12.3f %12s %8s %8.1f%n", l.name(), DIRECTIONS.get(d), ours[d],
                            t == null ? "-" : String.format("%.3f", t), t == null ? "-" : String.format("%.2f", t / ours[d]), gflops);
                }
            }
            if (total > 0) {
                System.out.printf("batch %d: mithril faster or equal on %d of %d; with the pre-packed forward, on %d of %d forward rows%n",
                        batch, faster, total, prepackedFaster, prepackedTotal);
            }
        }
    }

    static int out(Layer l) { return (l.size() + 2 * l.pad() - l.k()) / l.stride() + 1; }

    /**
     * Median milliseconds of each of {@link #DIRECTIONS}. The weight is packed after the unpacked directions are timed,
     * so that none of them runs beside a second copy of the weight that it does not use.
     */
    static double[] measure(Layer l, int batch, int warmup, int runs) {
        Tensor x = Tensor.randn(1, batch, l.cin(), l.size(), l.size());
        Tensor w = Tensor.randn(2, l.cout(), l.cin(), l.k(), l.k());
        int[] ys = Conv2d.outputShape(x.shape(), w.shape(), l.stride(), l.stride(), l.pad(), l.pad(), 1, 1, 1);
        Tensor y = Tensor.zeros(ys), gy = Tensor.randn(3, ys), gx = Tensor.zeros(x.shape()), gw = Tensor.zeros(w.shape());
        Conv2d.Algorithm a = Conv2d.choose(x.shape(), w.shape(), l.stride(), l.stride(), l.pad(), l.pad(), 1, 1, 1);
        int s = l.stride(), p = l.pad();
        double forward = medianMs(() -> Conv2d.conv2dInto(x, w, null, s, s, p, p, 1, 1, 1, a, y), warmup, runs);
        double gradInput = medianMs(() -> Conv2d.conv2dBackwardInputInto(gy, w, s, s, p, p, 1, 1, 1, a, gx), warmup, runs);
        double gradWeight = medianMs(() -> Conv2d.conv2dBackwardWeightInto(gy, x, s, s, p, p, 1, 1, 1, a, gw), warmup, runs);
        PackedConv2d packed = Conv2d.prepack(w, 1);
        double prepacked = medianMs(() -> Conv2d.conv2dInto(x, packed, null, s, s, p, p, 1, 1, null, Epilogue.NONE, y), warmup, runs);
        return new double[] {forward, prepacked, gradInput, gradWeight};
    }

    /** Warm-up calls, then the median of {@code runs} timed calls, in milliseconds. */
    private static double medianMs(Runnable f, int warmup, int runs) {
        return Timing.measure(warmup, runs, f, Timing.SYSTEM).medianMillis();
    }

    /** Runs the PyTorch script with the environment TorchPeer uses, and reads its LAYER lines. */
    static Map<String, Double> runTorch(String script, int batch, int warmup, int runs, String layer) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(TorchPeer.PYTHON, script, Integer.toString(batch), Integer.toString(warmup),
                Integer.toString(runs), Integer.toString(Parallel.threads()), layer).redirectErrorStream(true);
        TorchPeer.configure(pb.environment());
        Process proc = pb.start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (proc.waitFor() != 0) throw new IllegalStateException(script + " failed:\n" + out);
        Map<String, Double> m = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("TORCH ") && !torchVersionShown) { System.out.println(line); torchVersionShown = true; }
            if (!line.startsWith("LAYER ")) continue;
            String[] f = line.trim().split("\\s+");
            m.put(f[1] + " " + f[2], Double.parseDouble(f[3]));
        }
        return m;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("ConvLayers: unexpected argument " + args[i]);
            String k = args[i].substring(2);
            if (k.equals("no-torch") || k.equals("native")) m.put(k, "");
            else if (i + 1 < args.length) m.put(k, args[++i]);
            else throw new IllegalArgumentException("ConvLayers: --" + k + " needs a value");
        }
        return m;
    }

    private static int[] ints(String csv) { return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray(); }

}
