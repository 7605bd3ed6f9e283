package dev.mithril.dsl.builder;

import static dev.mithril.dsl.builder.Layers.flatten;
import static dev.mithril.dsl.builder.Layers.gelu;
import static dev.mithril.dsl.builder.Layers.linear;
import static dev.mithril.dsl.builder.Layers.relu;
import static dev.mithril.dsl.builder.Layers.reshape;
import static dev.mithril.dsl.builder.Layers.sigmoid;
import static dev.mithril.dsl.builder.Layers.softmax;
import static dev.mithril.dsl.builder.Layers.tanh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.MithrilException;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.dsl.ops.Relu;
import dev.mithril.runtime.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class SequentialTest {
    static final String MLP_TEXT = """
            graph Mlp {
              %x = input(type=float32[batch, 784]) : float32[batch, 784]
              %layers.0.weight = parameter(name=layers.0.weight, type=float32[32, 784]) : float32[32, 784]
              %layers.0.bias = parameter(name=layers.0.bias, type=float32[32]) : float32[32]
              %layers.0 = linear(%x, %layers.0.weight, %layers.0.bias) : float32[batch, 32]
              %layers.1 = relu(%layers.0) : float32[batch, 32]
              %layers.2.weight = parameter(name=layers.2.weight, type=float32[10, 32]) : float32[10, 32]
              %layers.2.bias = parameter(name=layers.2.bias, type=float32[10]) : float32[10]
              %layers.2 = linear(%layers.1, %layers.2.weight, %layers.2.bias) : float32[batch, 10]
              output logits = %layers.2
            }
            """;

    @Test
    void smallMlpNamedLikeNnSequential() {
        Graph g = Sequential.model("Mlp", "layers", "x", "batch", 784)
                .then(linear(32)).then(relu())
                .then(linear(10))
                .output("logits");
        assertEquals(MLP_TEXT, g.toText());
        assertEquals(List.of("layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"),
                g.parameters().stream().map(Node::name).toList());
    }

    @Test
    void graphFormWithTheSameNamesBuildsTheSameIr() {
        ModelBuilder m = new ModelBuilder("Mlp");
        Value x = m.input("x", "batch", 784);
        Value h = m.apply("layers.1", new Relu(), x.linear("layers.0", 32));
        m.output("logits", h.linear("layers.2", 10));
        assertEquals(MLP_TEXT, m.build().toText());
    }

    @Test
    void inputStartsAModelNamedSequential() {
        Graph g = Sequential.input("x", 3).then(linear(2, false)).output("y");
        assertEquals("""
                graph Sequential {
                  %x = input(type=float32[3]) : float32[3]
                  %layers.0.weight = parameter(name=layers.0.weight, type=float32[2, 3]) : float32[2, 3]
                  %layers.0 = linear(%x, %layers.0.weight) : float32[2]
                  output y = %layers.0
                }
                """, g.toText());
    }

    @Test
    void everyLayerNamesItsNodeByPosition() {
        Graph g = Sequential.model("Net", "net", "image", "batch", 1, 28, 28)
                .then(flatten()).then(linear(16)).then(gelu()).then(sigmoid()).then(tanh())
                .then(reshape("batch", 4, 4)).then(softmax(-1))
                .output("probs");
        assertEquals(List.of("image", "net.0", "net.1.weight", "net.1.bias", "net.1", "net.2", "net.3", "net.4", "net.5", "net.6"),
                g.nodes().stream().map(Node::name).toList());
        assertEquals(List.of("input", "flatten", "parameter", "parameter", "linear", "gelu", "sigmoid", "tanh", "reshape", "softmax"),
                g.nodes().stream().map(n -> n.op().kind()).toList());
        assertEquals(TensorType.parse(DType.F32, "batch", "784"), g.node("net.0").type());
        assertEquals(TensorType.parse(DType.F32, "batch", "4", "4"), g.outputs().get("probs").type());
    }

    @Test
    void aLayerThatDoesNotFitThrowsAtItsThen() {
        Sequential s = Sequential.input("x", "batch", 10).then(linear(6));
        MithrilException e = assertThrows(MithrilException.class, () -> s.then(reshape("batch", 4)));
        IrError err = e.errors().get(0);
        assertEquals(IrError.SHAPE_MISMATCH, err.tag());
        assertEquals("layers.1", err.nodeName());
        assertTrue(err.message().contains("'layers.0' [batch, 6]"), err.message());
    }
}
