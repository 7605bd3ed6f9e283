package dev.mithril.runtime;

import static dev.mithril.runtime.NumericCheck.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LogSoftmaxTest {
    /** Reference log-softmax, its backward and softmax's backward along {@code axis}, in double. */
    private static double[][] reference(double[] x, double[] dy, int[] s, int axis) {
        int len = s[axis], inner = 1;
        for (int i = axis + 1; i < s.length; i++) inner *= s[i];
        int outer = x.length / (len * inner);
        double[] y = new double[x.length], dLog = new double[x.length], dSoft = new double[x.length];
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < inner; c++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0, sumDy = 0, sumDyP = 0;
                for (int j = 0; j < len; j++) max = Math.max(max, x[(o * len + j) * inner + c]);
                for (int j = 0; j < len; j++) sum += Math.exp(x[(o * len + j) * inner + c] - max);
                for (int j = 0; j < len; j++) {
                    int p = (o * len + j) * inner + c;
                    y[p] = x[p] - max - Math.log(sum);
                    sumDy += dy[p];
                    sumDyP += dy[p] * Math.exp(y[p]);
                }
                for (int j = 0; j < len; j++) {
                    int p = (o * len + j) * inner + c;
                    dLog[p] = dy[p] - Math.exp(y[p]) * sumDy;
                    dSoft[p] = Math.exp(y[p]) * (dy[p] - sumDyP);
                }
            }
        return new double[][] {y, dLog, dSoft};
    }

    @ParameterizedTest @EnumSource(value = DType.class, names = {"F32", "F64"})
    void matchesReferenceOnEveryAxis(DType dt) {
        int[][] shapes = {{1}, {7}, {3, 33}, {2, 5, 130}, {4, 1, 17}, {2, 3, 16}};
        long seed = 1;
        for (int[] s : shapes) {
            for (int axis = 0; axis < s.length; axis++) {
                String what = dt + " " + Arrays.toString(s) + " axis " + axis;
                Tensor x = randn(dt, seed++, s), dy = randn(dt, seed++, s);
                double[] xv = values(x);
                for (int i = 0; i < xv.length; i++) xv[i] *= 8; // wide range: exp overflows without the max shift
                x = of(dt, xv, s);
                double[][] e = reference(xv, values(dy), s, axis);
                Tensor y = LogSoftmax.apply(x, axis - s.length); // negative axis form
                assertClose(e[0], y, tol(dt, 1e-5), what + " forward");
                assertClose(e[1], LogSoftmax.backward(dy, y, axis), tol(dt, 1e-5), what + " backward");
                Tensor p = of(dt, Arrays.stream(values(y)).map(Math::exp).toArray(), s);
                assertClose(e[2], LogSoftmax.softmaxBackward(dy, p, axis), tol(dt, 1e-5), what + " softmax backward");
                Tensor inPlace = x.copy();
                LogSoftmax.applyInto(inPlace, axis, inPlace);
                assertClose(e[0], inPlace, tol(dt, 1e-5), what + " in place");
            }
        }
    }

    @Test void extremeLogitsStayFinite() {
        Tensor y = LogSoftmax.apply(Tensor.of(new float[] {1000f, 0f, -1000f}, 3), 0);
        assertEquals(0f, y.get(0), 0f);
        assertEquals(-1000f, y.get(1), 1e-3);
        assertEquals(-2000f, y.get(2), 1e-3);
    }

    @Test void gradientsMatchFiniteDifferences() {
        int[] s = {3, 4, 5};
        Tensor x = randn(DType.F64, 9, s), w = randn(DType.F64, 10, s);
        for (int axis = 0; axis < 3; axis++) {
            int a = axis;
            Tensor y = LogSoftmax.apply(x, a);
            assertClose(numericGrad(x, () -> weighted(LogSoftmax.apply(x, a), w)), LogSoftmax.backward(w, y, a), 1e-7, "log-softmax axis " + a);
            Tensor p = Tensor.of(Arrays.stream(y.doubles()).map(Math::exp).toArray(), s);
            assertClose(numericGrad(x, () -> {
                double[] q = LogSoftmax.apply(x, a).doubles();
                double sum = 0;
                for (int i = 0; i < q.length; i++) sum += Math.exp(q[i]) * w.doubles()[i];
                return sum;
            }), LogSoftmax.softmaxBackward(w, p, a), 1e-7, "softmax axis " + a);
        }
    }

    @Test void badInputsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LogSoftmax.apply(Tensor.zeros(2, 3), 2));
        assertThrows(IllegalArgumentException.class, () -> LogSoftmax.apply(Tensor.scalar(1f), 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LogSoftmax.backward(Tensor.zeros(2, 3), Tensor.zeros(3, 2), -1));
        assertTrue(e.getMessage().contains("dy"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LogSoftmax.apply(Tensor.zeros(DType.I32, 2), 0));
    }
}
