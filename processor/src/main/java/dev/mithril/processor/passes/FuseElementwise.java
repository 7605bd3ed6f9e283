package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.processor.Program;
import dev.mithril.processor.ops.Access;
import dev.mithril.processor.ops.Expr;
import dev.mithril.processor.ops.FusedElementwise;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Merges chains of elementwise operations into one {@link FusedElementwise} node, computed in a single
 * loop: intermediate values then never reach memory. A node joins its reader's group when it is read
 * only there, is not an output, has the group's shape, and every operand can be read by one flat index
 * ({@link Access}). Scalar constants become literals. Groups of one operation are left alone.
 */
public final class FuseElementwise implements Pass {
    /** The elementwise operations a fused loop can compute. */
    public static final Set<String> FUSABLE = Set.of("add", "sub", "mul", "div", "relu", "gelu", "sigmoid", "tanh",
            "relu_grad", "gelu_grad", "sigmoid_grad", "tanh_grad");

    public String name() { return "fuse-elementwise"; }

    public Program apply(Program p) {
        Graph g = p.graph();
        Map<Node, List<Node>> users = g.users();
        Map<Node, Node> rootOf = new IdentityHashMap<>();
        List<Node> roots = new ArrayList<>();
        List<Node> nodes = g.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (rootOf.containsKey(n) || !fusable(n, n.type().dims())) continue;
            Set<Node> members = Collections.newSetFromMap(new IdentityHashMap<>());
            grow(n, n, g, users, members);
            if (members.size() < 2) continue;
            for (Node m : members) rootOf.put(m, n);
            roots.add(n);
        }
        if (roots.isEmpty()) return p;
        GraphCopy copy = new GraphCopy(g);
        for (Node n : nodes) {
            Node root = rootOf.get(n);
            if (root == null) copy.copy(n);
            else if (root == n) {
                List<Node> leaves = new ArrayList<>();
                List<String> fused = new ArrayList<>();
                Expr e = expr(n, root, rootOf, leaves, fused);
                fused.sort(java.util.Comparator.comparingInt(name -> nodes.indexOf(g.node(name))));
                copy.add(n, n.name(), new FusedElementwise(e, fused, n.type().dims(), n.type().dtype()), leaves);
            }
        }
        return p.withGraph(copy.build());
    }

    /** Whether {@code n} is an elementwise op whose operands a loop over {@code dims} can read. */
    private static boolean fusable(Node n, List<Dim> dims) {
        if (!FUSABLE.contains(n.op().kind()) || !n.type().dims().equals(dims)) return false;
        for (Node in : n.inputs()) if (Access.of(in.type().dims(), dims) == Access.NONE) return false;
        return true;
    }

    /** Adds {@code n} and, recursively, the operands that may join {@code root}'s group. */
    private static void grow(Node n, Node root, Graph g, Map<Node, List<Node>> users, Set<Node> members) {
        members.add(n);
        for (Node in : n.inputs()) {
            if (members.contains(in)) continue;
            if (users.get(in).size() == 1 && !g.outputs().containsValue(in) && fusable(in, root.type().dims()))
                grow(in, root, g, users, members);
        }
    }

    private static Expr expr(Node n, Node root, Map<Node, Node> rootOf, List<Node> leaves, List<String> fused) {
        // A node read twice inside the group (x * x) is expanded twice: recomputing is cheaper than storing.
        if (!fused.contains(n.name())) fused.add(n.name());
        {
            List<Expr> args = new ArrayList<>();
            for (Node in : n.inputs()) {
                if (rootOf.get(in) == root) args.add(expr(in, root, rootOf, leaves, fused));
                else if (in.op() instanceof Constant c && c.values().length == 1) args.add(new Expr.Literal(c.values()[0]));
                else {
                    int idx = indexOf(leaves, in);
                    if (idx < 0) { leaves.add(in); idx = leaves.size() - 1; }
                    args.add(new Expr.Leaf(idx));
                }
            }
            return new Expr.Apply(n.op().kind(), args);
        }
    }

    private static int indexOf(List<Node> nodes, Node n) {
        for (int i = 0; i < nodes.size(); i++) if (nodes.get(i) == n) return i;
        return -1;
    }
}
