package dev.mithril.dsl.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.MithrilException;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one op's shape rule the way front ends do: through {@link Graph.Builder}, on input nodes
 * named {@code a}, {@code b}, {@code c} (in order) and a result node named {@code y}.
 */
final class Shapes {
    private Shapes() {}

    static final String[] NAMES = {"a", "b", "c", "d", "e", "f"};

    /** {@code float32} type from dimension strings: {@code t("batch", "784")}. */
    static TensorType t(String... dims) { return TensorType.parse(DType.F32, dims); }

    static TensorType t(DType dtype, String... dims) { return TensorType.parse(dtype, dims); }

    /** The inferred type of {@code op} applied to inputs of the given types. */
    static TensorType infer(Op op, TensorType... inputs) {
        Graph.Builder g = Graph.builder("T").failFast(true);
        Node y = g.add("y", op, List.of(inputs(g, inputs)), null);
        assertNotNull(y.type(), "no type inferred for " + op);
        return y.type();
    }

    /** The single error {@code op} reports for inputs of the given types. */
    static IrError error(Op op, TensorType... inputs) {
        Graph.Builder g = Graph.builder("T");
        Node y = g.add("y", op, List.of(inputs(g, inputs)), null);
        g.output("y", y);
        MithrilException e = assertThrows(MithrilException.class, g::build);
        assertEquals(1, e.errors().size(), e::getMessage);
        IrError err = e.errors().get(0);
        assertEquals("y", err.nodeName());
        assertTrue(err.message().startsWith(op.kind() + " 'y' "), err.message());
        return err;
    }

    /**
     * Asserts the error's tag, and that its message names every given input node together with
     * its shape, so the user can see which two values disagree and how.
     */
    static void assertNames(IrError err, String tag, TensorType... inputs) {
        assertEquals(tag, err.tag(), err::format);
        for (int i = 0; i < inputs.length; i++) {
            assertTrue(err.message().contains("'" + NAMES[i] + "'"), () -> "names no input: " + err.message());
            assertTrue(err.message().contains(inputs[i].shapeString()), () -> "shows no shape: " + err.message());
        }
    }

    private static Node[] inputs(Graph.Builder g, TensorType... types) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < types.length; i++) nodes.add(g.input(NAMES[i], types[i], null));
        return nodes.toArray(Node[]::new);
    }
}
