package dev.mithril.processor.backend.nd4j;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ops.Add;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.dsl.ops.Divide;
import dev.mithril.dsl.ops.Gelu;
import dev.mithril.dsl.ops.GeluGrad;
import dev.mithril.dsl.ops.Multiply;
import dev.mithril.dsl.ops.Relu;
import dev.mithril.dsl.ops.ReluGrad;
import dev.mithril.dsl.ops.Sigmoid;
import dev.mithril.dsl.ops.SigmoidGrad;
import dev.mithril.dsl.ops.Subtract;
import dev.mithril.dsl.ops.Tanh;
import dev.mithril.dsl.ops.TanhGrad;
import dev.mithril.processor.Program;
import dev.mithril.processor.ops.Expr;
import dev.mithril.processor.ops.FusedConv2d;
import dev.mithril.processor.ops.FusedElementwise;
import dev.mithril.processor.passes.PlanBuffers;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adapts a program to what ND4J can run. ND4J cannot compile a loop, so a {@link FusedElementwise} node
 * (one generated loop on the Java backend) becomes its chain of elementwise operations again, and a
 * {@link FusedConv2d} its convolution, batch norm, residual add and activation; the buffers are planned
 * anew over those chains, which lets each step write in place over the one before.
 * Programs without such nodes are returned unchanged.
 */
final class Nd4jLowering {
    private Nd4jLowering() {}

    static Program lower(Program p) {
        Program lowered = expand(p);
        return lowered == p || p.buffers() == null ? lowered : new PlanBuffers().apply(lowered);
    }

    /** {@code p} with its fused elementwise nodes expanded and no buffer plan (training runs allocating ND4J calls). */
    static Program lowerUnplanned(Program p) {
        return expand(p.withBuffers(null));
    }

    private static Program expand(Program p) {
        Graph g = p.graph();
        if (g.nodes().stream().noneMatch(n -> n.op() instanceof FusedElementwise || n.op() instanceof FusedConv2d)) return p;
        Graph.Builder b = Graph.builder(g.name());
        Map<Node, Node> mapped = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            List<Node> ins = n.inputs().stream().map(mapped::get).toList();
            if (n.op() instanceof FusedElementwise f) mapped.put(n, expand(b, g, n, f.expr(), ins, true, new int[1]));
            else if (n.op() instanceof FusedConv2d f) mapped.put(n, unfuse(b, g, n, f, ins));
            else mapped.put(n, b.add(n.name(), n.op(), ins, n.origin()));
        }
        for (var e : g.outputs().entrySet()) b.output(e.getKey(), mapped.get(e.getValue()));
        return p.withGraph(b.build());
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

    /**
     * The convolution and what was fused into it, as separate nodes: {@code activation(norm(conv2d(x, w, b)) + residual)}.
     * ND4J gets the batch norm's parameters as they are (it normalizes with one scale and shift per channel), not folded.
     */
    private static Node unfuse(Graph.Builder b, Graph g, Node fused, FusedConv2d f, List<Node> ins) {
        int[] count = new int[1];
        List<Node> convIns = new ArrayList<>(ins.subList(0, f.bias() ? 3 : 2));
        int k = convIns.size();
        List<Op> chain = new ArrayList<>();
        List<List<Node>> extra = new ArrayList<>();
        if (f.norm() != null) {
            chain.add(f.norm());
            extra.add(ins.subList(k, k + 5));
            k += 5;
        }
        if (f.residual()) {
            chain.add(new Add());
            extra.add(List.of(ins.get(k++)));
        }
        if (f.activation() != null) {
            chain.add(op(f.activation()));
            extra.add(List.of());
        }
        Node last = b.add(chain.isEmpty() ? fused.name() : fresh(b, g, fused, count), f.conv(), convIns, fused.origin());
        for (int i = 0; i < chain.size(); i++) {
            List<Node> args = new ArrayList<>();
            args.add(last);
            args.addAll(extra.get(i));
            last = b.add(i == chain.size() - 1 ? fused.name() : fresh(b, g, fused, count), chain.get(i), args, fused.origin());
        }
        return last;
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
            case "relu_grad" -> new ReluGrad();
            case "gelu_grad" -> new GeluGrad();
            case "sigmoid_grad" -> new SigmoidGrad();
            case "tanh_grad" -> new TanhGrad();
            default -> throw new IllegalArgumentException("backend ND4J: no operation for fused elementwise kind '" + kind + "'");
        };
    }
}
