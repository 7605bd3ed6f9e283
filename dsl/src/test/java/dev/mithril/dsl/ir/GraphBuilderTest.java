package dev.mithril.dsl.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.ops.Add;
import dev.mithril.dsl.ops.Linear;
import dev.mithril.dsl.ops.MatMul;
import dev.mithril.dsl.ops.Relu;
import dev.mithril.dsl.ops.Softmax;
import dev.mithril.runtime.DType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GraphBuilderTest {
    static TensorType t(String... dims) { return TensorType.parse(DType.F32, dims); }

    /** x [batch, 4] -> linear 'fc' (3 out) -> relu 'h' -> output 'y'. */
    static Graph small(String name) {
        Graph.Builder b = Graph.builder(name);
        Node x = b.input("x", t("batch", "4"), null);
        Node w = b.parameter("fc.weight", TensorType.f32(3, 4), 4, null);
        Node bias = b.parameter("fc.bias", TensorType.f32(3), 4, null);
        Node fc = b.add("fc", new Linear(), x, w, bias);
        Node h = b.add("h", new Relu(), fc);
        return b.output("y", h).build();
    }

    @Test
    void toTextIsExactAndDeterministic() {
        String expected = """
                graph Small {
                  %x = input(type=float32[batch, 4]) : float32[batch, 4]
                  %fc.weight = parameter(name=fc.weight, type=float32[3, 4]) : float32[3, 4]
                  %fc.bias = parameter(name=fc.bias, type=float32[3]) : float32[3]
                  %fc = linear(%x, %fc.weight, %fc.bias) : float32[batch, 3]
                  %h = relu(%fc) : float32[batch, 3]
                  output y = %h
                }
                """;
        assertEquals(expected, small("Small").toText());
        assertEquals(small("Small").toText(), small("Small").toText());
        assertEquals(expected, small("Small").toString());
    }

    @Test
    void graphAnswersQueriesAboutItsNodes() {
        Graph g = small("Small");
        assertEquals("Small", g.name());
        assertEquals(List.of("x", "fc.weight", "fc.bias", "fc", "h"), g.nodes().stream().map(Node::name).toList());
        assertEquals(List.of("x"), g.inputs().stream().map(Node::name).toList());
        assertEquals(List.of("fc.weight", "fc.bias"), g.parameters().stream().map(Node::name).toList());
        assertEquals(List.of("y"), List.copyOf(g.outputs().keySet()));
        assertSame(g.node("h"), g.outputs().get("y"));
        assertNull(g.node("nope"));
        assertEquals(List.of("batch"), g.dimensionNames());
        assertEquals(List.of(g.node("h")), g.users().get(g.node("fc")));
        assertEquals(List.of(), g.users().get(g.node("h")));
        assertEquals("fc_weight", g.node("fc.weight").javaName());
        assertThrows(UnsupportedOperationException.class, () -> g.outputs().clear());
    }

    @Test
    void typesAreInferredAsNodesAreAdded() {
        Graph.Builder b = Graph.builder("M");
        Node x = b.input("x", t("batch", "8"), null);
        Node s = b.add("s", new Softmax(-1), x);
        assertEquals(t("batch", "8"), s.type());
        assertTrue(b.has("s"));
        assertSame(s, b.get("s"));
        assertNull(b.get("t"));
    }

    @Test
    void duplicateNodeIsReportedWithItsOrigin() {
        Graph.Builder b = Graph.builder("M");
        Node x = b.input("x", t("2"), "first");
        b.add("x", new Relu(), List.of(x), "second");
        b.output("y", x);
        MithrilException e = assertThrows(MithrilException.class, b::build);
        IrError err = e.errors().get(0);
        assertEquals(1, e.errors().size());
        assertEquals(IrError.DUPLICATE_NODE, err.tag());
        assertEquals("x", err.nodeName());
        assertEquals("second", err.origin());
        assertEquals("[MithrilDuplicateNode] node 'x' is defined twice", err.format());
        assertEquals(err.format(), e.getMessage());
    }

    @Test
    void duplicateOutputIsReported() {
        Graph.Builder b = Graph.builder("M");
        Node x = b.input("x", t("2"), null);
        b.output("y", x).output("y", x);
        MithrilException e = assertThrows(MithrilException.class, b::build);
        assertEquals(IrError.DUPLICATE_NODE, e.errors().get(0).tag());
        assertTrue(e.getMessage().contains("output 'y' is declared twice"), e.getMessage());
    }

    @Test
    void missingOutputIsReported() {
        Graph.Builder b = Graph.builder("Headless");
        b.input("x", t("2"), null);
        MithrilException e = assertThrows(MithrilException.class, b::build);
        assertEquals(1, e.errors().size());
        assertEquals(IrError.MISSING_OUTPUT, e.errors().get(0).tag());
        assertTrue(e.getMessage().startsWith("[MithrilMissingOutput] model 'Headless' has no output"), e.getMessage());
    }

    @Test
    void allErrorsAreCollectedInOrder() {
        Graph.Builder b = Graph.builder("Broken");
        Node x = b.input("x", t("batch", "4"), "origin-x");
        Node w = b.parameter("w", TensorType.f32(3, 5), 5, null);
        Node fc = b.add("fc", new Linear(), List.of(x, w), "origin-fc");            // 4 vs 5 in-features
        b.add("after", new Relu(), List.of(fc), null);                               // untyped: explained by fc's error
        Node y = b.input("y", t("seq", "4"), null);
        b.add("sum", new Add(), List.of(x, y), "origin-sum");                        // batch vs seq
        b.add("x", new MatMul(), List.of(x, x), "origin-dup");                       // duplicate
        MithrilException e = assertThrows(MithrilException.class, b::build);
        assertEquals(List.of(IrError.SHAPE_MISMATCH, IrError.SHAPE_MISMATCH, IrError.DUPLICATE_NODE, IrError.MISSING_OUTPUT),
                e.errors().stream().map(IrError::tag).toList());
        assertEquals(List.of("origin-fc", "origin-sum", "origin-dup"), e.errors().subList(0, 3).stream().map(IrError::origin).toList());
        assertTrue(e.errors().get(0).message().startsWith("linear 'fc' expects 5 input features per row"), e.getMessage());
        assertEquals(4, e.getMessage().lines().count());
        assertNull(b.get("after").type());
    }

    @Test
    void failFastThrowsAtTheFirstError() {
        Graph.Builder b = Graph.builder("M").failFast(true);
        Node x = b.input("x", t("batch", "4"), null);
        Node w = b.parameter("w", TensorType.f32(3, 5), 5, null);
        MithrilException e = assertThrows(MithrilException.class, () -> b.add("fc", new Linear(), x, w));
        assertEquals(IrError.SHAPE_MISMATCH, e.errors().get(0).tag());
        assertEquals("fc", e.errors().get(0).nodeName());
    }

    @Test
    void inputsMustBelongToTheGraph() {
        Graph.Builder other = Graph.builder("Other");
        Node foreign = other.input("x", t("2"), null);
        Graph.Builder b = Graph.builder("M");
        b.input("x", t("2"), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.add("r", new Relu(), foreign));
        assertTrue(e.getMessage().contains("'r' reads 'x', which belongs to another graph"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.add("r", new Relu(), (Node) null));
    }

    @Test
    void boundTypesFollowTheInputs() {
        Graph g = small("Small");
        assertEquals(TensorType.f32(32, 3), g.node("h").type().bind(Map.of("batch", 32)));
    }
}
