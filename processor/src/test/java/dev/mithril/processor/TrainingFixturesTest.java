package dev.mithril.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.runtime.AbstractCompiledModel;
import dev.mithril.runtime.Safetensors;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The generated backward pass against PyTorch: with the fixture's parameters, the mean softmax
 * cross-entropy of {@code output.train} against {@code target} and every {@code grad.*} tensor match
 * to 1e-4 relative, at every level, with the batch symbolic and bound.
 */
class TrainingFixturesTest {
    @ParameterizedTest
    @EnumSource(Level.class)
    void linearGradientsMatchPyTorch(Level level) {
        ModelBuilder m = new ModelBuilder("LinearModel");
        m.output("y", m.input("x", "batch", 64).linear("linear", 32));
        check(m.build(), "linear.safetensors", level);
    }

    @ParameterizedTest
    @EnumSource(Level.class)
    void mlpGradientsMatchPyTorch(Level level) {
        check(Models.mlp(784, 128, 64, 32, 10), "mlp.safetensors", level);
    }

    private static void check(Graph g, String file, Level level) {
        Map<String, Tensor> f = Safetensors.read(Path.of(System.getProperty("mithril.reference.dir"), file));
        Tensor input = f.get("input");
        long[] target = f.get("target").longs();
        for (Map<String, Integer> dims : java.util.List.of(Map.<String, Integer>of(), Map.of("batch", input.dim(0)))) {
            Trainable model = (Trainable) Mithril.compile(g, Backend.JAVA, level, dims);
            ((AbstractCompiledModel) model).load(f, "param.");
            for (int step = 0; step < 2; step++) { // the second step checks that zeroGrad and reused buffers leave no trace
                String output = model.outputNames().get(0);
                Tensor logits = model.forwardTrain(Map.of("x", input)).get(output);
                assertSmall(Models.relativeError(logits, f.get("output.train")), file + " output at " + level + " " + dims);
                float[] loss = new float[1];
                Tensor dLogits = crossEntropyGradient(logits, target, loss);
                assertSmall(Math.abs(loss[0] - f.get("loss.train").data()[0]) / Math.abs(f.get("loss.train").data()[0]),
                        file + " loss at " + level + " " + dims);
                model.zeroGrad();
                model.backward(Map.of(output, dLogits));
                int checked = 0;
                for (var e : f.entrySet()) {
                    if (!e.getKey().startsWith("grad.")) continue;
                    String p = e.getKey().substring("grad.".length());
                    assertSmall(Models.relativeError(model.gradients().get(p), e.getValue()), file + " " + e.getKey() + " at " + level + " " + dims);
                    checked++;
                }
                assertEquals(model.parameters().size(), checked);
            }
        }
    }

    /** d loss / d logits of the mean softmax cross-entropy: (softmax(logits) - onehot(target)) / rows; the loss into {@code loss[0]}. */
    static Tensor crossEntropyGradient(Tensor logits, long[] target, float[] loss) {
        int rows = logits.dim(0), classes = logits.dim(1);
        float[] z = logits.data(), d = new float[z.length];
        double total = 0;
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < classes; c++) max = Math.max(max, z[r * classes + c]);
            for (int c = 0; c < classes; c++) sum += Math.exp(z[r * classes + c] - max);
            total -= z[r * classes + (int) target[r]] - max - Math.log(sum);
            for (int c = 0; c < classes; c++) {
                double p = Math.exp(z[r * classes + c] - max) / sum;
                d[r * classes + c] = (float) ((p - (c == target[r] ? 1 : 0)) / rows);
            }
        }
        loss[0] = (float) (total / rows);
        return Tensor.of(d, rows, classes);
    }

    private static void assertSmall(double err, String what) {
        assertTrue(err < 1e-4, what + ": relative error " + err);
    }
}
