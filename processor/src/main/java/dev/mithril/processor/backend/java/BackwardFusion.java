package dev.mithril.processor.backend.java;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.MethodSpec;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.GeluGrad;
import dev.mithril.dsl.ops.MatMul;
import dev.mithril.dsl.ops.ReluGrad;
import dev.mithril.dsl.ops.SigmoidGrad;
import dev.mithril.dsl.ops.SumTo;
import dev.mithril.dsl.ops.TanhGrad;
import dev.mithril.processor.BufferPlan;
import dev.mithril.processor.Program;
import dev.mithril.runtime.DType;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The fully optimized backward pass of linear layers, recognized in the training graph's float32 nodes and
 * rendered as {@code LinearBackward} calls instead of node by node:
 * <ul>
 * <li>an activation's gradient of a product {@code act'(y) ⊙ (g · w)} becomes one call that applies the
 *     derivative to each panel of the GEMM's output while it is in cache (the product node is absorbed);</li>
 * <li>a parameter's gradient {@code gᵀ · x} is accumulated by the GEMM itself (beta = 1), and a bias gradient
 *     (a column sum) is summed straight into its accumulator: no temporary, no {@code addInto} pass.</li>
 * </ul>
 * Each pattern is taken only where the buffer plan makes it safe (operands still intact where the fused call runs).
 */
final class BackwardFusion {
    static final ClassName LINEAR_BACKWARD = ClassName.get("dev.mithril.runtime", "LinearBackward");

    private final Graph graph;
    private final BufferPlan plan;
    private final JavaNames names;
    private final Map<Node, List<Node>> users;
    private final Map<Node, Node> productOf = new IdentityHashMap<>();      // activation gradient -> the product it absorbs
    private final Set<Node> absorbed = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Node, String> accumulatorOf = new IdentityHashMap<>(); // gradient output -> its parameter's accumulator

    /**
     * @param steps     the backward nodes in the order {@code backward} runs them
     * @param gradField parameter name to the accumulated gradient field
     * @param gradients parameter name to the training output holding its new gradient
     */
    BackwardFusion(Program program, JavaNames names, List<Node> steps, Map<String, String> gradField, Map<String, String> gradients) {
        this.graph = program.graph();
        this.plan = program.buffers();
        this.names = names;
        this.users = graph.users();
        for (int i = 0; i < steps.size(); i++) {
            Node n = steps.get(i);
            Node product = n.inputs().size() == 2 ? n.input(1) : null;
            if (activation(n) != null && product != null && productFusable(n, product, steps, i)) {
                productOf.put(n, product);
                absorbed.add(product);
            }
        }
        for (var e : gradients.entrySet()) {
            Node g = graph.outputs().get(e.getValue());
            if (g == null || !f32(g) || !users.getOrDefault(g, List.of()).isEmpty() || accumulatorOf.containsKey(g)) continue;
            if (weightGradient(g) || biasGradient(g)) accumulatorOf.put(g, gradField.get(e.getKey()));
        }
    }

    /** Whether {@code n}'s value is computed inside another node's fused call (its own statement is dropped). */
    boolean absorbed(Node n) { return absorbed.contains(n); }

    /** The accumulator field {@code n}'s statement adds it into, or null when it computes a new value. */
    String accumulator(Node n) { return accumulatorOf.get(n); }

