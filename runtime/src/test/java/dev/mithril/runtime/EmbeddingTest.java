package dev.mithril.runtime;

import static dev.mithril.runtime.NumericCheck.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EmbeddingTest {
    @ParameterizedTest @EnumSource(value = DType.class, names = {"F32", "F64"})
    void gathersRowsAndScatterAddsGradients(DType dt) {
        for (int[] c : new int[][] {{1, 1, 1, 1}, {2, 7, 13, 33}, {3, 5, 50, 130}, {1, 300, 11, 64}}) { // B, T, V, D
            int b = c[0], t = c[1], vocab = c[2], d = c[3];
            long[] ids = new long[b * t];
            for (int i = 0; i < ids.length; i++) ids[i] = (i * 7L + i / 3) % vocab; // repeats once ids wrap around
            Tensor idT = Tensor.ofLongs(ids, b, t), table = randn(dt, vocab + d, vocab, d), g = randn(dt, t, b, t, d);
            Tensor out = Embedding.forward(idT, table);
            Ref.assertShape(new int[] {b, t, d}, out);
            double[] tv = values(table), gv = values(g), expected = new double[b * t * d], dTable = new double[vocab * d];
            for (int i = 0; i < ids.length; i++)
                for (int j = 0; j < d; j++) {
                    expected[i * d + j] = tv[(int) ids[i] * d + j];
                    dTable[(int) ids[i] * d + j] += gv[i * d + j];
                }
            assertClose(expected, out, 0, dt + " forward");
            Tensor dt1 = Embedding.backward(idT, g, vocab);
            assertClose(dTable, dt1, tol(dt, 1e-6), dt + " backward");
            Tensor acc = dt1.copy();
            Embedding.backwardInto(idT, g, acc);
            assertClose(dTable, acc, tol(dt, 1e-6), dt + " backwardInto writes over what the table held");
            Embedding.backwardAddInto(idT, g, acc);
            for (int i = 0; i < dTable.length; i++) dTable[i] *= 2;
            assertClose(dTable, acc, tol(dt, 1e-6), dt + " backwardAddInto accumulates");
            // Same inputs, same bits: the scatter-add order does not depend on threads.
            assertArrayEquals(values(dt1), values(Embedding.backward(idT, g, vocab)));
        }
    }

    @Test void outOfRangeIdNamesItAndItsPosition() {
        Tensor table = Tensor.zeros(10, 4);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> Embedding.forward(Tensor.ofLongs(new long[] {1, 2, 3, 4, 12, 0}, 2, 3), table));
        assertTrue(e.getMessage().contains("id 12") && e.getMessage().contains("[1, 1]") && e.getMessage().contains("10 rows"), e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class, () -> Embedding.forward(Tensor.ofLongs(new long[] {-1}, 1, 1), table));
        assertTrue(e.getMessage().contains("id -1") && e.getMessage().contains("[0, 0]"), e.getMessage());
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> Embedding.forward(Tensor.ofInts(new int[] {1}, 1, 1), table));
        assertTrue(a.getMessage().contains("I64"), a.getMessage());
        a = assertThrows(IllegalArgumentException.class,
                () -> Embedding.backward(Tensor.ofLongs(new long[] {1, 2}, 1, 2), Tensor.zeros(1, 3, 4), 10));
        assertTrue(a.getMessage().contains("dOut"), a.getMessage());
    }
}
