package dev.mithril.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.BatchNorm;
import dev.mithril.processor.ops.FusedConv2d;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import dev.mithril.runtime.Trainable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Batch norms folded into convolutions (Basic) and residual tails fused into them (Full): what the passes make of a
 * small residual network, that the result computes what level None computes, and that the folded weights follow the
 * running statistics when a training forward moves them.
 */
class ConvFusionTest {
    /**
     * A stem (conv with bias, batch norm, relu), a residual block ({@code relu(bn(conv(relu(bn(conv(h))))) + h)}) and a
     * shortcut summing two convolutions, then pooling and a linear layer.
     */
    static Graph residualNet() {
        ModelBuilder m = new ModelBuilder("ResidualNet");
        Value x = m.input("x", "batch", 3, 12, 12);
        Value h = x.conv2d("stem", 8, 3, 3, 1, 1, 1, 1, true).batchNorm("stem_bn").relu();
        Value b = h.conv2d("c1", 8, 3, 3, 1, 1, 1, 1, false).batchNorm("bn1").relu();
        b = b.conv2d("c2", 8, 3, 3, 1, 1, 1, 1, false).batchNorm("bn2");
        h = b.plus(h).relu();
        Value two = h.conv2d("p", 8, 1, 1, 2, 0, 1, 1, false).plus(h.conv2d("q", 8, 3, 3, 2, 1, 1, 1, false));
        m.output("logits", two.adaptiveAvgPool2d(1, 1).flatten().linear("fc", 5));
        return m.build();
    }

    private static long count(Program p, Class<?> op) { return p.graph().nodes().stream().filter(n -> op.isInstance(n.op())).count(); }

    private static List<FusedConv2d> fused(Program p) {
        return p.graph().nodes().stream().map(Node::op).filter(o -> o instanceof FusedConv2d).map(o -> (FusedConv2d) o).toList();
    }

    @Test
    void basicFoldsEveryBatchNormAndFullFusesTheResidualTails() {
        Graph g = residualNet();
        Program basic = Pipeline.run(g, Level.BASIC, Map.of());
        assertTrue(basic.passes().contains("fold-batch-norm") && !basic.passes().contains("fuse-conv-epilogue"), basic.passes().toString());
        assertEquals(0, count(basic, BatchNorm.class));
        assertEquals(3, fused(basic).size());
        assertTrue(fused(basic).stream().allMatch(f -> f.norm() != null && !f.residual() && f.activation() == null));
        assertEquals(1, fused(basic).stream().filter(FusedConv2d::bias).count(), "the stem keeps its own bias, folded in");

        Program full = Pipeline.run(g, Level.FULL, Map.of());
        List<FusedConv2d> f = fused(full);
        // stem+bn+relu, c1+bn1+relu, c2+bn2+add+relu, p+add (q is the residual)
        assertEquals(4, f.size(), full.toText());
        assertEquals(List.of("stem", "stem_bn"), f.get(0).absorbed());
        assertEquals("relu", f.get(0).activation());
        assertEquals(2, f.stream().filter(FusedConv2d::residual).count());
        FusedConv2d tail = f.stream().filter(x -> x.norm() != null && x.residual()).findFirst().orElseThrow();
        assertEquals("relu", tail.activation());
        assertEquals(3, tail.absorbed().size(), tail.toString()); // c2, bn2, the add
        assertEquals(0, count(full, dev.mithril.dsl.ops.Add.class));
    }

    @Test
    void passesDoNotApplyToModelsWithoutConvolutions() {
        Graph mlp = Models.mlp(16, 8, 4);
        for (Level level : List.of(Level.BASIC, Level.FULL)) {
            List<String> passes = Pipeline.run(mlp, level, Map.of()).passes();
            assertFalse(passes.contains("fold-batch-norm") || passes.contains("fuse-conv-epilogue"), passes.toString());
        }
        assertFalse(Pipeline.runTraining(residualNet(), Level.FULL, Map.of()).passes().contains("fold-batch-norm"));
    }

