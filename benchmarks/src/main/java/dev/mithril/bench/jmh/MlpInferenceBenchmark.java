package dev.mithril.bench.jmh;

import dev.mithril.examples.cli.ExampleModels;
import dev.mithril.runtime.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Inference of the annotated MLP example [784, 1024, 512, 256, 10] per optimization level and batch size,
 * as average time per forward call. Run: {@code java -cp benchmarks/target/mithril.jar org.openjdk.jmh.Main MlpInference}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
public class MlpInferenceBenchmark {
    @Param({"NONE", "BASIC", "FULL"})
    public String level;

    @Param({"32", "128", "1024"})
    public int batch;

    private ExampleModels.Forward model;
    private Tensor x;

    @Setup(Level.Trial)
    public void setUp() {
        model = ExampleModels.mlp(dev.mithril.dsl.Level.valueOf(level));
        x = Tensor.random(42, batch, ExampleModels.MLP_WIDTHS[0]);
    }

    @TearDown(Level.Trial)
    public void tearDown() { model.close(); }

    /** Returned, so JMH's blackhole keeps the call alive. */
    @Benchmark
    public Tensor forward() { return model.forward(x); }
}
