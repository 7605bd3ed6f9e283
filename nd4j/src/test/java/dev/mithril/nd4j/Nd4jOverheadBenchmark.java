package dev.mithril.nd4j;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.Arrays;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * "Mithril + ND4J vs ND4J by hand": the MLP [784, 1024, 512, 256, 10] written directly on ND4J (GEMM into
 * preallocated arrays, {@code addiRowVector}, in-place ReLU, as a careful person writes it) against the
 * generated {@code Nd4jFull} class, same weights, at several batch sizes, timed in alternating rounds in one
 * JVM. Not a unit test (timing has no place there); run it with the module's test class path:
 *
 * <pre>
 * ./mvnw -q -o -pl nd4j test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -Dorg.bytedeco.javacpp.maxbytes=3G -Dorg.bytedeco.javacpp.maxphysicalbytes=6G \
 *      -cp target/test-classes:target/classes:$(cat target/cp.txt) dev.mithril.nd4j.Nd4jOverheadBenchmark [batches...]
 * </pre>
 */
public final class Nd4jOverheadBenchmark {
    private static final int[] WIDTHS = {784, 1024, 512, 256, 10};
    private static final int ROUNDS = 15;

    private Nd4jOverheadBenchmark() {}

    public static void main(String[] args) {
        int[] batches = args.length == 0 ? new int[] {32, 128, 1024} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        Graph g = Nd4jDifferentialTest.mlp(WIDTHS);
        System.out.printf("%-6s %14s %14s %10s   (median of %d alternating rounds, ms per forward)%n", "batch", "ND4J by hand", "Mithril Full", "overhead", ROUNDS);
        for (int batch : batches) {
            CompiledModel generated = Mithril.compile(g, Backend.ND4J, Level.FULL);
            Map<String, Tensor> params = generated.parameters();
            HandWritten hand = new HandWritten(params, batch);
            Tensor x = Tensor.random(1, batch, WIDTHS[0]);
            INDArray xNd = Nd4jBridge.toNd4j(x);
            Map<String, Tensor> in = Map.of("x", x);
            double err = Nd4jDifferentialTest.relativeError(generated.evaluate(in).get("logits"), Nd4jBridge.view(hand.forward(xNd)));
            if (err > 1e-5) throw new AssertionError("hand-written and generated disagree: relative error " + err);
            int iters = Math.max(3, 4096 / batch);
            double[] h = new double[ROUNDS], m = new double[ROUNDS];
            for (int warm = 0; warm < 3; warm++) { time(() -> hand.forward(xNd), iters); time(() -> generated.evaluate(in), iters); }
            for (int r = 0; r < ROUNDS; r++) {
                h[r] = time(() -> hand.forward(xNd), iters);
                m[r] = time(() -> generated.evaluate(in), iters);
            }
            double mh = median(h), mm = median(m);
            System.out.printf("%-6d %14.3f %14.3f %9.1f%%%n", batch, mh, mm, 100 * (mm - mh) / mh);
        }
    }

    /** The MLP on ND4J directly: the weights once as INDArrays, every intermediate preallocated, activations in place. */
    static final class HandWritten {
        final INDArray[] w = new INDArray[4], b = new INDArray[4], h = new INDArray[4];

        HandWritten(Map<String, Tensor> params, int batch) {
            for (int i = 0; i < 4; i++) {
                w[i] = Nd4jBridge.toNd4j(params.get("layers." + (2 * i) + ".weight"));
                b[i] = Nd4jBridge.toNd4j(params.get("layers." + (2 * i) + ".bias"));
                h[i] = Nd4j.createUninitialized(DataType.FLOAT, batch, WIDTHS[i + 1]);
            }
        }

        INDArray forward(INDArray x) {
            INDArray a = x;
            for (int i = 0; i < 4; i++) {
                Nd4j.gemm(a, w[i], h[i], false, true, 1.0, 0.0);
                h[i].addiRowVector(b[i]);
                if (i < 3) Transforms.relu(h[i], false);
                a = h[i];
            }
            return a;
        }
    }

    private static double time(Runnable r, int iters) {
        long t0 = System.nanoTime();
        for (int i = 0; i < iters; i++) r.run();
        return (System.nanoTime() - t0) / 1e6 / iters;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
