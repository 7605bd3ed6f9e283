package dev.mithril.bench.jmh;

import dev.mithril.runtime.Attention;
import dev.mithril.runtime.Kernels;
import dev.mithril.runtime.LogSoftmax;
import dev.mithril.runtime.Parallel;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The kernels built on {@code VectorMath}'s exponentials and lane sums, each on its own at a shape from the seed's
 * models: softmax and log-softmax over rows of 1,000 (a classifier's logits, 64 rows), GELU, tanh and sigmoid on a
 * batch-32 hidden layer of 1,024, and the decoder's fused causal attention (8 heads, width 512, one sequence of 128)
 * forward and backward. For comparing two builds of the runtime side by side (run it once per jar, alternating); the
 * layer tables against PyTorch come from {@code ./mithril bench} and {@code benchmarks/torch_attention.py}.
 * <pre>
 * java -cp benchmarks/target/mithril.jar org.openjdk.jmh.Main KernelBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
public class KernelBenchmark {
    @Param({"1"})
    public int threads;

    private Tensor logits, probabilities, hidden, activated, qkv, dOut;
    private Attention.Result attention;

    @Setup(Level.Trial)
    public void setUp() {
        Parallel.setThreads(threads);
        logits = Tensor.random(3, 64, 1000);
        probabilities = Tensor.zeros(64, 1000);
        hidden = Tensor.random(4, 32, 1024);
        activated = Tensor.zeros(32, 1024);
        qkv = Tensor.random(1, 1, 128, 3 * 512);
        dOut = Tensor.random(2, 1, 128, 512);
        attention = Attention.forwardFused(qkv, 8);
    }

    @Benchmark
    public Tensor softmax() {
        Kernels.softmaxInto(logits, 1, probabilities);
        return probabilities;
    }

    @Benchmark
    public Tensor logSoftmax() {
        LogSoftmax.applyInto(logits, 1, probabilities);
        return probabilities;
    }

    @Benchmark
    public Tensor gelu() {
        Kernels.geluInto(hidden, activated);
        return activated;
    }

    @Benchmark
    public Tensor tanh() {
        Kernels.tanhInto(hidden, activated);
        return activated;
    }

    @Benchmark
    public Tensor sigmoid() {
        Kernels.sigmoidInto(hidden, activated);
        return activated;
    }

    @Benchmark
    public Attention.Result attentionForward() {
        Attention.forwardFusedInto(qkv, 8, attention);
        return attention;
    }

    @Benchmark
    public Tensor attentionBackward() {
        return Attention.backwardFused(qkv, 8, attention.out(), attention.lse(), dOut);
    }
}
