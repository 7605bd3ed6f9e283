package dev.mithril.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.Level;
import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.dsl.ops.Softmax;
import dev.mithril.processor.ops.FusedElementwise;
import dev.mithril.processor.ops.FusedLinear;
import dev.mithril.processor.passes.EliminateCommonSubexpressions;
import dev.mithril.processor.passes.FoldConstants;
import dev.mithril.processor.passes.FuseElementwise;
import dev.mithril.processor.passes.FuseLinearEpilogue;
import dev.mithril.processor.passes.Pass;
import dev.mithril.processor.passes.PlanBuffers;
import dev.mithril.processor.passes.RemoveDeadNodes;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each pass on a small graph made to exercise it. */
class PassesTest {
    private static Program run(Graph g, Pass... passes) {
        Program p = Program.of(g, Level.FULL, Map.of());
        for (Pass pass : passes) p = pass.apply(p).after(pass.name());
        return p;
    }

    @Test
    void levelsAreNamedListsOfPasses() {
        assertEquals(List.of("bind-dims"), Pipeline.passes(Level.NONE).stream().map(Pass::name).toList());
        assertEquals(List.of("bind-dims", "fold-constants", "cse", "remove-dead-nodes", "fold-batch-norm", "plan-buffers"),
                Pipeline.passes(Level.BASIC).stream().map(Pass::name).toList());
        assertEquals(List.of("bind-dims", "fold-constants", "cse", "remove-dead-nodes", "fold-batch-norm", "fuse-conv-epilogue",
                "fuse-linear-epilogue", "fuse-elementwise", "pack-weights", "plan-buffers"), Pipeline.passes(Level.FULL).stream().map(Pass::name).toList());
    }

    @Test
    void foldConstantsComputesConstantSubgraphs() {
        ModelBuilder m = new ModelBuilder("Fold");
        Value x = m.input("x", "batch", 4);
        Value scale = m.constant(3f).times(m.constant(0.5f)).plus(1f); // 2.5, known at compile time
        m.output("y", x.times(scale));
        Graph g = run(m.build(), new FoldConstants(), new RemoveDeadNodes()).graph();
        Node y = g.outputs().get("y");
        Constant folded = assertInstanceOf(Constant.class, y.input(1).op());
        assertEquals(2.5f, folded.values()[0]);
        assertEquals(3, g.nodes().size(), g.toText()); // x, the folded constant, y
    }

    @Test
    void cseMergesEqualNodes() {
        ModelBuilder m = new ModelBuilder("Cse");
        Value x = m.input("x", "batch", 4);
        m.output("y", x.softmax(-1).plus(x.softmax(-1)));
        Graph g = run(m.build(), new EliminateCommonSubexpressions()).graph();
        Node y = g.outputs().get("y");
        assertSame(y.input(0), y.input(1));
        assertEquals(1, g.nodes().stream().filter(n -> n.op() instanceof Softmax).count());
    }

    @Test
    void deadNodesAreRemovedButInputsAndParametersStay() {
        ModelBuilder m = new ModelBuilder("Dead");
        Value x = m.input("x", "batch", 4);
        m.input("unused", 2);
        x.linear("dead", 3).relu(); // read by nothing
        m.output("y", x.tanh());
        Graph g = run(m.build(), new RemoveDeadNodes()).graph();
        assertEquals(List.of("x", "unused", "dead.weight", "dead.bias", "tanh_1"), g.nodes().stream().map(Node::name).toList());
    }

    @Test
    void buffersAreReusedByLiveness() {
        ModelBuilder m = new ModelBuilder("Plan");
        Value x = m.input("x", "batch", 8);
        Value a = m.apply("a", new Softmax(-1), x);
        Value b = m.apply("b", new Softmax(-1), a);   // a is still read here: a new buffer
        Value c = m.apply("c", new Softmax(-1), b);   // a is dead: its buffer again
        m.output("d", m.apply("d", new dev.mithril.dsl.ops.Tanh(), c)); // elementwise, c dies here: in place
        BufferPlan plan = run(m.build(), new PlanBuffers()).buffers();
        assertEquals(2, plan.bufferCount());
        assertEquals(Map.of("a", 0, "b", 1, "c", 0, "d", 0), plan.bufferOf());
        assertEquals(Map.of("d", "c"), plan.inPlace());
    }

