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
        Nd4jOps.linear(x, w, b, out);
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
    @Test
    void sumToUndoesBroadcasting() {
        // g [2, 3, 5] summed to [5] (leading axes), [3, 1] (leading axis and a size-1 axis), [2, 1, 5], and to a scalar
        float[] g = new float[30];
        for (int i = 0; i < 30; i++) g[i] = i * 0.5f - 3;
        INDArray a = Nd4j.create(g, new long[] {2, 3, 5}, DataType.FLOAT);
        float[] to5 = new float[5], to31 = new float[3], to215 = new float[10];
        float all = 0;
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 5; k++) {
            float v = g[i * 15 + j * 5 + k];
            to5[k] += v;
            to31[j] += v;
            to215[i * 5 + k] += v;
            all += v;
        }
        assertArrayEquals(to5, Nd4jOps.sumTo(a, 5).data().asFloat(), 1e-5f);
        assertArrayEquals(new long[] {3, 1}, Nd4jOps.sumTo(a, 3, 1).shape());
        assertArrayEquals(to31, Nd4jOps.sumTo(a, 3, 1).dup('c').data().asFloat(), 1e-5f);
        assertArrayEquals(to215, Nd4jOps.sumTo(a, 2, 1, 5).dup('c').data().asFloat(), 1e-5f);
        assertEquals(0, Nd4jOps.sumTo(a).rank());
        assertEquals(all, Nd4jOps.sumTo(a).getFloat(0), 1e-4f);
        assertArrayEquals(g, Nd4jOps.sumTo(a, 2, 3, 5).dup('c').data().asFloat());
    }

    @Test
    void expandBroadcastsAndDivides() {
        // [2, 1, 3] to [2, 4, 3] divided by 4 (a mean's gradient), and [3] to [2, 4, 3]
        float[] g = {1, 2, 3, 4, 5, 6};
        INDArray a = Nd4j.create(g, new long[] {2, 1, 3}, DataType.FLOAT);
        INDArray e = Nd4jOps.expand(a, new long[] {2, 4, 3}, 4);
        assertArrayEquals(new long[] {2, 4, 3}, e.shape());
        for (int i = 0; i < 2; i++) for (int j = 0; j < 4; j++) for (int k = 0; k < 3; k++)
            assertEquals(g[i * 3 + k] / 4, e.getFloat(i, j, k), 1e-7f, "[" + i + "," + j + "," + k + "]");
        INDArray row = Nd4j.create(new float[] {1, 2, 3}, new long[] {3}, DataType.FLOAT);
        INDArray r = Nd4jOps.expand(row, new long[] {2, 4, 3}, 1);
        for (int i = 0; i < 2; i++) for (int j = 0; j < 4; j++) for (int k = 0; k < 3; k++) assertEquals(k + 1, r.getFloat(i, j, k));
        assertEquals(1f, row.getFloat(0), "the operand is not written");
    }

    @Test
    void activationGradientsMatchTheirDerivatives() {
        float[] x = {-2.5f, -1f, -0.1f, 0.3f, 1f, 2.7f, 0.05f};
        float[] g = {0.5f, -1f, 2f, 1.5f, -0.25f, 1f, 3f};
        INDArray xa = Nd4j.create(x, new long[] {7}, DataType.FLOAT), ga = Nd4j.create(g, new long[] {7}, DataType.FLOAT);
        INDArray relu = Nd4jOps.reluGrad(org.nd4j.linalg.ops.transforms.Transforms.relu(xa, true), ga);
        INDArray sig = Nd4jOps.sigmoidGrad(org.nd4j.linalg.ops.transforms.Transforms.sigmoid(xa, true), ga);
        INDArray tanh = Nd4jOps.tanhGrad(org.nd4j.linalg.ops.transforms.Transforms.tanh(xa, true), ga);
        INDArray gelu = Nd4jOps.geluGrad(xa, ga);
        for (int i = 0; i < x.length; i++) {
            double s = 1 / (1 + Math.exp(-x[i])), t = Math.tanh(x[i]);
            double cdf = 0.5 * (1 + erf(x[i] / Math.sqrt(2))), pdf = Math.exp(-x[i] * x[i] / 2.0) / Math.sqrt(2 * Math.PI);
            assertEquals(x[i] > 0 ? g[i] : 0, relu.getFloat(i), 0.0, "relu'(" + x[i] + ")");
            assertEquals(g[i] * s * (1 - s), sig.getFloat(i), 1e-6, "sigmoid'(" + x[i] + ")");
            assertEquals(g[i] * (1 - t * t), tanh.getFloat(i), 1e-6, "tanh'(" + x[i] + ")");
            assertEquals(g[i] * (cdf + x[i] * pdf), gelu.getFloat(i), 2e-6, "gelu'(" + x[i] + ")");
        }
    }

    @Test
    void transposedProductsMatchExplicitTransposes() {
        INDArray a = Nd4j.rand(DataType.FLOAT, new long[] {5, 3}), b = Nd4j.rand(DataType.FLOAT, new long[] {5, 7}),
                c = Nd4j.rand(DataType.FLOAT, new long[] {7, 3});
        assertEquals(a.transpose().mmul(b), Nd4jOps.matmul(a, b, true, false));
        assertEquals(a.mmul(c.transpose()), Nd4jOps.matmul(a, c, false, true));
        assertEquals(a.transpose().mmul(b), Nd4jOps.matmul(a, b.transpose().dup('c'), true, true));
        INDArray batched = Nd4j.rand(DataType.FLOAT, new long[] {2, 5, 3});
        INDArray r = Nd4jOps.matmul(batched, b, true, false);
        assertArrayEquals(new long[] {2, 3, 7}, r.shape());
        for (int i = 0; i < 2; i++) assertEquals(batched.slice(i).transpose().mmul(b), r.slice(i));
    }

    /** erf by its Taylor series, exact to double precision for |x| < 3. */
    private static double erf(double x) {
        double sum = 0, term = x;
        for (int n = 0; n < 80; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }
}
