package dev.mithril.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.runtime.DType;
import dev.mithril.runtime.Tensor;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The zoo workloads' graphs (IR only, nothing compiled) and inputs: shapes, sizes and batch defaults. */
class WorkloadTest {
    private static long[] bound(TensorType t, Map<String, Integer> dims) {
        TensorType b = t.bind(dims);
        return b.dims().stream().mapToLong(d -> d.value()).toArray();
    }

    private static void assertShapes(Workload w, int batch, DType inputType, long[] in, long[] out) {
        Graph g = w.graph();
        Node input = g.inputs().getFirst();
        assertEquals(1, g.inputs().size(), w.id());
        assertEquals(inputType.name(), input.type().dtype().name(), w.id());
        assertArrayEquals(in, bound(input.type(), w.dims(batch)), w.id());
        assertArrayEquals(Arrays.stream(w.inputShape(batch)).asLongStream().toArray(), in, w.id());
        assertEquals(1, g.outputs().size(), w.id());
        assertArrayEquals(out, bound(g.outputs().get("logits").type(), w.dims(batch)), w.id());
    }

    @Test
    void resnetsTakeImagesAndGiveAThousandClasses() {
        assertShapes(Workload.RESNET18, 2, DType.F32, new long[] {2, 3, 224, 224}, new long[] {2, 1000});
        assertShapes(Workload.RESNET50, 3, DType.F32, new long[] {3, 3, 224, 224}, new long[] {3, 1000});
        assertEquals("3x224x224 / 1000", Workload.RESNET18.ioSize());
    }

    @Test
    void transformerTakesTokenIdsAndGivesLogitsPerPosition() {
        assertShapes(Workload.TRANSFORMER, 2, DType.I64, new long[] {2, 128}, new long[] {2, 128, 50257});
        assertTrue(Workload.TRANSFORMER.tokens());
        assertFalse(Workload.RESNET50.tokens());
    }

    @Test
    void transformerParametersAreNanoGptsWithTheHeadTied() {
        long d = 512, v = 50257, block = 1024;
        long perLayer = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * 4 * d + 4 * d) + (4 * d * d + d);
        assertEquals(v * d + block * d + 6 * perLayer + 2 * d, Workload.TRANSFORMER.parameterCount());
    }

    @Test
    void onlyTheDenseModelsHaveAnnotatedExamples() {
        assertTrue(Workload.MLP.dense());
        assertFalse(Workload.RESNET18.dense());
        assertFalse(Workload.TRANSFORMER.dense());
    }

    @Test
    void tokenInputsAreBoundedInt64() {
        Tensor t = Subject.tokens(5, 7, 3, 4);
        assertEquals(DType.I64, t.dtype());
        assertArrayEquals(new int[] {3, 4}, t.shape());
        assertTrue(Arrays.stream(t.longs()).allMatch(x -> x >= 0 && x < 7));
        assertEquals(Arrays.stream(t.longs()).distinct().count() > 1, true, "random ids, not a constant");
        assertArrayEquals(t.longs(), Subject.tokens(5, 7, 3, 4).longs(), "same seed, same ids");
    }
}
