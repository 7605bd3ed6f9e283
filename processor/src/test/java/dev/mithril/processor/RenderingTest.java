package dev.mithril.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Kernels;
import dev.mithril.runtime.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The generated source and the run-time compiler. */
class RenderingTest {
    private static final Graph MLP = Models.mlp(8, 16, 4);

    @Test
    void renderingIsDeterministic() {
        for (Level l : Level.values()) {
            assertEquals(ModelCompiler.compile(Models.mlp(8, 16, 4), "p", Backend.JAVA, l).toString(),
                    ModelCompiler.compile(Models.mlp(8, 16, 4), "p", Backend.JAVA, l).toString());
        }
    }

    @Test
    void noneIsOneKernelCallPerNodeNamedAfterTheModel() {
        String s = Mithril.source(MLP, Backend.JAVA, Level.NONE, Map.of());
        assertTrue(s.contains("Tensor layers_0 = Kernels.linear(x, layers_0_weight, layers_0_bias);"), s);
        assertTrue(s.contains("Tensor layers_1 = Kernels.relu(layers_0);"), s);
        assertTrue(s.contains("passes: bind-dims"), s);
        assertTrue(s.contains("public final class SequentialJavaNone extends AbstractCompiledModel implements SequentialModel"), s);
        assertTrue(s.contains("@Generated(\"dev.mithril.processor\")"), s);
    }

    @Test
    void fullFusesPacksAndUsesConstantBoundsWhenDimsAreBound() {
        String s = Mithril.source(MLP, Backend.JAVA, Level.FULL, Map.of("batch", 32));
        assertTrue(s.contains("// layers.1 = relu(linear(x)): bias and ReLU fused into the GEMM epilogue; buffer 0"), s);
        assertTrue(s.contains("Gemm.linear(x.data(), 0, 32, layers_0_weightPacked, layers_0_bias.data(), Epilogue.BIAS_RELU, layers_1.data(), 0);"), s);
        assertTrue(s.contains("passes: bind-dims, fold-constants, cse, remove-dead-nodes, fuse-linear-epilogue, fuse-elementwise, pack-weights, plan-buffers"), s);
        assertTrue(s.contains("if (x.dim(0) != 32 || x.dim(1) != 8)"), s);
    }

    @Test
    void unsupportedBackendsSaySo() {
        for (Backend b : List.of(Backend.CUDA, Backend.METAL)) {
            var e = assertThrows(IllegalArgumentException.class, () -> ModelCompiler.compile(MLP, "p", b, Level.FULL));
            assertTrue(e.getMessage().contains("backend " + b + " has no renderer yet"), e.getMessage());
        }
    }

    @Test
    void compiledModelsRunChecksAndAreCachedBySource() {
        CompiledModel a = Mithril.compile(MLP, Backend.JAVA, Level.BASIC);
        CompiledModel b = Mithril.compile(MLP, Backend.JAVA, Level.BASIC);
        assertNotSame(a, b);
        assertSame(a.getClass(), b.getClass());
        assertEquals(List.of("x"), a.inputNames());
        assertEquals(List.of("logits"), a.outputNames());
        assertEquals("java", a.backend());
        var wrongShape = assertThrows(IllegalArgumentException.class, () -> a.evaluate(Map.of("x", Tensor.zeros(2, 9))));
        assertTrue(wrongShape.getMessage().contains("'x'") || wrongShape.getMessage().contains("\"x\""), wrongShape.getMessage());
        var wrongName = assertThrows(IllegalArgumentException.class, () -> a.evaluate(Map.of("y", Tensor.zeros(2, 8))));
        assertTrue(wrongName.getMessage().contains("y"), wrongName.getMessage());
        var unknownDim = assertThrows(IllegalArgumentException.class, () -> Mithril.compile(MLP, Backend.JAVA, Level.FULL, Map.of("bach", 4)));
        assertTrue(unknownDim.getMessage().contains("bach") && unknownDim.getMessage().contains("batch"), unknownDim.getMessage());
    }

