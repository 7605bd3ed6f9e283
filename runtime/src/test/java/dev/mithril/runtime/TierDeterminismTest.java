package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The kernels that sum lanes or take exponentials give the same bits whether the JVM runs them compiled by C2 or not.
 * This JVM warms them up until C2 has compiled them; a second JVM runs them once with {@code -XX:TieredStopAtLevel=1},
 * where the Vector API runs its Java implementation throughout. With {@code reduceLanes(ADD)} and
 * {@code lanewise(EXP)} the two disagree in the last bits ({@link VectorMath} says how often); each kernel's results
 * are compared as a hash of their bits, by name.
 */
class TierDeterminismTest {

    /** Each kernel's output bits, hashed, in a fixed order; the same inputs on every call. */
    static Map<String, Long> hashes() {
        Map<String, Long> h = new LinkedHashMap<>();
        int before = Parallel.threads();
        try {
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                String t = " on " + threads + " thread(s)";
                // the dot path's blocks: 4 x 5 (interleaved and in place), 4 x 4, 8 x 2 and 16 x 1 at the edges, 2 x 5 and 1 x 5
                // below, k past the last whole vector; 4 x 2 where there are 16 vector registers
                for (int[] mnk : new int[][] {{32, 10, 256}, {40, 50, 300}, {3, 7, 1000}, {37, 9, 130}, {20, 7, 200}, {33, 6, 100}}) {
                    int m = mnk[0], n = mnk[1], k = mnk[2];
                    float[] a = Ref.randomArray(1, m * k), b = Ref.randomArray(2, n * k), c = new float[m * n];
                    Gemm.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, c, 0, n);
                    h.put("sgemm NT " + m + "x" + n + "x" + k + t, hash(c));
                    double[] ad = toDouble(a), bd = toDouble(b), cd = new double[m * n];
                    Gemm.dgemm(false, true, m, n, k, 1.0, ad, 0, k, bd, 0, k, 0.0, cd, 0, n);
                    h.put("dgemm NT " + m + "x" + n + "x" + k + t, hash(cd));
                    PackedWeights w = Gemm.pack(b, 0, n, k);
                    float[] y = new float[m * n];
                    Gemm.linear(a, 0, m, w, Ref.randomArray(3, n), Epilogue.BIAS_GELU, y, 0);
                    h.put("linear + bias + gelu " + m + "x" + n + "x" + k + t, hash(y));
                }
                Tensor x = Tensor.random(4, 7, 300);
                h.put("softmax" + t, hash(Kernels.softmax(x, 1).data()));
                h.put("log-softmax" + t, hash(LogSoftmax.apply(x, 1).data()));
                h.put("gelu" + t, hash(Kernels.gelu(x).data()));
                h.put("sigmoid" + t, hash(Kernels.sigmoid(x).data()));
                h.put("tanh" + t, hash(Kernels.tanh(x).data()));
                h.put("sum" + t, hash(Kernels.sum(x, new int[] {1}, false).data()));
                Norms.Result ln = Norms.layerNorm(x, new int[] {300}, Tensor.random(5, 300), Tensor.random(6, 300), 1e-5);
                h.put("layer norm" + t, hash(ln.out().data()) * 31 + hash(ln.invStd().data()));
                Tensor qkv = Tensor.random(7, 2, 37, 3 * 64);
                Attention.Result at = Attention.forwardFused(qkv, 4);
                h.put("attention" + t, hash(at.out().data()) * 31 + hash(at.lse().data()));
                Tensor dqkv = Attention.backwardFused(qkv, 4, at.out(), at.lse(), Tensor.random(8, 2, 37, 64));
                h.put("attention backward" + t, hash(dqkv.data()));
            }
        } finally {
            Parallel.setThreads(before);
        }
        return h;
    }

    private static long hash(float[] v) {
        long s = 17;
        for (float f : v) s = s * 1_000_003 + Float.floatToRawIntBits(f);
        return s;
    }

    private static long hash(double[] v) {
        long s = 17;
        for (double d : v) s = s * 1_000_003 + Double.doubleToRawLongBits(d);
        return s;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** The second JVM: one line per kernel, "hash name". */
    public static void main(String[] args) {
        hashes().forEach((name, hash) -> System.out.println(hash + " " + name));
    }

    @Test
    void compiledAndInterpretedVectorCodeGiveTheSameBits() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
        Map<String, Long> compiled = null;
        for (int calls = 0; calls < 1000 && (calls < 200 || System.nanoTime() < deadline); calls++) compiled = hashes();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // the same vector width, modules and settings as this JVM, never its debugger or its heap
            if (arg.startsWith("-XX:UseAVX") || arg.startsWith("-XX:MaxVectorSize") || arg.startsWith("-Dmithril.")
                    || arg.startsWith("--add-modules") || arg.startsWith("--enable-native-access")) cmd.add(arg);
        }
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-XX:TieredStopAtLevel=1", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), TierDeterminismTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the second JVM finished");
        assertEquals(0, p.exitValue(), "the second JVM's exit status; it printed:\n" + out);
        Map<String, Long> interpreted = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0 && line.substring(0, sp).matches("-?\\d+")) interpreted.put(line.substring(sp + 1), Long.parseLong(line.substring(0, sp)));
        }
        assertEquals(compiled.keySet(), interpreted.keySet(), "the same kernels ran; the second JVM printed:\n" + out);
        List<String> differ = new ArrayList<>();
        compiled.forEach((name, hash) -> { if (!hash.equals(interpreted.get(name))) differ.add(name); });
        assertEquals(List.of(), differ, "kernels whose bits differ between C2's code and the Vector API's Java code");
    }
}
