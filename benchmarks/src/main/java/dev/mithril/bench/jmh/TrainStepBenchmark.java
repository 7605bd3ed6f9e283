package dev.mithril.bench.jmh;

import dev.mithril.bench.TrainingStep;
import dev.mithril.bench.Workload;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step ({@link TrainingStep}: forward, loss, backward, SGD with momentum 0.9 at lr 0.01) of the
 * annotated examples per level and batch size, as average time per step: Linear 1024→1024 with mean squared error
 * and the MLP [784, 1024, 512, 256, 10] with cross-entropy, the cases of {@code benchmarks/torch_train_step.py}. Run:
 * {@code java -cp benchmarks/target/mithril.jar org.openjdk.jmh.Main TrainStep}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
public class TrainStepBenchmark {
    @Param({"MLP", "LINEAR"})
    public String model;

    @Param({"NONE", "BASIC", "FULL"})
    public String level;

    @Param({"32", "128", "1024"})
    public int batch;

    private TrainingStep step;

    @Setup(Level.Trial)
    public void setUp() {
        step = TrainingStep.of(Workload.valueOf(model), dev.mithril.dsl.Level.valueOf(level), batch);
    }

    @Benchmark
    public float step() { return step.run(); }
}
