package dev.mithril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Exit codes and parsing that run no model, so nothing is timed. */
class BenchCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    private int run(String... args) {
        return new BenchCommand(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(args);
    }

    @Test
    void generationWithoutTheTransformerMeasuresNothingAndSaysWhy() {
        assertEquals(1, run("--mode", "generation", "--model", "mlp", "--format", "markdown"));
        String s = out.toString(StandardCharsets.UTF_8);
        assertTrue(s.contains("generation: only the transformer generates"), s);
    }

    @Test
    void torchSamplesAreParsed() {
        var s = TorchPeer.parseSamples("TORCH 1.13.0 threads=2\nSAMPLES_NS 30 10 20\n");
        assertEquals(20.0, s.medianNanos());
        assertEquals(3, s.nanos().length);
    }

    @Test
    void workloadsKnowTheirShapes() {
        assertEquals("784 / 10", Workload.MLP.ioSize());
        assertEquals(784L * 1024 + 1024 + 1024 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10, Workload.MLP.parameterCount());
        assertEquals(1024L * 1024 + 1024, Workload.LINEAR.parameterCount());
    }
}