    @Test
    void deadBuffersAreReusedAcrossSizesWithinASizeClass() {
        ModelBuilder m = new ModelBuilder("Sizes");
        Value x = m.input("x", "batch", 8);
        Value a = m.apply("a", new Softmax(-1), x.linear("up", 32));   // [batch, 32]
        Value b = m.apply("b", new Softmax(-1), a.linear("down", 4));  // [batch, 4]: a is still read here
        Value c = m.apply("c", new Softmax(-1), b.linear("mid", 16));  // [batch, 16]: fits a's buffer
        m.output("y", c.sum(1));                                       // [batch]: an output, a buffer of its own size
        Program p = run(m.build(), new PlanBuffers());
        BufferPlan plan = p.buffers();
        int bufA = plan.bufferOf().get("a");
        assertEquals(bufA, (int) plan.bufferOf().get(c.name()), plan.toText());
        assertEquals(dev.mithril.dsl.ir.Dim.parse("32*batch"), plan.sizes().get(bufA), "a buffer is as large as its largest user");
        int out = plan.bufferOf().get(p.graph().outputs().get("y").name());
        assertEquals(dev.mithril.dsl.ir.Dim.parse("batch"), plan.sizes().get(out), plan.toText());
        assertEquals(List.of(p.graph().outputs().get("y").name()), plan.writers(out), "nothing else shares an output's buffer");
    }

    @Test
    void differentSymbolicFactorsDoNotShareABuffer() {
        ModelBuilder m = new ModelBuilder("Classes");
        Value x = m.input("x", "batch", 8);
        Value a = m.apply("a", new Softmax(-1), x);                    // [batch, 8]
        Value b = m.apply("b", new Softmax(-1), a.sum(0));             // [8]: batch could be 0 or 10^6
        m.output("y", b.times(2f));
        BufferPlan plan = run(m.build(), new PlanBuffers()).buffers();
        assertTrue(!plan.bufferOf().get("a").equals(plan.bufferOf().get("b")), plan.toText());
        // With batch bound, every size is a number: the dead [4, 8] buffer holds the [8] values.
        BufferPlan bound = Pipeline.run(m.build(), Level.BASIC, Map.of("batch", 4)).buffers();
        assertEquals(bound.bufferOf().get("a"), bound.bufferOf().get("b"), bound.toText());
    }

    @Test
    void theMlpRunsInFewBuffers() {
        Graph mlp = Models.mlp(784, 1024, 512, 256, 10);
        for (Level l : List.of(Level.BASIC, Level.FULL)) {
            Program p = Pipeline.run(mlp, l, Map.of());
            String logits = p.graph().outputs().get("logits").name();
            int outputBuffer = p.buffers().bufferOf().get(logits);
            // Two buffers ping-pong between the hidden layers; the logits get one of exactly their size.
            assertEquals(3, p.buffers().bufferCount(), p.buffers().toText());
            assertEquals(List.of(logits), p.buffers().writers(outputBuffer));
            assertEquals(dev.mithril.dsl.ir.Dim.parse("10*batch"), p.buffers().sizes().get(outputBuffer));
            // Training: was 16 with equal-size reuse only; parameter gradients now share one buffer.
            Program t = Pipeline.runTraining(mlp, l, Map.of());
            assertEquals(7, t.buffers().bufferCount(), t.buffers().toText());
        }
    }

    @Test
    void reshapesAreViewsThatKeepTheirBufferAlive() {
        ModelBuilder m = new ModelBuilder("Views");
        Value x = m.input("x", "batch", 8);
        Value a = x.softmax(-1);
        Value v = a.reshape("batch", 2, 4);
        Value b = a.tanh();                 // a is still read through v later: not in place
        m.output("y", v.softmax(-1).reshape("batch", 8).plus(b));
        BufferPlan plan = run(m.build(), new PlanBuffers()).buffers();
        assertEquals(plan.bufferOf().get(a.name()), plan.bufferOf().get(v.name()));
        assertNull(plan.inPlace().get(b.name()));
        assertTrue(!plan.bufferOf().get(b.name()).equals(plan.bufferOf().get(a.name())), plan.toText());
    }

    @Test
    void linearAndActivationFuseIntoTheEpilogue() {
        Graph g = run(Models.mlp(8, 16, 16, 4), new FuseLinearEpilogue()).graph();
        List<Node> fused = g.nodes().stream().filter(n -> n.op() instanceof FusedLinear).toList();
        assertEquals(List.of("layers.1", "layers.3"), fused.stream().map(Node::name).toList());
        assertEquals("relu", ((FusedLinear) fused.get(0).op()).activation());
        assertEquals("linear", g.outputs().get("logits").op().kind()); // the last layer has no activation
    }

    @Test
    void elementwiseChainsFuseIntoOneLoop() {
        ModelBuilder m = new ModelBuilder("Chain");
        Value x = m.input("x", "batch", 8);
        Value shared = x.softmax(-1).sigmoid();          // read twice: stays a node of its own
        m.output("y", shared.times(2f).plus(1f).tanh().plus(shared));
        Graph g = run(m.build(), new FuseElementwise()).graph();
        List<Node> fused = g.nodes().stream().filter(n -> n.op() instanceof FusedElementwise).toList();
        assertEquals(1, fused.size(), g.toText());
        FusedElementwise f = (FusedElementwise) fused.get(0).op();
        assertEquals("add(tanh(add(mul($0, 2.0), 1.0)), $0)", f.expr().toText());
        assertEquals(List.of(shared.name()), fused.get(0).inputs().stream().map(Node::name).toList());
        assertEquals(4, f.fused().size());
    }
}
