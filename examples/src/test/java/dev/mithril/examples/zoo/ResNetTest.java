package dev.mithril.examples.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.examples.verify.FixtureCheck;
import dev.mithril.examples.verify.ReferenceFixture;
import dev.mithril.runtime.AbstractCompiledModel;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The zoo's ResNets: the builder's parameters are torchvision's state dict (the PyTorch fixtures'), the optimized levels
 * compute what level None computes on the fixtures' images, and the annotated {@link ResNet18} and {@link ResNet50}
 * are the builder's graphs.
 */
class ResNetTest {
    static ReferenceFixture fixture(String name) {
        Path p = Path.of(System.getProperty("mithril.reference.dir", "../../shared/reference"), name + ".safetensors");
        assertTrue(Files.isRegularFile(p), "missing PyTorch fixture " + p.toAbsolutePath());
        return ReferenceFixture.read(p);
    }

    /** Name to "dtype[shape]", in the graph's order. */
    static Map<String, String> parameterTypes(Graph g) {
        Map<String, String> out = new LinkedHashMap<>();
        for (var n : g.nodes()) if (n.op() instanceof Parameter p) out.put(p.paramName(), p.type().toString());
        return out;
    }

    @Test
    void builderParametersAreTorchvisionsStateDict() {
        for (String name : List.of("resnet18_w8", "resnet50_w4")) {
            ReferenceFixture f = fixture(name);
            Map<String, String> expected = new LinkedHashMap<>();
            f.parameters().forEach((k, t) -> expected.put(k, (t.dtype() == dev.mithril.runtime.DType.I64 ? "int64" : "float32")
                    + Tensor.shapeString(t.shape()).replace(" ", "")));
            Map<String, String> actual = new LinkedHashMap<>();
            parameterTypes(Zoo.fromConfig("resnet", Map.of("depth", name.contains("18") ? 18 : 50, "num_classes", 10,
                    "width", name.contains("18") ? 8 : 4))).forEach((k, v) -> actual.put(k, v.replace(" ", "")));
            assertEquals(new java.util.TreeMap<>(expected), new java.util.TreeMap<>(actual), name);
        }
        // torchvision's registration order: a block's downsample after its main path.
        List<String> names = List.copyOf(parameterTypes(Zoo.resnet(18, 10, 8)).keySet());
        assertTrue(names.indexOf("layer2.0.bn2.num_batches_tracked") + 1 == names.indexOf("layer2.0.downsample.0.weight"), names.toString());
        assertEquals(List.of("fc.weight", "fc.bias"), names.subList(names.size() - 2, names.size()));
        assertEquals(122, parameterTypes(Zoo.resnet(18, 1000, 64)).size()); // torchvision resnet18's state dict: 102 tensors + 20 counters
    }

    @Test
    void badHyperparametersAndWeightsAreNamed() {
        var depth = assertThrows(IllegalArgumentException.class, () -> Zoo.resnet(20, 10, 8));
        assertTrue(depth.getMessage().contains("depth 20"), depth.getMessage());
        ReferenceFixture f = fixture("resnet18_w8");
        Map<String, Tensor> weights = new LinkedHashMap<>(f.parameters());
        weights.remove("layer3.1.bn2.running_var");
        weights.put("layer3.1.bn2.running_varx", Tensor.zeros(32));
        weights.put("fc.bias", Tensor.zeros(11));
        try (CompiledModel m = Mithril.compile(Zoo.fromConfig("resnet", Map.of("depth", 18, "num_classes", 10, "width", 8, "image", List.of(32, 32))),
                Backend.JAVA, Level.NONE)) {
            var e = assertThrows(IllegalArgumentException.class, () -> m.load(weights));
            String msg = e.getMessage();
            assertTrue(msg.contains("missing: \"layer3.1.bn2.running_var\"") && msg.contains("unexpected: \"layer3.1.bn2.running_varx\"")
                    && msg.contains("\"fc.bias\" expects [10] but got [11]"), msg);
        }
    }

