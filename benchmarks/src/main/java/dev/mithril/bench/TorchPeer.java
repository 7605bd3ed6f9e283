package dev.mithril.bench;

import dev.mithril.examples.cli.Timing;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * PyTorch as a peer: {@code /usr/bin/python3} runs {@code torch_peer.py} (shipped in this jar) on the same
 * workload, batch, threads and protocol, and reports its per-call samples. The peer's environment (only its)
 * gets the configuration that gave PyTorch its best figures on the 2-core AVX-512 machine we measure on:
 * <ul>
 *   <li>{@code OPENBLAS_NUM_THREADS=1}: Debian's pthreads OpenBLAS otherwise starts threads beside torch's own
 *       pool and oversubscribes the cores;
 *   <li>{@code OMP_WAIT_POLICY=PASSIVE}: with two threads, torch's spinning OpenMP workers otherwise slow it
 *       down 3x (MLP inference at batch 128: 12.3k samples/s active, 37.6k passive);
 *   <li>{@code OPENBLAS_CORETYPE=SkylakeX} where the CPU has AVX-512 (override with
 *       {@code -Dmithril.peer.openblasCoretype=NAME}, or {@code none} to leave it to OpenBLAS): Debian's
 *       OpenBLAS 0.3.21 does not recognise newer Xeons and falls back to its SSE3 "Prescott" kernels
 *       (2.4x slower on the same MLP); {@code OPENBLAS_L2_SIZE} is removed.
 * </ul>
 */
final class TorchPeer {
    static final String PYTHON = "/usr/bin/python3";

    private final Path script;
    /** e.g. "1.13.1 threads=2"; set by {@link #probe()}. */
    private String version;

    private TorchPeer(Path script) { this.script = script; }

    /** The peer if python3 and torch are present; otherwise throws with the reason, for the report. */
    static TorchPeer probe() {
        if (!Files.isExecutable(Path.of(PYTHON))) throw new IllegalStateException(PYTHON + " is missing");
        Path script = writeScript();
        String out = exec(List.of(PYTHON, "-c", "import torch; print(torch.__version__)"), 120);
        TorchPeer p = new TorchPeer(script);
        p.version = out.strip();
        return p;
    }

    /**
     * The peer script, written from the jar into a new directory of its own: python puts the script's directory first
     * on its module path, so any stray {@code dis.py} or {@code random.py} beside it in a shared {@code /tmp} would be
     * imported in place of the standard library's (torch imports {@code dis}; a {@code /tmp/dis.py} once made every
     * peer run fail with an error about a file named after the model).
     */
    static Path writeScript() {
        try (InputStream in = TorchPeer.class.getResourceAsStream("torch_peer.py")) {
            if (in == null) throw new IllegalStateException("torch_peer.py is not in the benchmarks jar");
            Path dir = Files.createTempDirectory("mithril-torch-peer");
            Path script = dir.resolve("torch_peer.py");
            Files.write(script, in.readAllBytes());
            dir.toFile().deleteOnExit(); // deleted after the script, which is registered later
            script.toFile().deleteOnExit();
            return script;
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the peer script: " + e.getMessage(), e);
        }
    }

    String version() { return version; }

    /**
     * Times {@code w} at {@code batch} in PyTorch with {@code threads} threads, by the protocol of {@link Timing#measure}
     * with samples at least {@code minSampleNanos} long.
     */
    Timing.Samples measure(Workload w, int batch, int threads, int warmup, int runs, long minSampleNanos) {
        return parseSamples(exec(command(w, batch, threads, warmup, runs, minSampleNanos, false), 600));
    }

    /** Times one training step of {@code w} (forward, loss, backward, SGD with momentum) at {@code batch} in PyTorch. */
    Timing.Samples measureTraining(Workload w, int batch, int threads, int warmup, int runs, long minSampleNanos) {
        return parseSamples(exec(command(w, batch, threads, warmup, runs, minSampleNanos, true), 600));
    }

