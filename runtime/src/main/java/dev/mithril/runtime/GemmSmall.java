package dev.mithril.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM for a handful of rows (m below the micro-kernel height) with unpacked B: packing B would cost as
 * much as the whole product, so it is streamed directly — dot products when B's columns are contiguous
 * (linear-layer weights), row updates otherwise.
 */
final class GemmSmall {
    static final int MAX_M = GemmKernel.MR - 1;
    private static final VectorSpecies<Float> S = Activations.S;
    private static final int V = Activations.V;

    private GemmSmall() {}

    static void run(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                    float[] b, int bOff, int ldb, GemmKernel.Out o) {
        float[] row = transA ? Scratch.floats(Scratch.SMALL_ROWS, m * k) : null; // this thread's, kept: no allocation per call
        if (transA) { // gather op(A) rows once; m*k is small here
            for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) row[i * k + p] = a[aOff + p * lda + i];
        }
        float[] ax = transA ? row : a;
        int axOff = transA ? 0 : aOff, axLd = transA ? k : lda;
        if (transB) {
            Parallel.forRange(n, Math.max(1, 16384 / Math.max(1, k * m)), (from, to) -> {
                for (int j = from; j < to; j++) {
                    for (int i = 0; i < m; i++) put(o, i, j, VectorMath.dotOf(ax, axOff + i * axLd, b, bOff + j * ldb, k));
                }
            });
        } else {
            Parallel.forRange(n, Math.max(V, 16384 / Math.max(1, k * m)), (from, to) -> {
                float[] acc = Scratch.floats(Scratch.SMALL_ACC, to - from); // the running thread's own
                for (int i = 0; i < m; i++) {
                    java.util.Arrays.fill(acc, 0, to - from, 0f);
                    for (int p = 0; p < k; p++) axpy(ax[axOff + i * axLd + p], b, bOff + p * ldb + from, acc, to - from);
                    for (int j = from; j < to; j++) put(o, i, j, acc[j - from]);
                }
            });
        }
    }

    private static void put(GemmKernel.Out o, int i, int j, float prod) {
        o.c()[o.cOff() + i * o.ldc() + j] = GemmKernel.scalar(o, prod, i, j);
    }

    private static void axpy(float alpha, float[] x, int xo, float[] y, int n) {
        int j = 0;
        for (; j <= n - V; j += V) FloatVector.fromArray(S, x, xo + j).fma(FloatVector.broadcast(S, alpha), FloatVector.fromArray(S, y, j)).intoArray(y, j);
        for (; j < n; j++) y[j] += alpha * x[xo + j];
    }
}
