package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The activation derivatives that backward GEMMs apply, vector bodies and scalar tails, against double-precision formulas. */
class LinearBackwardTest {
    @Test
    void activationDerivativesMatchTheirFormulas() {
        SplittableRandom r = new SplittableRandom(5);
        for (int len : new int[] {1, 7, 16, 17, 131}) {
            float[] x = new float[len], g = new float[len];
            for (int i = 0; i < len; i++) {
                x[i] = (float) (r.nextDouble() * 12 - 6); // GELU's erf saturates past ±4: cover both sides
                g[i] = (float) r.nextGaussian();
            }
            for (LinearBackward.Activation act : LinearBackward.Activation.values()) {
                // relu, sigmoid and tanh take their output; GELU its input
                float[] operand = new float[len];
                for (int i = 0; i < len; i++) {
                    operand[i] = switch (act) {
                        case RELU -> Math.max(0f, x[i]);
                        case SIGMOID -> (float) (1 / (1 + Math.exp(-x[i])));
                        case TANH -> (float) Math.tanh(x[i]);
                        case GELU -> x[i];
                    };
                }
                float[] out = new float[len];
                LinearBackward.apply(act, operand, g, out, 0, len);
                for (int i = 0; i < len; i++) {
                    double y = operand[i], expected = switch (act) {
                        case RELU -> y > 0 ? g[i] : 0;
                        case SIGMOID -> g[i] * y * (1 - y);
                        case TANH -> g[i] * (1 - y * y);
                        case GELU -> g[i] * (0.5 * (1 + Ref.erf(y / Math.sqrt(2))) + y * Math.exp(-y * y / 2) / Math.sqrt(2 * Math.PI));
                    };
                    assertEquals(expected, out[i], 4e-7 * (1 + Math.abs(g[i])), act + " len " + len + " at " + i + " (x = " + x[i] + ")");
                }
            }
        }
    }
}
