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
 * gets {@code OPENBLAS_NUM_THREADS=1} and loses {@code OPENBLAS_CORETYPE}/{@code OPENBLAS_L2_SIZE}: Debian's
 * pthreads OpenBLAS otherwise starts threads beside torch's own pool and oversubscribes the cores.
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
        Path script;
        try (InputStream in = TorchPeer.class.getResourceAsStream("torch_peer.py")) {
            if (in == null) throw new IllegalStateException("torch_peer.py is not in the benchmarks jar");
            script = Files.createTempFile("mithril-torch-peer", ".py");
            script.toFile().deleteOnExit();
            Files.write(script, in.readAllBytes());
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the peer script: " + e.getMessage(), e);
        }
        String out = exec(List.of(PYTHON, "-c", "import torch; print(torch.__version__)"), 120);
        TorchPeer p = new TorchPeer(script);
        p.version = out.strip();
        return p;
    }

    String version() { return version; }

    /** Times {@code w} at {@code batch} in PyTorch with {@code threads} threads. */
    Timing.Samples measure(Workload w, int batch, int threads, int warmup, int runs) {
        String out = exec(List.of(PYTHON, script.toString(), w.id(), Integer.toString(batch), Integer.toString(threads),
                Integer.toString(warmup), Integer.toString(runs)), 600);
        return parseSamples(out);
    }

    /** Times one training step of {@code w} (forward, loss, backward, SGD with momentum) at {@code batch} in PyTorch. */
    Timing.Samples measureTraining(Workload w, int batch, int threads, int warmup, int runs) {
        String out = exec(List.of(PYTHON, script.toString(), w.id(), Integer.toString(batch), Integer.toString(threads),
                Integer.toString(warmup), Integer.toString(runs), "train"), 600);
        return parseSamples(out);
    }

    /** The {@code SAMPLES_NS} line of the script's output as samples. */
    static Timing.Samples parseSamples(String out) {
        for (String line : out.split("\n")) {
            if (line.startsWith("SAMPLES_NS ")) {
                long[] ns = Arrays.stream(line.substring(11).trim().split("\\s+")).mapToLong(Long::parseLong).toArray();
                return new Timing.Samples(ns);
            }
        }
        throw new IllegalStateException("the PyTorch peer printed no SAMPLES_NS line: " + out.strip());
    }

    private static String exec(List<String> cmd, int timeoutSeconds) {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("OPENBLAS_NUM_THREADS", "1");
        env.remove("OPENBLAS_CORETYPE");
        env.remove("OPENBLAS_L2_SIZE");
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
}
