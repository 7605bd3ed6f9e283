package dev.mithril.processor.backend.nd4j;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ops.Add;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.dsl.ops.Divide;
import dev.mithril.dsl.ops.Gelu;
import dev.mithril.dsl.ops.Multiply;
import dev.mithril.dsl.ops.Relu;
import dev.mithril.dsl.ops.Sigmoid;
import dev.mithril.dsl.ops.Subtract;
import dev.mithril.dsl.ops.Tanh;
import dev.mithril.processor.Program;
import dev.mithril.processor.ops.Expr;
import dev.mithril.processor.ops.FusedElementwise;
import dev.mithril.processor.passes.PlanBuffers;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adapts a program to what ND4J can run. ND4J cannot compile a loop, so a {@link FusedElementwise} node
 * (one generated loop on the Java backend) becomes its chain of elementwise operations again, and the
 * buffers are planned anew over that chain, which lets each step write in place over the one before.
 * Programs without such nodes are returned unchanged.
 */
final class Nd4jLowering {
    private Nd4jLowering() {}

    static Program lower(Program p) {
        Graph g = p.graph();
        if (g.nodes().stream().noneMatch(n -> n.op() instanceof FusedElementwise)) return p;
        Graph.Builder b = Graph.builder(g.name());
        Map<Node, Node> mapped = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            List<Node> ins = n.inputs().stream().map(mapped::get).toList();
            if (n.op() instanceof FusedElementwise f) mapped.put(n, expand(b, g, n, f.expr(), ins, true, new int[1]));
            else mapped.put(n, b.add(n.name(), n.op(), ins, n.origin()));
        }
        for (var e : g.outputs().entrySet()) b.output(e.getKey(), mapped.get(e.getValue()));
        Program lowered = p.withGraph(b.build());
        return p.buffers() == null ? lowered : new PlanBuffers().apply(lowered);
    }

    /** Adds the nodes computing {@code e}; the root keeps the fused node's name, the others get {@code <name>_<k>}. */
    private static Node expand(Graph.Builder b, Graph g, Node fused, Expr e, List<Node> leaves, boolean root, int[] count) {
        return switch (e) {
            case Expr.Leaf l -> leaves.get(l.index());
            case Expr.Literal l -> b.add(fresh(b, g, fused, count), Constant.scalar(l.value()), List.of(), fused.origin());
            case Expr.Apply a -> {
                List<Node> args = new ArrayList<>();
                for (Expr arg : a.args()) args.add(expand(b, g, fused, arg, leaves, false, count));
                yield b.add(root ? fused.name() : fresh(b, g, fused, count), op(a.kind()), args, fused.origin());
            }
        };
    }

    private static String fresh(Graph.Builder b, Graph g, Node fused, int[] count) {
        String s;
        do s = fused.name() + "_" + count[0]++; while (b.has(s) || g.node(s) != null);
        return s;
    }

    private static Op op(String kind) {
        return switch (kind) {
            case "add" -> new Add();
            case "sub" -> new Subtract();
            case "mul" -> new Multiply();
            case "div" -> new Divide();
            case "relu" -> new Relu();
            case "gelu" -> new Gelu();
            case "sigmoid" -> new Sigmoid();
            case "tanh" -> new Tanh();
            default -> throw new IllegalArgumentException("backend ND4J: no operation for fused elementwise kind '" + kind + "'");
        };
    }
}