    /** Writes {@code n}'s fused statement and returns true, or returns false when {@code n} is not fused. */
    boolean render(MethodSpec.Builder m, Node n) {
        Node product = productOf.get(n);
        if (product != null) {
            Node g = product.input(0), w = product.input(1);
            String act = activation(n);
            m.addComment("$L = $L'($L) ⊙ ($L · $L): the derivative applied to each panel of the GEMM's product while in cache$L",
                    n.name(), act.toLowerCase(), n.input(0).name(), g.name(), w.name(), inPlace(n));
            m.addStatement("$T.inputGradient($L.data(), $L, $L, $L.data(), $L, $T.Activation.$L, $L.data(), $L.data(), $L.data())",
                    LINEAR_BACKWARD, names.of(g), names.code(g.type().dim(0)), names.code(g.type().dim(1)), names.of(w),
                    names.code(w.type().dim(1)), LINEAR_BACKWARD, act, names.of(n.input(0)), names.of(product), names.of(n));
            return true;
        }
        String acc = accumulatorOf.get(n);
        if (acc == null) return false;
        Node g = n.input(0);
        if (n.op() instanceof SumTo) {
            m.addComment("$L summed over rows straight into $L", g.name(), acc);
            m.addStatement("$T.biasGradient($L.data(), $L, $L, $L.data())", LINEAR_BACKWARD, names.of(g), names.code(g.type().dim(0)),
                    names.code(g.type().dim(1)), acc);
        } else {
            Node x = n.input(1);
            m.addComment("$L += $Lᵀ · $L, accumulated by the GEMM (beta = 1)", acc, g.name(), x.name());
            m.addStatement("$T.weightGradient($L.data(), $L, $L, $L.data(), $L, $L.data())", LINEAR_BACKWARD, names.of(g),
                    names.code(g.type().dim(0)), names.code(g.type().dim(1)), names.of(x), names.code(x.type().dim(1)), acc);
        }
        return true;
    }

    private String inPlace(Node n) {
        String of = plan.inPlace().get(n.name());
        return of == null ? "" : "; in place of " + of + " (buffer " + plan.bufferOf().get(n.name()) + ")";
    }

    /** The {@code LinearBackward.Activation} constant of an activation-gradient node, or null. */
    private static String activation(Node n) {
        return switch (n.op()) {
            case ReluGrad r -> "RELU";
            case SigmoidGrad s -> "SIGMOID";
            case TanhGrad t -> "TANH";
            case GeluGrad g -> "GELU";
            default -> null;
        };
    }

    /**
     * Whether activation gradient {@code n} (step {@code at}) may compute its operand {@code product} itself: a plain
     * float32 product of matrices read only by {@code n}, both planned, with the product's operands not overwritten
     * between the product's step and {@code n}'s, and {@code n}'s output not sharing their storage.
     */
    private boolean productFusable(Node n, Node product, List<Node> steps, int at) {
        if (!(product.op() instanceof MatMul mm) || mm.transA() || mm.transB()) return false;
        if (!f32(n) || !f32(product) || !f32(n.input(0)) || product.type().rank() != 2) return false;
        if (!users.getOrDefault(product, List.of()).equals(List.of(n)) || graph.outputs().containsValue(product)) return false;
        Node g = product.input(0), w = product.input(1);
        if (g.type().rank() != 2 || w.type().rank() != 2 || !f32(g) || !f32(w)) return false;
        if (plan == null || !plan.isPlanned(n.name()) || !plan.isPlanned(product.name())) return false;
        int from = steps.indexOf(product);
        if (from < 0 || from > at) return false;
        Integer gBuf = plan.bufferOf().get(g.name()), wBuf = plan.bufferOf().get(w.name()), outBuf = plan.bufferOf().get(n.name());
        if (Objects.equals(outBuf, gBuf) || Objects.equals(outBuf, wBuf)) return false;
        for (int i = from + 1; i < at; i++) {
            Integer b = plan.bufferOf().get(steps.get(i).name());
            if (b != null && (b.equals(gBuf) || b.equals(wBuf))) return false;
        }
        return true;
    }

    /** {@code gᵀ · x} of two float32 matrices. */
    private static boolean weightGradient(Node n) {
        return n.op() instanceof MatMul mm && mm.transA() && !mm.transB() && n.input(0).type().rank() == 2
                && n.input(1).type().rank() == 2 && f32(n.input(0)) && f32(n.input(1));
    }

    /** A float32 matrix summed over its rows to a vector. */
    private static boolean biasGradient(Node n) {
        if (!(n.op() instanceof SumTo) || n.type().rank() != 1) return false;
        Node g = n.input(0);
        return g.type().rank() == 2 && f32(g) && g.type().dim(1).equals(n.type().dim(0));
    }

    private static boolean f32(Node n) { return n.type().dtype() == DType.F32; }
}