    @Test
    void optimizedLevelsComputeWhatNoneComputesOnTheFixtures() {
        for (String name : List.of("resnet18_w8", "resnet50_w4")) {
            ReferenceFixture f = fixture(name);
            Graph g = Zoo.fromConfig(f.model(), FixtureCheck.configOf(f));
            Map<String, Tensor> input = Map.of("x", f.tensor("input"));
            Tensor none;
            try (CompiledModel m = Mithril.compile(g, Backend.JAVA, Level.NONE)) {
                m.load(f.parameters());
                none = m.evaluate(input).get("logits").copy();
            }
            for (Level level : List.of(Level.BASIC, Level.FULL)) {
                try (CompiledModel m = Mithril.compile(g, Backend.JAVA, level)) {
                    m.load(f.parameters());
                    double err = FixtureCheck.relativeError(none, m.evaluate(input).get("logits"));
                    assertTrue(err < 1e-4, name + " " + level + ": " + err);
                }
            }
            String basic = Mithril.source(g, Backend.JAVA, Level.BASIC, Map.of());
            assertTrue(basic.contains("// layer1.0.bn1: conv2d of ") && basic.contains("with its batch norm folded into the weight and bias (absorbs layer1.0.conv1)"), name);
            assertTrue(!basic.contains("batchNormInference"), name + ": every batch norm follows a convolution");
            String full = Mithril.source(g, Backend.JAVA, Level.FULL, Map.of());
            String last = name.contains("18") ? "2" : "3"; // the block's last convolution takes the residual add and ReLU
            assertTrue(full.contains("bias, residual add of") && full.contains("ReLU fused into the convolution's store (absorbs layer1.0.conv"
                    + last + ", layer1.0.bn" + last + ", "), name);
        }
    }

    /** Random weights, with batch-norm parameters and statistics away from their identity initialization. */
    static Map<String, Tensor> weights(AbstractCompiledModel m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        long seed = 5;
        for (var e : m.parameters().entrySet()) {
            Tensor t = e.getValue().copy();
            if (t.dtype() == dev.mithril.runtime.DType.F32 && t.rank() == 1 && !e.getKey().startsWith("fc.")) {
                float[] r = Tensor.random(seed++, t.shape()).data();
                boolean scale = e.getKey().endsWith(".weight") || e.getKey().endsWith("running_var");
                for (int i = 0; i < r.length; i++) t.data()[i] = scale ? 1f + 0.5f * r[i] : 0.1f * r[i];
            }
            out.put(e.getKey(), t);
        }
        return out;
    }

    @Test
    void annotatedResNetsAreTheBuildersGraphs() {
        Tensor image = Tensor.randn(9, 1, 3, 224, 224);
        for (AbstractCompiledModel annotated : List.<AbstractCompiledModel>of(ResNet18JavaFull.create(1), ResNet50JavaFull.create(2))) {
            int depth = annotated instanceof ResNet18JavaFull ? 18 : 50;
            Graph g = Zoo.resnet(depth, 1000, 64);
            assertEquals(List.copyOf(parameterTypes(g).keySet()), List.copyOf(annotated.parameters().keySet()), "resnet" + depth);
            Map<String, Tensor> w = weights(annotated);
            annotated.load(w);
            Tensor expected = annotated.evaluate(Map.of("x", image)).get("logits").copy();
            assertEquals(List.of(1, 1000), java.util.Arrays.stream(expected.shape()).boxed().toList());
            try (CompiledModel built = Mithril.compile(g, Backend.JAVA, Level.FULL)) {
                built.load(w);
                double err = FixtureCheck.relativeError(expected, built.evaluate(Map.of("x", image)).get("logits"));
                assertTrue(err < 1e-5, "resnet" + depth + ": " + err);
            }
            annotated.close();
        }
    }
}
