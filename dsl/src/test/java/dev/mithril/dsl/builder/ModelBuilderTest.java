package dev.mithril.dsl.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.MithrilException;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.dsl.ops.Relu;
import dev.mithril.runtime.DType;
import org.junit.jupiter.api.Test;

class ModelBuilderTest {
    static TensorType t(String... dims) { return TensorType.parse(DType.F32, dims); }

    @Test
    void smallMlpInGraphForm() {
        ModelBuilder m = new ModelBuilder("Mlp");
        Value x = m.input("x", "batch", 784);
        Value h = x.linear("fc1", 32).relu();
        m.output("logits", h.linear("fc2", 10));
        assertEquals("""
                graph Mlp {
                  %x = input(type=float32[batch, 784]) : float32[batch, 784]
                  %fc1.weight = parameter(name=fc1.weight, type=float32[32, 784]) : float32[32, 784]
                  %fc1.bias = parameter(name=fc1.bias, type=float32[32]) : float32[32]
                  %fc1 = linear(%x, %fc1.weight, %fc1.bias) : float32[batch, 32]
                  %relu_1 = relu(%fc1) : float32[batch, 32]
                  %fc2.weight = parameter(name=fc2.weight, type=float32[10, 32]) : float32[10, 32]
                  %fc2.bias = parameter(name=fc2.bias, type=float32[10]) : float32[10]
                  %fc2 = linear(%relu_1, %fc2.weight, %fc2.bias) : float32[batch, 10]
                  output logits = %fc2
                }
                """, m.build().toText());
    }

    @Test
    void parametersCarryPyTorchNamesAndFanIn() {
        ModelBuilder m = new ModelBuilder("M");
        m.output("y", m.input("x", "batch", 784).linear("layers.0", 1024));
        Graph g = m.build();
        Parameter w = (Parameter) g.node("layers.0.weight").op();
        Parameter b = (Parameter) g.node("layers.0.bias").op();
        assertEquals("layers.0.weight", w.paramName());
        assertEquals(TensorType.f32(1024, 784), w.type());
        assertEquals(784, w.fanIn());
        assertEquals(TensorType.f32(1024), b.type());
        assertEquals(784, b.fanIn());
    }

    @Test
    void operatorsAndScalarsReadAsMath() {
        ModelBuilder m = new ModelBuilder("Ops");
        Value x = m.input("x", "batch", 4);
        Value b = m.parameter("b", 4, 4);
        m.output("y", x.plus(b).times(2f).minus(x).div(x));
        m.output("z", x.plus(1f).minus(0.5f).div(4f));
        assertEquals("""
                graph Ops {
                  %x = input(type=float32[batch, 4]) : float32[batch, 4]
                  %b = parameter(name=b, type=float32[4]) : float32[4]
                  %add_1 = add(%x, %b) : float32[batch, 4]
                  %const_1 = constant(type=float32[], values=[2.0]) : float32[]
                  %mul_1 = mul(%add_1, %const_1) : float32[batch, 4]
                  %sub_1 = sub(%mul_1, %x) : float32[batch, 4]
                  %div_1 = div(%sub_1, %x) : float32[batch, 4]
                  %const_2 = constant(type=float32[], values=[1.0]) : float32[]
                  %add_2 = add(%x, %const_2) : float32[batch, 4]
                  %const_3 = constant(type=float32[], values=[0.5]) : float32[]
                  %sub_2 = sub(%add_2, %const_3) : float32[batch, 4]
                  %const_4 = constant(type=float32[], values=[4.0]) : float32[]
                  %div_2 = div(%sub_2, %const_4) : float32[batch, 4]
                  output y = %div_1
                  output z = %div_2
                }
                """, m.build().toText());
    }

