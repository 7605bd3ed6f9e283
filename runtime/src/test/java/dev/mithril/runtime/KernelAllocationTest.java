package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * The kernels that sum lanes or take exponentials through {@link VectorMath} box no vector once compiled, however many
 * rows they are given. Runs in a JVM of its own, as every allocation test does (runtime/pom.xml says why).
 */
class KernelAllocationTest {
    /**
     * Bytes per call of a kernel on {@code rows} rows of 300, once compiled; a vector boxed per row (a VectorMath call
     * C2 did not inline) would add at least 48 bytes a row.
     */
    private interface RowKernel { void run(Tensor x, Tensor out); }

    private static void assertNoBoxing(String what, RowKernel k) {
        Tensor x7 = Tensor.random(11, 7, 300), out7 = Tensor.zeros(7, 300), x70 = Tensor.random(12, 70, 300), out70 = Tensor.zeros(70, 300);
        // what a call allocates whatever its size (a parallel region's body) is allowed; nothing per row. Measured
        // again, for up to 20 s, while C2 may still be installing code (Allocations.perCall says why)
        long deadline = System.nanoTime() + Allocations.PATIENCE_NANOS, small, large;
        do {
            small = Allocations.perCall(() -> k.run(x7, out7), 0);
            large = Allocations.perCall(() -> k.run(x70, out70), 0);
        } while (!(large - small <= 16 && large < 256) && System.nanoTime() < deadline);
        assertTrue(large - small <= 16 && large < 256, what + ": " + small + " bytes per call on 7 rows, " + large + " on 70");
    }

    @Test
    void kernelsOnVectorMathBoxNothing() {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            assertNoBoxing("softmax", (x, out) -> Kernels.softmaxInto(x, 1, out));
            assertNoBoxing("log-softmax", (x, out) -> LogSoftmax.applyInto(x, 1, out));
            assertNoBoxing("log-softmax in place", (x, out) -> LogSoftmax.applyInto(out, 1, out));
            Tensor target7 = Tensor.ofLongs(new long[7], 7), target70 = Tensor.ofLongs(new long[70], 70);
            dev.mithril.runtime.train.CrossEntropy ce = dev.mithril.runtime.train.CrossEntropy.mean();
            assertNoBoxing("cross-entropy", (x, out) -> ce.forwardInto(x, x.dim(0) == 7 ? target7 : target70, out));
            assertNoBoxing("gelu", Kernels::geluInto);
            assertNoBoxing("sigmoid", Kernels::sigmoidInto);
            assertNoBoxing("tanh", Kernels::tanhInto);
            Tensor w = Tensor.random(12, 300), b = Tensor.random(13, 300);
            assertNoBoxing("layer norm", (x, out) -> Norms.layerNormInto(x, 300, w, b, 1e-5,
                    new Norms.Result(out, null, null)));
            for (int t : new int[] {37, 150}) {
                Tensor qkv = Tensor.random(14, 2, t, 3 * 64);
                Attention.Result at = new Attention.Result(Tensor.zeros(2, t, 64), Tensor.zeros(2, 4, t));
                Tensor dOut = Tensor.random(15, 2, t, 64), dqkv = Tensor.zeros(2, t, 3 * 64);
                long fwd = Allocations.perCall(() -> Attention.forwardFusedInto(qkv, 4, at), 2_000_000_000L);
                long bwd = Allocations.perCall(() -> Attention.backwardFusedInto(qkv, 4, at.out(), at.lse(), dOut, dqkv), 2_000_000_000L);
                assertTrue(fwd < 256 && bwd < 256, "attention over " + t + " positions: " + fwd + " and " + bwd + " bytes per call");
            }
        } finally {
            Parallel.setThreads(before);
        }
    }
}