    @Test
    void parametersAreInitializedFromSeedZeroAndRepackedOnLoad() {
        CompiledModel none = Mithril.compile(MLP, Backend.JAVA, Level.NONE);
        CompiledModel full = Mithril.compile(MLP, Backend.JAVA, Level.FULL);
        Tensor w = none.parameters().get("layers.0.weight");
        float bound = (float) (1 / Math.sqrt(8));
        for (float v : w.data()) assertTrue(Math.abs(v) <= bound);
        assertTrue(Math.abs(w.data()[0]) > 0);
        Map<String, Tensor> loaded = new java.util.LinkedHashMap<>();
        none.parameters().forEach((k, v) -> loaded.put(k, Tensor.random(k.hashCode(), v.shape())));
        none.load(loaded);
        full.load(loaded);
        Tensor x = Tensor.random(3, 5, 8);
        Tensor expected = none.evaluate(Map.of("x", x)).get("logits");
        assertTrue(Models.relativeError(full.evaluate(Map.of("x", x)).get("logits"), expected) < 1e-5);
    }

    @Test
    void severalOutputsComeBackByName() {
        ModelBuilder m = new ModelBuilder("Two");
        Value x = m.input("x", "batch", 5);
        m.output("probs", x.softmax(-1)).output("total", x.sum(1));
        Graph g = m.build();
        String api = ModelCompiler.modelInterface(g, "p").toString();
        assertTrue(api.contains("Outputs forward(Tensor x);"), api);
        for (Level l : Level.values()) {
            CompiledModel model = Mithril.compile(g, Backend.JAVA, l);
            Tensor x0 = Tensor.random(1, 3, 5);
            Map<String, Tensor> out = model.evaluate(Map.of("x", x0));
            assertEquals(List.of("probs", "total"), List.copyOf(out.keySet()));
            assertTrue(Models.relativeError(out.get("probs"), Kernels.softmax(x0, -1)) < 1e-6);
            assertTrue(Models.relativeError(out.get("total"), Kernels.sum(x0, new int[] {1}, false)) < 1e-6);
        }
    }
    @Test
    void float64ModelsRenderDoubleCodeAtEveryLevel() {
        ModelBuilder m = new ModelBuilder("Mlp64");
        Value x = m.input("x", dev.mithril.runtime.DType.F64, "batch", 6);
        m.output("y", x.linear("fc1", 5).relu().linear("fc2", 3).times(2f).plus(1f).tanh());
        Graph g = m.build();
        String full = Mithril.source(g, Backend.JAVA, Level.FULL, Map.of());
        assertTrue(full.contains("paramFanIn(\"fc1.weight\", DType.F64, 6, 5, 6)"), full);
        assertTrue(full.contains("Gemm.pack(fc1_weight.doubles(), 0, 5, 6)"), full);
        assertTrue(full.contains("Gemm.linear(x.doubles(), 0, batch, fc1_weightPacked, fc1_bias.doubles(), Epilogue.BIAS_RELU, relu_1.doubles(), 0)"), full);
        assertTrue(full.contains("double[] buffer0 = new double["), full);
        assertTrue(full.contains("DoubleVector.fromArray(SPECIES_F64, "), full);
        assertTrue(full.contains("VectorSpecies<Double> SPECIES_F64 = DoubleVector.SPECIES_PREFERRED"), full);
        Tensor in = Tensor.random(3, 4, 6).toF64();
        Tensor expected = null;
        for (Level l : Level.values()) {
            CompiledModel model = Mithril.compile(g, Backend.JAVA, l);
            Tensor y = model.evaluate(Map.of("x", in)).get("y");
            assertEquals(dev.mithril.runtime.DType.F64, y.dtype(), l.name());
            if (expected == null) { expected = y.copy(); continue; }
            assertTrue(Models.relativeError(y, expected) <= 1e-13, l + ": " + Models.relativeError(y, expected));
        }
        // The parameters are float64 and initialized like the float32 ones (same draws, not rounded to float).
        Tensor w = Mithril.compile(g, Backend.JAVA, Level.NONE).parameters().get("fc1.weight");
        assertEquals(dev.mithril.runtime.DType.F64, w.dtype());
        assertTrue(w.doubles()[0] != (float) w.doubles()[0], "not a float value");
    }
}
