package dev.mithril.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The full level's backward pass: linear layers' gradients through {@code LinearBackward} (activation derivative
 * applied to the GEMM's product, weight and bias gradients accumulated in place) and elementwise gradient chains in
 * vectorized fused loops, each equal to the unfused level-NONE code. Widths are not multiples of any vector length,
 * so vector bodies and scalar tails both run.
 */
class FullBackwardTest {
    /** Linear layers with each activation whose derivative LinearBackward applies. */
    private static Graph activations() {
        ModelBuilder m = new ModelBuilder("LinearActivations");
        Value x = m.input("x", "batch", 37);
        Value h = x.linear("fc1", 45).sigmoid().linear("fc2", 29).tanh().linear("fc3", 33).relu().linear("fc4", 7);
        m.output("out", h);
        return m.build();
    }

    /** Elementwise ops whose backward chains fuse into loops reading relu, sigmoid and tanh gradients. */
    private static Graph chain(DType dtype) {
        ModelBuilder m = new ModelBuilder("GradientChain" + dtype);
        Value a = m.input("a", dtype, "batch", 37), b = m.input("b", dtype, "batch", 37);
        m.output("out", a.times(b).relu().times(a).sigmoid().plus(b).tanh().times(b));
        return m.build();
    }

    @Test
    void linearLayersMatchUnfusedGradients() {
        Graph g = activations();
        String src = Mithril.source(g, Backend.JAVA, Level.FULL, Map.of());
        for (String act : new String[] {"SIGMOID", "TANH", "RELU"}) {
            assertTrue(src.contains("LinearBackward.Activation." + act), () -> act + " derivative not fused into a GEMM:\n" + src);
        }
        assertTrue(src.contains("LinearBackward.weightGradient(") && src.contains("LinearBackward.biasGradient("), src);
        assertTrue(!src.contains("Kernels.addInto("), () -> "weight gradients should be accumulated by their GEMM:\n" + src);
        assertAgree(g, 1e-5);
    }

    @Test
    void gradientChainsFuseIntoVectorLoops() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Graph g = chain(dt);
            String src = Mithril.source(g, Backend.JAVA, Level.FULL, Map.of());
            String vector = dt == DType.F64 ? "DoubleVector" : "FloatVector";
            assertTrue(src.contains(vector + ".zero(") && src.contains(".blend("), () -> "no vector relu gradient:\n" + src);
            assertTrue(src.contains("fused into one vector loop") && src.contains("3 vector loops and " + (dt == DType.F64 ? "Math's" : "VectorMath's") + " sigmoid and tanh")
                            && !src.contains("scalar loop"),
                    () -> "a gradient was left to a scalar loop:\n" + src);
            assertAgree(g, dt == DType.F64 ? 1e-12 : 1e-5);
        }
    }

    /** Batched products (weights broadcast over a batch of matrices) differentiate through transposed GEMMs, no copies. */
    @Test
    void batchedProductsDifferentiateWithoutMaterializedTransposes() {
        ModelBuilder m = new ModelBuilder("BatchedProducts");
        Value x = m.input("x", "batch", 6, 37);
        Value h = x.matmul(m.parameter("p", DType.F32, 37, 37, 11)).tanh().matmul(m.parameter("q", DType.F32, 11, 11, 37));
        m.output("out", h);
        Graph g = m.build();
        for (Level level : Level.values()) {
            String src = Mithril.source(g, Backend.JAVA, level, Map.of());
            assertTrue(src.contains("Gradients.matmul") && !src.contains("transpose("), () -> level + ": a transpose was materialized:\n" + src);
        }
        assertAgree(g, 1e-5);
    }

    /** Full and None agree; and backward run twice without zeroGrad accumulates exactly twice the gradient. */
    private static void assertAgree(Graph g, double tolerance) {
        SplittableRandom r = new SplittableRandom(11);
        int batch = 21;
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (Node n : g.inputs()) {
            int[] shape = n.type().dims().stream().mapToInt(d -> d.isFixed() ? Math.toIntExact(d.value()) : batch).toArray();
            Tensor t = Tensor.random(r.nextLong(), shape);
            inputs.put(n.name(), n.type().dtype() == DType.F64 ? t.toF64() : t);
        }
        Trainable none = (Trainable) Mithril.compile(g, Backend.JAVA, Level.NONE);
        Trainable full = (Trainable) Mithril.compile(g, Backend.JAVA, Level.FULL);
        Map<String, Tensor> out = none.forwardTrain(inputs);
        Tensor d = Tensor.random(5, out.get("out").shape());
        Map<String, Tensor> grads = Map.of("out", out.get("out").dtype() == DType.F64 ? d.toF64() : d);
        for (Trainable t : new Trainable[] {none, full}) {
            for (String in : t.inputNames()) t.setInputRequiresGrad(in, true);
            t.forwardTrain(inputs);
            t.backward(grads);
        }
        for (var e : none.gradients().entrySet()) {
            double err = Models.relativeError(full.gradients().get(e.getKey()), e.getValue());
            assertTrue(err <= tolerance, () -> g.name() + " gradient " + e.getKey() + ": relative error " + err);
        }
        for (var e : none.inputGradients().entrySet()) {
            double err = Models.relativeError(full.inputGradients().get(e.getKey()), e.getValue());
            assertTrue(err <= tolerance, () -> g.name() + " input gradient " + e.getKey() + ": relative error " + err);
        }
        Map<String, Tensor> once = new LinkedHashMap<>();
        full.gradients().forEach((k, v) -> once.put(k, v.copy()));
        full.forwardTrain(inputs);
        full.backward(grads);
        for (var e : once.entrySet()) {
            Tensor twice = full.gradients().get(e.getKey());
            Tensor doubled = Tensor.zeros(e.getValue().dtype(), e.getValue().shape());
            dev.mithril.runtime.Kernels.addInto(e.getValue(), e.getValue(), doubled);
            assertEquals(0, Models.relativeError(twice, doubled), 1e-6, () -> g.name() + " " + e.getKey() + " does not accumulate");
        }
    }
}
