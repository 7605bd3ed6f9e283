package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.processor.Program;
import dev.mithril.runtime.DType;
import java.util.List;

/**
 * Replaces every pure node whose inputs are all constants by the constant it computes, so that
 * {@code 2 * 0.5} or the normalization of a constant table costs nothing per call. Results larger
 * than {@link #MAX_ELEMENTS} stay computed: they would bloat the generated source. Float64 nodes are not folded
 * (a constant holds float values).
 */
public final class FoldConstants implements Pass {
    /** The largest folded result, in elements. */
    public static final int MAX_ELEMENTS = 256;

    public String name() { return "fold-constants"; }

    public Program apply(Program p) {
        Graph g = p.graph();
        GraphCopy copy = new GraphCopy(g);
        for (Node n : g.nodes()) {
            Node folded = null;
            // Constants hold float values: a folded float64 result would lose the precision float64 is chosen for.
            if (n.op().isPure() && !n.inputs().isEmpty() && !(n.op() instanceof Constant) && n.type().dtype() != DType.F64
                    && ConstantEvaluator.elements(n.type()) <= MAX_ELEMENTS) {
                List<Node> ins = n.inputs().stream().map(copy::get).toList();
                if (ins.stream().allMatch(ConstantEvaluator::isConstant)) {
                    Constant c = ConstantEvaluator.evaluate(n.op(), ins.stream().map(i -> (Constant) i.op()).toList(), n.type());
                    if (c != null) folded = copy.add(n, n.name(), c, List.of());
                }
            }
            if (folded == null) copy.copy(n);
        }
        return p.withGraph(copy.build());
    }
}
