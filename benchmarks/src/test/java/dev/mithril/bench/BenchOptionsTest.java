package dev.mithril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.examples.cli.UsageException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {
    @Test
    void defaults() {
        BenchOptions o = BenchOptions.parse(new String[0]);
        assertEquals(new BenchOptions(List.of(Workload.LINEAR, Workload.MLP), List.of(Backend.JAVA),
                List.of(Level.NONE, Level.BASIC, Level.FULL),
                List.of(), List.of(Mode.INFERENCE, Mode.TRAINING, Mode.COMPILE, Mode.MEMORY, Mode.SCALING), 0, 10, 20,
                1500, 0, BenchOptions.Format.TABLE, Path.of("bench-results"), false, List.of()), o);
        assertEquals(List.of(Mode.values()), BenchOptions.parse(new String[] {"--model", "mlp,transformer"}).modes(),
                "generation joins the default modes with the transformer");
        assertNull(BenchOptions.parse(new String[] {"--out", "none"}).out(), "--out none writes no files");
        assertEquals(List.of(32, 128, 1024), o.batchesFor(Workload.MLP));
        assertEquals(List.of(1, 32, 128), o.batchesFor(Workload.RESNET18));
        assertEquals(List.of(32), o.batchesFor(Workload.RESNET50));
        assertEquals(List.of(1, 16, 64), o.batchesFor(Workload.TRANSFORMER));
    }

    @Test
    void everyOption() {
        BenchOptions o = BenchOptions.parse(new String[] {"--model", "mlp", "--backend", "java", "--level=full,none",
                "--batch-sizes", "1,64", "--mode", "compile,memory", "--threads", "2", "--runs", "4", "--warmup", "0",
                "--warmup-ms", "250", "--min-sample-ms", "0", "--format", "json", "--out", "/tmp/x", "--peers", "torch"});
        assertEquals(new BenchOptions(List.of(Workload.MLP), List.of(Backend.JAVA), List.of(Level.FULL, Level.NONE), List.of(1, 64),
                List.of(Mode.COMPILE, Mode.MEMORY), 2, 4, 0, 250, 0, BenchOptions.Format.JSON, Path.of("/tmp/x"), true, List.of()), o);
    }

    @Test
    void minimumWarmupTime() {
        assertEquals(1_500_000_000L, BenchOptions.parse(new String[0]).minWarmupNanos(), "a second and a half by default");
        assertEquals(0L, BenchOptions.parse(new String[] {"--warmup-ms", "0"}).minWarmupNanos());
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"--warmup-ms", "-5"}));
    }

    @Test
    void minimumSampleLength() {
        assertEquals(0L, BenchOptions.parse(new String[0]).minSampleNanos(), "one call per sample by default");
        assertEquals(250_000_000L, BenchOptions.parse(new String[] {"--min-sample-ms", "250"}).minSampleNanos());
        assertEquals(10_000_000L, BenchOptions.parse(new String[] {"--min-sample-ms=10"}).minSampleNanos());
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"--min-sample-ms", "-1"}));
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"--min-sample-ms", "ten"}));
    }

    @Test
    void zooModelsAndGeneration() {
        BenchOptions o = BenchOptions.parse(new String[] {"--model", "resnet18,resnet50,transformer", "--mode", "generation,training"});
        assertEquals(List.of(Workload.RESNET18, Workload.RESNET50, Workload.TRANSFORMER), o.models());
        assertEquals(List.of(Mode.GENERATION, Mode.TRAINING), o.modes());
        assertTrue(o.models().stream().allMatch(Workload::available) && o.modes().stream().allMatch(Mode::available));
        BenchOptions given = BenchOptions.parse(new String[] {"--model", "resnet18", "--batch-sizes", "2,4"});
        assertEquals(List.of(2, 4), given.batchesFor(Workload.RESNET18), "--batch-sizes rules over the published sizes");
        assertEquals(List.of(2, 4), given.batchesFor(Workload.TRANSFORMER));
    }

    @Test
    void backendsWithNd4jOnTheClassPath() {
        assertEquals(List.of(Backend.ND4J), BenchOptions.parse(new String[] {"--backend", "nd4j"}, true).backends());
        assertEquals(List.of(Backend.ND4J, Backend.JAVA), BenchOptions.parse(new String[] {"--backend=ND4J,java"}, true).backends());
        BenchOptions all = BenchOptions.parse(new String[] {"--backend", "all"}, true);
        assertEquals(List.of(Backend.JAVA, Backend.ND4J), all.backends());
        assertEquals(List.of(), all.notes());
        assertThrows(UsageException.class, () -> BenchOptions.parse(new String[] {"--backend", "cuda"}, true));
    }

    @Test
    void nd4jMissingFromTheClassPath() {
        // this module's tests run without mithril-nd4j, as the shaded jar does
        assertFalse(Nd4jBench.available());
        for (String[] args : List.of(new String[] {"--backend", "nd4j"}, new String[] {"--backend=java,nd4j"},
                new String[] {"--backend", "all, nd4j"})) {
            UsageException e = assertThrows(UsageException.class, () -> BenchOptions.parse(args));
            assertTrue(e.getMessage().startsWith("option --backend nd4j: ND4J is not on the class path"), e.getMessage());
            assertTrue(e.getMessage().contains("./mithril") && e.getMessage().contains("runtime-classpath.txt"), e.getMessage());
        }
        BenchOptions all = BenchOptions.parse(new String[] {"--backend", "all"});
        assertEquals(List.of(Backend.JAVA), all.backends(), "all means what this class path holds");
        assertEquals(1, all.notes().size());
        assertTrue(all.notes().getFirst().contains("Java only") && all.notes().getFirst().contains("./mithril"), all.notes().getFirst());
        assertEquals(List.of(), BenchOptions.parse(new String[] {"--backend", "java"}).notes());
        // reaching the ND4J subjects anyway fails with the compiler's message naming the missing artifact
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Nd4jBench.handWritten(Workload.LINEAR, 2));
        assertTrue(e.getMessage().contains("mithril-nd4j"), e.getMessage());
    }

    @Test
    void allExpands() {
        BenchOptions o = BenchOptions.parse(new String[] {"--model", "all", "--mode", "all", "--level", "all", "--backend", "all"});
        assertEquals(List.of(Workload.values()), o.models());
        assertEquals(List.of(Mode.values()), o.modes());
        assertEquals(List.of(Level.values()), o.levels());
    }

    @Test
    void helpDocumentsEveryOptionAndValue() {
        for (String option : List.of("--model", "--backend", "--level", "--batch-sizes", "--mode", "--threads", "--runs",
                "--warmup", "--format", "--out", "--peers", "--help")) {
            assertTrue(BenchOptions.USAGE.contains("\n  " + option + " ") || BenchOptions.USAGE.contains("\n  " + option + ","),
                    option + " has no line of its own in the usage");
        }
        for (String id : Mode.ids()) {
            assertTrue(java.util.regex.Pattern.compile("\n {20,}" + id + " ").matcher(BenchOptions.USAGE).find(), "mode " + id + " is not described");
        }
        for (String id : Workload.ids()) assertTrue(BenchOptions.USAGE.contains(id), "model " + id);
    }

    @Test
    void helpReturnsNull() {
        assertNull(BenchOptions.parse(new String[] {"--runs", "3", "--help"}));
    }

    @Test
    void errors() {
        assertEquals("option --model: unknown value 'vgg' (one of linear, mlp, resnet18, resnet50, transformer, all)",
                error("--model", "vgg"));
        assertEquals("option --backend: unknown value 'cuda' (one of java, nd4j, all)", error("--backend", "cuda"));
        assertEquals("option --level: unknown value 'max' (one of none, basic, full, all)", error("--level", "max"));
        assertEquals("option --format: unknown value 'xml' (one of table, markdown, csv, json)", error("--format", "xml"));
        assertEquals("option --format: give one format, got table,csv", error("--format", "table,csv"));
        assertEquals("option --peers: unknown value 'jax' (one of torch)", error("--peers", "jax"));
        assertEquals("option --threads: must be at least 1, got 0", error("--threads", "0"));
        assertEquals("option --warmup: must be at least 0, got -1", error("--warmup=-1"));
        assertEquals("option --runs: expected an integer, got 'many'", error("--runs", "many"));
        assertEquals("option --batch-sizes: must be at least 1, got 0", error("--batch-sizes", "32,0"));
        assertEquals("option --out needs a value", error("--out"));
        assertEquals("unknown option '--iterations' (known: --backend, --batch-sizes, --format, --level, --min-sample-ms, --mode, --model, --out, "
                + "--peers, --runs, --threads, --warmup, --warmup-ms)", error("--iterations", "3"));
    }

    private static String error(String... args) {
        return assertThrows(UsageException.class, () -> BenchOptions.parse(args)).getMessage();
    }
}