    @Test
    void everyValueMethodAddsOneTypedNode() {
        ModelBuilder m = new ModelBuilder("M");
        Value x = m.input("x", "batch", "seq", 8);
        assertEquals(t("batch", "seq", "seq"), x.matmul(x.transpose(1, 2)).node().type());
        assertEquals(t("batch", "8", "seq"), x.permute(0, 2, 1).node().type());
        assertEquals(t("8*batch*seq"), x.reshape(-1).node().type());
        assertEquals(t("batch", "seq", "2", "4"), x.reshape("batch", "seq", 2, 4).node().type());
        assertEquals(t("batch", "8*seq"), x.flatten().node().type());
        assertEquals(t("8*batch*seq"), x.flatten(0, -1).node().type());
        assertEquals(t("batch", "seq"), x.sum(-1).node().type());
        assertEquals(t("batch", "seq", "1"), x.mean(true, -1).node().type());
        assertEquals(t("batch", "1", "8"), x.sum(true, 1).node().type());
        assertEquals(t("8"), x.mean(0, 1).node().type());
        for (Value v : new Value[] {x.gelu(), x.sigmoid(), x.tanh(), x.relu(), x.softmax(-1)})
            assertEquals(t("batch", "seq", "8"), v.node().type(), v.name());
        assertEquals("linear_1", x.linear(3).name());
        Value fc = x.linear(3);
        assertEquals("linear_2", fc.name());
        assertEquals(t("batch", "seq", "3"), fc.node().type());
    }

    @Test
    void intsLongsNamesAndDimsAreAllDimensions() {
        ModelBuilder m = new ModelBuilder("M");
        Value x = m.input("x", 2, 3L, "batch", dev.mithril.dsl.ir.Dim.parse("4*seq"));
        assertEquals(t("2", "3", "batch", "4*seq"), x.node().type());
        Value i = m.input("ids", DType.I64, "batch", 16);
        assertEquals(TensorType.parse(DType.I64, "batch", "16"), i.node().type());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.input("z", 1.5));
        assertTrue(e.getMessage().contains("1.5"), e.getMessage());
    }

    @Test
    void shapeErrorsThrowAtTheOffendingCall() {
        ModelBuilder m = new ModelBuilder("M");
        Value x = m.input("x", "batch", 784);
        Value h = x.linear("fc1", 32);
        Value other = m.input("y", "batch", 31);
        MithrilException e = assertThrows(MithrilException.class, () -> h.plus(other));
        IrError err = e.errors().get(0);
        assertEquals(IrError.SHAPE_MISMATCH, err.tag());
        assertEquals("add_1", err.nodeName());
        assertTrue(err.message().contains("'fc1' [batch, 32]") && err.message().contains("'y' [batch, 31]"), err.message());
        MithrilException mm = assertThrows(MithrilException.class, () -> x.matmul(h));
        assertTrue(mm.getMessage().startsWith("[MithrilShapeMismatch] matmul 'matmul_1' cannot multiply 'x' [batch, 784] by 'fc1' [batch, 32]"),
                mm.getMessage());
        // The builder is still usable after a rejected call.
        m.output("out", h.relu());
        assertEquals(java.util.List.of("x", "fc1.weight", "fc1.bias", "fc1", "y", "relu_1"),
                m.build().nodes().stream().map(dev.mithril.dsl.ir.Node::name).toList());
    }

    @Test
    void reusingANameThrowsAtTheSecondCall() {
        ModelBuilder m = new ModelBuilder("M");
        Value x = m.input("x", "batch", 4);
        x.linear("fc", 4);
        MithrilException e = assertThrows(MithrilException.class, () -> x.linear("fc", 4));
        assertEquals(IrError.DUPLICATE_NODE, e.errors().get(0).tag());
        assertTrue(e.getMessage().contains("node 'fc.weight' is defined twice"), e.getMessage());
        assertThrows(MithrilException.class, () -> m.input("x", 3));
    }

    @Test
    void generatedNamesSkipNamesTheUserTook() {
        ModelBuilder m = new ModelBuilder("M");
        Value x = m.input("x", 4);
        m.apply("relu_1", new Relu(), x);
        assertEquals("relu_2", x.relu().name());
    }

    @Test
    void linearNeedsAFixedLastDimension() {
        ModelBuilder m = new ModelBuilder("M");
        Value x = m.input("x", 4, "features");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.linear("fc", 8));
        assertTrue(e.getMessage().contains("linear 'fc'") && e.getMessage().contains("features"), e.getMessage());
    }

    @Test
    void valuesOfAnotherBuilderAreRejected() {
        Value a = new ModelBuilder("A").input("x", 4);
        ModelBuilder b = new ModelBuilder("B");
        Value c = b.input("x", 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.plus(a));
        assertTrue(e.getMessage().contains("another model builder"), e.getMessage());
    }

    @Test
    void buildWithoutOutputReportsIt() {
        ModelBuilder m = new ModelBuilder("M");
        m.input("x", 4);
        MithrilException e = assertThrows(MithrilException.class, m::build);
        assertEquals(IrError.MISSING_OUTPUT, e.errors().get(0).tag());
    }
}
