package dev.mithril.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.runtime.Tensor;
import java.util.List;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/** Each level of the generated linear layer against x·Wᵀ + b computed by a plain loop from its own parameters. */
class LinearModelTest {
    static final int N = 1024;

    static void checkAgainstLoop(LongFunction<LinearModelModel> create, int batch) {
        try (LinearModelModel m = create.apply(21)) {
            assertEquals(List.of("linear.weight", "linear.bias"), List.copyOf(m.parameters().keySet()));
            float[] w = m.parameters().get("linear.weight").data(), b = m.parameters().get("linear.bias").data();
            Tensor x = Tensor.random(batch, batch, N);
            float[] xs = x.data();
            Tensor y = m.forward(x);
            assertArrayEquals(new int[] {batch, N}, y.shape());
            double diff = 0, scale = 0;
            for (int r = 0; r < batch; r++) {
                for (int o = 0; o < N; o++) {
                    double s = b[o];
                    for (int k = 0; k < N; k++) s += (double) xs[r * N + k] * w[o * N + k];
                    diff = Math.max(diff, Math.abs(s - y.data()[r * N + o]));
                    scale = Math.max(scale, Math.abs(s));
                }
            }
            assertTrue(scale > 0.1, "outputs too small to compare: " + scale);
            assertTrue(diff / scale <= 1e-5, m.level() + ", batch " + batch + ": relative error " + diff / scale);
        }
    }

    @Test
    void none() {
        checkAgainstLoop(LinearModelJavaNone::create, 1);
        checkAgainstLoop(LinearModelJavaNone::create, 3);
    }

    @Test
    void basic() {
        checkAgainstLoop(LinearModelJavaBasic::create, 1);
        checkAgainstLoop(LinearModelJavaBasic::create, 3);
    }

    @Test
    void full() {
        checkAgainstLoop(LinearModelJavaFull::create, 1);
        checkAgainstLoop(LinearModelJavaFull::create, 5);
    }
}
