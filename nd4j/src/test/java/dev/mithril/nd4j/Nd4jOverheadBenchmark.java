package dev.mithril.nd4j;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.Arrays;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * "Mithril + ND4J vs ND4J by hand": the MLP [784, 1024, 512, 256, 10] written directly on ND4J
 * ({@link Nd4jHandWrittenDense}) against the
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
            Nd4jHandWrittenDense hand = new Nd4jHandWrittenDense(params, batch);
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
