package dev.mithril.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.util.HashMap;
import java.util.Map;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/** The hand-written ND4J twin of the dense benchmark models against the generated ND4J class over the same parameters. */
class Nd4jHandWrittenDenseTest {
    @Test
    void agreesWithTheGeneratedModel() {
        // one linear layer (the linear workload), an MLP with awkward widths, each at batch 1 and a prime batch
        for (int[] widths : new int[][] {{13, 7}, {31, 17, 5, 3}, {64, 33, 10}}) {
            CompiledModel generated = Mithril.compile(Nd4jDifferentialTest.mlp(widths), Backend.ND4J, Level.FULL);
            for (int batch : new int[] {1, 7}) {
                Tensor x = Tensor.random(batch + widths.length, batch, widths[0]);
                Tensor expected = generated.evaluate(Map.of("x", x)).get(generated.outputNames().getFirst());
                Nd4jHandWrittenDense hand = new Nd4jHandWrittenDense(generated.parameters(), batch);
                Tensor actual = Nd4jBridge.view(hand.forward(Nd4jBridge.toNd4j(x)));
                double err = Nd4jDifferentialTest.relativeError(actual, expected);
                assertTrue(err <= 1e-5, java.util.Arrays.toString(widths) + " batch " + batch + ": relative error " + err);
                // the reflective entry point the benchmarks use returns the first output value
                DoubleSupplier pass = Nd4jHandWrittenDense.forwardPass(generated.parameters(), x);
                assertEquals(expected.data()[0], pass.getAsDouble(), 1e-5 * Math.max(1, Math.abs(expected.data()[0])));
            }
        }
    }

    @Test
    void badParametersAndInputsAreNamed() {
        Map<String, Tensor> p = new HashMap<>(Map.of("layers.0.weight", Tensor.zeros(4, 3), "layers.0.bias", Tensor.zeros(4),
                "layers.2.weight", Tensor.zeros(2, 5), "layers.2.bias", Tensor.zeros(2)));
        var e = assertThrows(IllegalArgumentException.class, () -> new Nd4jHandWrittenDense(p, 2));
        assertTrue(e.getMessage().contains("layers.2.weight"), e.getMessage());
        p.put("layers.2.weight", Tensor.zeros(2, 4));
        p.remove("layers.2.bias");
        e = assertThrows(IllegalArgumentException.class, () -> new Nd4jHandWrittenDense(p, 2));
        assertTrue(e.getMessage().contains("layers.2.bias"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Nd4jHandWrittenDense(Map.of("w", Tensor.zeros(2, 2)), 2));
        p.put("layers.2.bias", Tensor.zeros(2));
        Nd4jHandWrittenDense m = new Nd4jHandWrittenDense(p, 2);
        assertThrows(IllegalArgumentException.class, () -> m.forward(Nd4jBridge.toNd4j(Tensor.zeros(3, 3))));
    }
}
