package dev.mithril.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.squareup.javapoet.JavaFile;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.processor.InMemoryCompiler;
import dev.mithril.processor.ModelCompiler;
import dev.mithril.runtime.CompiledModel;
import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The model-zoo layers on ND4J at every level against the Java backend at level None, forward: strided,
 * padded, dilated and grouped convolutions with batch norms (folded into the convolution by Basic and
 * Full, unfolded again for ND4J), the three poolings on sizes that do not divide, and a small transformer
 * block over int64 ids (embeddings, positions, layer norm, causal attention, concat, slice, argmax).
 * Batch-norm statistics and every parameter are random, so no layer is an identity.
 */
class Nd4jLayersTest {
    private static final double TOLERANCE = 1e-5;

    static Graph convNet() {
        ModelBuilder m = new ModelBuilder("ConvNet");
        Value x = m.input("x", "batch", 3, 11, 9);
        Value h = x.conv2d("c1", 6, 3, 3, 2, 1, 1, 1, true).batchNorm("bn1").relu();
        Value g = h.conv2d("c2", 6, 3, 3, 1, 2, 2, 3, false).batchNorm("bn2");
        Value r = g.plus(h).relu().maxPool2d(3, 2, 1);
        Value p = r.conv2d("c3", 5, 1, 2, 1, 0, 1, 1, true).avgPool2d(2, 1, 1).adaptiveAvgPool2d(2, 3);
        m.output("logits", p.flatten().linear("fc", 4));
        return m.build();
    }

    static Graph transformerBlock() {
        ModelBuilder m = new ModelBuilder("Block");
        Value ids = m.input("ids", DType.I64, "batch", 7);
        Value tok = ids.embedding("tok", 13, 12);
        Value h = tok.plus(ids.positions(1).embedding("pos", 7, 12)).layerNorm("ln");
        Value a = h.linear("qkv", 36).causalAttention(3).gelu();
        Value c = a.concat(-1, h).slice(2, 1, -1, 2);
        Value logits = c.linear("head", 13);
        m.output("logits", logits);
        m.output("next", logits.argmax(-1));
        return m.build();
    }

    @Test
    void layersAgreeWithJava() {
        List<Graph> graphs = List.of(convNet(), transformerBlock());
        List<JavaFile> files = new ArrayList<>();
        for (Graph g : graphs) {
            String pkg = "nd4jlayers." + g.name().toLowerCase();
            files.add(ModelCompiler.modelInterface(g, pkg));
            files.add(ModelCompiler.compile(g, pkg, Backend.JAVA, Level.NONE));
            for (Level l : Level.values()) files.add(ModelCompiler.compile(g, pkg, Backend.ND4J, l));
        }
        ClassLoader loader = InMemoryCompiler.compile(files);
        SplittableRandom r = new SplittableRandom(11);
        for (Graph g : graphs) {
            CompiledModel reference = create(loader, g, Backend.JAVA, Level.NONE);
            Map<String, Tensor> params = randomParameters(reference, r);
            reference.load(params);
            for (int batch : new int[] {1, 3}) {
                Map<String, Tensor> inputs = g.name().equals("Block") ? Map.of("ids", ids(r, batch, 7, 13))
                        : Map.of("x", Tensor.random(r.nextLong(), batch, 3, 11, 9));
                Map<String, Tensor> expected = new LinkedHashMap<>();
                reference.evaluate(inputs).forEach((k, v) -> expected.put(k, v.copy()));
                for (Level l : Level.values()) {
                    CompiledModel nd4j = create(loader, g, Backend.ND4J, l);
                    nd4j.load(params);
                    nd4j.evaluate(inputs);
                    Map<String, Tensor> got = nd4j.evaluate(inputs);
                    for (String k : expected.keySet()) {
                        Tensor e = expected.get(k), a = got.get(k);
                        if (e.dtype() == DType.I64) {
                            assertEquals(DType.I64, a.dtype());
                            assertEquals(java.util.Arrays.toString(e.longs()), java.util.Arrays.toString(a.longs()), g.name() + " " + l + " " + k);
                        } else {
                            double err = Nd4jDifferentialTest.relativeError(a, e);
                            assertTrue(err <= TOLERANCE, g.name() + " ND4J " + l + " batch " + batch + " " + k + ": relative error " + err);
                        }
                    }
                }
            }
        }
    }

    /** Every parameter random (variances in [0.5, 2)), from the Java model's shapes; counters left as they are. */
    static Map<String, Tensor> randomParameters(CompiledModel m, SplittableRandom r) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.parameters().forEach((name, t) -> {
            if (t.dtype() != DType.F32) { out.put(name, t); return; }
            float[] v = new float[t.size()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (name.endsWith("running_var") ? r.nextDouble(0.5, 2) : r.nextDouble(-1, 1));
            out.put(name, Tensor.of(v, t.shape()));
        });
        return out;
    }

    private static Tensor ids(SplittableRandom r, int batch, int length, int vocab) {
        long[] v = new long[batch * length];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(vocab);
        return Tensor.ofLongs(v, batch, length);
    }

    private static CompiledModel create(ClassLoader loader, Graph g, Backend b, Level l) {
        String name = "nd4jlayers." + g.name().toLowerCase() + "." + ModelCompiler.className(g, b, l);
        try {
            return (CompiledModel) loader.loadClass(name).getMethod("create", long.class).invoke(null, 7L);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot create " + name, e);
        }
    }
}