    private List<String> command(Workload w, int batch, int threads, int warmup, int runs, long minSampleNanos, boolean train) {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, script.toString(), w.id(), Integer.toString(batch),
                Integer.toString(threads), Integer.toString(warmup), Integer.toString(runs)));
        if (train) cmd.add("train");
        cmd.add("min_sample_ns=" + minSampleNanos);
        return cmd;
    }

    /** The {@code SAMPLES_NS} line (and {@code CALLS_PER_SAMPLE}, 1 when absent) of the script's output as samples. */
    static Timing.Samples parseSamples(String out) {
        int calls = 1;
        for (String line : out.split("\n")) {
            if (line.startsWith("CALLS_PER_SAMPLE ")) calls = Integer.parseInt(line.substring(17).trim());
            if (line.startsWith("SAMPLES_NS ")) {
                long[] ns = Arrays.stream(line.substring(11).trim().split("\\s+")).mapToLong(Long::parseLong).toArray();
                return new Timing.Samples(ns, calls);
            }
        }
        throw new IllegalStateException("the PyTorch peer printed no SAMPLES_NS line: " + out.strip());
    }

    private static String exec(List<String> cmd, int timeoutSeconds) {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        configure(env);
        try {
            Process p = pb.start();
            byte[] bytes = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " took longer than " + timeoutSeconds + " s");
            }
            String out = new String(bytes, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                String[] lines = out.strip().split("\n");
                throw new IllegalStateException(lines[lines.length - 1].strip() + " (exit " + p.exitValue() + ")");
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd.getFirst() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running the PyTorch peer", e);
        }
    }

    /**
     * Where {@code reference_models.py} (the zoo's PyTorch modules, timed for resnet18, resnet50 and transformer) is:
     * {@code -Dmithril.reference.dir}, else the environment's {@code MITHRIL_REFERENCE_DIR}, else {@code shared/reference}
     * under the working directory (the repository root, where {@code ./mithril} runs) or beside it.
     */
    static String referenceDir(Map<String, String> env) {
        String p = System.getProperty("mithril.reference.dir");
        if (p != null && !p.isBlank()) return p;
        String e = env.get("MITHRIL_REFERENCE_DIR");
        if (e != null && !e.isBlank()) return e;
        Path here = Path.of("shared", "reference").toAbsolutePath(), beside = Path.of("..", "shared", "reference").toAbsolutePath().normalize();
        return (Files.isDirectory(here) || !Files.isDirectory(beside) ? here : beside).toString();
    }

    /** Gives a PyTorch process's environment the configuration described in the class comment. */
    static void configure(Map<String, String> env) {
        env.put("MITHRIL_REFERENCE_DIR", referenceDir(env));
        env.put("OPENBLAS_NUM_THREADS", "1");
        env.put("OMP_WAIT_POLICY", "PASSIVE");
        env.remove("OPENBLAS_L2_SIZE");
        env.remove("OPENBLAS_CORETYPE");
        String core = openblasCoretype();
        if (core != null) env.put("OPENBLAS_CORETYPE", core);
    }

    /** The OpenBLAS kernel to ask for: the system property, else SkylakeX on AVX-512 CPUs, else none. */
    static String openblasCoretype() {
        String p = System.getProperty("mithril.peer.openblasCoretype");
        if (p != null) return p.equals("none") ? null : p;
        try {
            return java.nio.file.Files.readString(Path.of("/proc/cpuinfo")).contains(" avx512f") ? "SkylakeX" : null;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /** How the peer's environment is set, for the report. */
    static String environmentNote() {
        String core = openblasCoretype();
        return "OPENBLAS_NUM_THREADS=1, OMP_WAIT_POLICY=PASSIVE, " + (core == null ? "OPENBLAS_CORETYPE unset" : "OPENBLAS_CORETYPE=" + core)
                + ", OPENBLAS_L2_SIZE unset";
    }
}
