package dev.mithril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exit codes and parsing that run no model, so nothing is timed. */
class BenchCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    private int run(String... args) {
        return new BenchCommand(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(args);
    }

    @Test
    void generationWithoutTheTransformerMeasuresNothingAndSaysWhy() {
        assertEquals(1, run("--mode", "generation", "--model", "mlp", "--format", "markdown", "--out", "none"));
        String s = out.toString(StandardCharsets.UTF_8);
        assertTrue(s.contains("generation: only the transformer generates"), s);
    }

    @Test
    void outWritesEveryFormatAndAPlotPerKind(@TempDir Path dir) throws Exception {
        assertEquals(0, run("--model", "linear", "--level", "none,full", "--batch-sizes", "2", "--runs", "1", "--warmup", "0",
                "--warmup-ms", "0", "--mode", "inference,training,memory,scaling", "--out", dir.toString()));
        for (String f : new String[] {"report.txt", "report.md", "report.csv", "report.json", "inference_linear.png",
                "levels_linear.png", "training_linear.png", "memory_linear.png", "scaling_linear.png"}) {
            Path p = dir.resolve(f);
            assertTrue(Files.isRegularFile(p) && Files.size(p) > 0, f + " was not written");
        }
        byte[] png = Files.readAllBytes(dir.resolve("levels_linear.png"));
        assertEquals(0x89, png[0] & 0xff, "a PNG file");
        assertEquals('P', png[1]);
        String md = Files.readString(dir.resolve("report.md"));
        for (String title : new String[] {"### Inference", "### Optimization levels", "### Cross-framework", "### Harness overhead",
                "### Training step", "### Memory", "### Thread scaling"}) {
            assertTrue(md.contains(title), title + " missing from\n" + md);
        }
    }

    @Test
    void torchSamplesAreParsed() {
        var s = TorchPeer.parseSamples("TORCH 1.13.0 threads=2\nSAMPLES_NS 30 10 20\n");
        assertEquals(20.0, s.medianNanos());
        assertEquals(3, s.nanos().length);
        assertEquals(1, s.calls(), "no CALLS_PER_SAMPLE line: one call each");
        var grouped = TorchPeer.parseSamples("TORCH 1.13.0 threads=2\nCALLS_PER_SAMPLE 64\nSAMPLES_NS 7 5\n");
        assertEquals(64, grouped.calls());
        assertEquals(6.0, grouped.medianNanos());
    }

    @Test
    void thePeerScriptIsAloneInItsDirectory() throws Exception {
        // python imports from the script's directory first; a stray dis.py beside it in /tmp broke every peer run
        Path script = TorchPeer.writeScript();
        try (var files = Files.list(script.getParent())) {
            assertEquals(List.of(script), files.toList(), "only the script in its directory");
        }
        assertTrue(Files.readString(script).contains("SAMPLES_NS"), "the peer script from the jar");
        Path other = TorchPeer.writeScript();
        assertTrue(!other.getParent().equals(script.getParent()), "a new directory each time");
    }

    @Test
    void workloadsKnowTheirShapes() {
        assertEquals("784 / 10", Workload.MLP.ioSize());
        assertEquals(784L * 1024 + 1024 + 1024 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10, Workload.MLP.parameterCount());
        assertEquals(1024L * 1024 + 1024, Workload.LINEAR.parameterCount());
    }
}
