package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Gradients#sumTo}, the reverse of broadcasting, against a plain per-element reference: the row sums of a bias
 * gradient (the fast path: the target is the operand's trailing dimensions) and sums over any broadcast axes.
 */
class SumToTest {
    private static final int[][][] CASES = {
            {{6, 37}, {37}}, {{2, 5, 3, 19}, {3, 19}}, {{2, 5, 17}, {1, 1, 17}}, {{4, 33}, {1, 33}}, {{7}, {7}}, {{3, 16}, {16}},
            {{9, 1}, {1}}, {{5, 4, 3}, {4, 1}}, {{5, 4, 3}, {5, 1, 3}}, {{2, 3, 4}, {}}, {{2, 3, 4}, {1, 3, 1}}};

    @Test
    void matchesPerElementReference() {
        for (DType dt : List.of(DType.F32, DType.F64)) {
            for (int[][] c : CASES) {
                Tensor g = NumericCheck.randn(dt, 3, c[0]);
                Tensor out = Gradients.sumTo(g, c[1]);
                int[] big = c[0], small = c[1];
                double[] expected = new double[Math.max(1, out.size())];
                for (int i = 0; i < g.size(); i++) {
                    int[] idx = Ref.unravel(i, big);
                    int off = 0;
                    for (int d = 0, pad = big.length - small.length; d < small.length; d++) off = off * small[d] + (small[d] == 1 ? 0 : idx[d + pad]);
                    expected[off] += dt == DType.F64 ? g.doubles()[i] : g.data()[i];
                }
                for (int j = 0; j < out.size(); j++) {
                    double actual = dt == DType.F64 ? out.doubles()[j] : out.data()[j];
                    assertEquals(expected[j], actual, dt == DType.F64 ? 1e-12 : 1e-4, dt + " " + Tensor.shapeString(big) + " -> "
                            + Tensor.shapeString(small) + " at " + j);
                }
            }
        }
    }
}