    @Test
    void generatedSourceSaysWhatWasFoldedAndFused() {
        String basic = Mithril.source(residualNet(), Backend.JAVA, Level.BASIC, Map.of());
        assertTrue(basic.contains("with its batch norm folded into the weight and bias (absorbs c1)"), basic);
        assertTrue(basic.contains("if (stem_bn_num_batches_tracked.longs()[0] != foldedBatches) fold()"), basic);
        assertFalse(basic.contains("Norms.batchNormInference"), "every inference batch norm is folded");
        String full = Mithril.source(residualNet(), Backend.JAVA, Level.FULL, Map.of());
        assertTrue(full.contains("bias, residual add of") && full.contains("ReLU fused into the convolution's store"), full);
        assertTrue(full.contains("Epilogue.RELU"), full);
        // Full prepares each convolution's weight once (after folding), Basic packs nothing.
        assertTrue(full.contains("Packed = Conv2d.prepack(") && full.contains("Packed, "), full);
        assertFalse(basic.contains("prepack"), basic);
    }

    /** Non-trivial parameters and running statistics, the same for every level. */
    private static Map<String, Tensor> parameters(CompiledModel m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        long seed = 11;
        for (var e : m.parameters().entrySet()) {
            Tensor t = e.getValue().copy();
            String k = e.getKey();
            if (t.dtype() == dev.mithril.runtime.DType.F32) {
                float[] d = Tensor.random(seed++, t.shape()).data();
                boolean positive = k.endsWith("running_var") || (k.endsWith(".weight") && t.rank() == 1);
                for (int i = 0; i < d.length; i++) t.data()[i] = positive ? 1f + 0.5f * d[i] : d[i] * (t.rank() == 1 ? 0.2f : 0.3f); // d in [-1, 1)
            }
            out.put(k, t);
        }
        return out;
    }

    private static double relativeError(Tensor expected, Tensor actual) {
        double max = 0, diff = 0;
        for (int i = 0; i < expected.size(); i++) {
            max = Math.max(max, Math.abs(expected.data()[i]));
            diff = Math.max(diff, Math.abs(expected.data()[i] - actual.data()[i]));
        }
        return diff / max;
    }

    @Test
    void foldedAndFusedLevelsComputeWhatNoneComputesAndFollowTheRunningStatistics() {
        Graph g = residualNet();
        Tensor x = Tensor.randn(3, 2, 3, 12, 12);
        Map<String, Tensor> params;
        Tensor expected, expectedAfterTraining;
        try (CompiledModel none = Mithril.compile(g, Backend.JAVA, Level.NONE)) {
            params = parameters(none);
            none.load(params);
            expected = none.evaluate(Map.of("x", x)).get("logits").copy();
            ((Trainable) none).forwardTrain(Map.of("x", x));
            expectedAfterTraining = none.evaluate(Map.of("x", x)).get("logits").copy();
        }
        assertTrue(relativeError(expected, expectedAfterTraining) > 1e-3, "the training forward moved the running statistics");
        for (Level level : List.of(Level.BASIC, Level.FULL)) {
            try (CompiledModel m = Mithril.compile(g, Backend.JAVA, level)) {
                m.load(params);
                assertTrue(relativeError(expected, m.evaluate(Map.of("x", x)).get("logits")) < 1e-4, level.toString());
                ((Trainable) m).forwardTrain(Map.of("x", x));
                assertTrue(relativeError(expectedAfterTraining, m.evaluate(Map.of("x", x)).get("logits")) < 1e-4, level + " after forwardTrain");
                // Written in place (as an optimizer does), the parameters reach the folded weights through parametersChanged().
                m.parameters().get("bn2.weight").data()[0] += 1f;
                ((Trainable) m).parametersChanged();
                assertTrue(relativeError(expectedAfterTraining, m.evaluate(Map.of("x", x)).get("logits")) > 1e-4, level + " after an in-place edit");
            }
        }
    }
}
