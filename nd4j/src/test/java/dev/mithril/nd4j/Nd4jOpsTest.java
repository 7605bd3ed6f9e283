package dev.mithril.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The operations ND4J has no single call for, against values worked out by hand or in double precision. */
class Nd4jOpsTest {
    @Test
    void geluIsTheExactErfForm() {
        float[] x = {-3f, -1f, -0.5f, 0f, 0.5f, 1f, 3f};
        // x/2 * (1 + erf(x/sqrt 2)), erf from PyTorch in float64
        double[] expected = {-0.0040496982, -0.15865525, -0.15426877, 0, 0.34573123, 0.84134475, 2.9959503};
        INDArray a = Nd4j.create(x, new long[] {7}, DataType.FLOAT);
        INDArray y = Nd4jOps.gelu(a);
        INDArray inPlace = Nd4jOps.gelu(a, Nd4j.createUninitialized(DataType.FLOAT, 7));
        for (int i = 0; i < x.length; i++) {
            assertEquals(expected[i], y.getFloat(i), 2e-6, "gelu(" + x[i] + ")");
            assertEquals(expected[i], inPlace.getFloat(i), 2e-6);
        }
        INDArray same = a.dup();
        Nd4jOps.gelu(same, same);
        assertEquals(expected[0], same.getFloat(0), 2e-6, "gelu in place");
        assertEquals(expected[6], same.getFloat(6), 2e-6);
    }

    @Test
    void linearUsesPyTorchsWeightLayout() {
        INDArray x = Nd4j.create(new float[] {1, 2, 3, 4, 5, 6}, new long[] {1, 2, 3}, DataType.FLOAT); // [1, 2, in=3]
        INDArray w = Nd4j.create(new float[] {1, 0, 0, 0, 1, 1}, new long[] {2, 3}, DataType.FLOAT);    // [out=2, in=3]
        INDArray b = Nd4j.create(new float[] {10, 20}, new long[] {2}, DataType.FLOAT);
        INDArray y = Nd4jOps.linear(x, w, b);
        assertArrayEquals(new long[] {1, 2, 2}, y.shape());
        assertArrayEquals(new float[] {11, 25, 14, 31}, y.data().asFloat());
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, 1, 2, 2);
        Nd4jOps.linearBiasInGemm(x, w, b, out);
        assertArrayEquals(new float[] {11, 25, 14, 31}, out.data().asFloat());
        Nd4jOps.linear(x, w, null, out);
        assertArrayEquals(new float[] {1, 5, 4, 11}, out.data().asFloat());
    }

    @Test
    void matmulFollowsTorchForVectorsAndBatches() {
        INDArray v = Nd4j.create(new float[] {1, 2}, new long[] {2}, DataType.FLOAT);
        INDArray m = Nd4j.create(new float[] {1, 2, 3, 4}, new long[] {2, 2}, DataType.FLOAT);
        assertEquals(0, Nd4jOps.matmul(v, v).rank());
        assertEquals(5f, Nd4jOps.matmul(v, v).getFloat(0));
        assertArrayEquals(new float[] {7, 10}, Nd4jOps.matmul(v, m).data().asFloat());
        assertArrayEquals(new float[] {5, 11}, Nd4jOps.matmul(m, v).data().asFloat());
        // [2, 1, 2] x [3, 2, 2] broadcasts to [2, 3, 1, 2]... here [2,1,2]·[2,2] per batch and a batched right side
        INDArray a = Nd4j.create(new float[] {1, 0, 0, 1}, new long[] {2, 1, 2}, DataType.FLOAT);
        INDArray b = Nd4j.create(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, new long[] {2, 2, 2}, DataType.FLOAT);
        INDArray r = Nd4jOps.matmul(a, b);
        assertArrayEquals(new long[] {2, 1, 2}, r.shape());
        assertArrayEquals(new float[] {1, 2, 7, 8}, r.dup('c').data().asFloat());
        INDArray single = Nd4j.create(new float[] {1, 1}, new long[] {1, 1, 2}, DataType.FLOAT);
        INDArray rb = Nd4jOps.matmul(single, b); // batch 1 broadcast against 2
        assertArrayEquals(new long[] {2, 1, 2}, rb.shape());
        assertArrayEquals(new float[] {4, 6, 12, 14}, rb.dup('c').data().asFloat());
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, 2, 1, 2);
        Nd4jOps.matmul(a, m, out);
        assertArrayEquals(new float[] {1, 2, 3, 4}, out.data().asFloat());
    }
}
