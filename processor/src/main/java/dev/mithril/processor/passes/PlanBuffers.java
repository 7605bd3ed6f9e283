package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.dsl.ops.Flatten;
import dev.mithril.dsl.ops.Input;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.dsl.ops.Reshape;
import dev.mithril.processor.BufferPlan;
import dev.mithril.processor.Program;
import dev.mithril.processor.ops.Access;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Assigns every computed floating-point node a buffer, allocated once and reused by liveness: a buffer
 * whose last reader has run holds the next value of any size in its size class; the buffer is as large as
 * its largest user, and each user is a prefix view of it ({@code Tensor.view}). An elementwise node whose
 * operand dies at it and has its shape writes in place. Reshapes are views of their operand's buffer and
 * keep it alive. Outputs live to the end of the call, except the parameter gradients of a training graph,
 * which generated code adds into the accumulated gradients as soon as they are computed.
 *
 * <p>Size classes: two element counts can share a buffer when their order is known at compile time, that
 * is when they have the same dtype and the same symbolic factors ({@code 8*batch} and {@code 3*batch}, or
 * {@code 784} and {@code 10}; with dimensions bound every size is fixed, so all sizes of a dtype compare).
 * {@code 8*batch} and {@code 100} do not: either may be larger at run time. Among the dead buffers of a
 * class a node takes the smallest one at least as large as itself, else the largest one (which grows).
 *
 * <p>A graph output (or the operand an output is a reshape of) gets a buffer of exactly its size, never
 * shared with a larger value: callers read an output's {@code data()} as a whole array.
 */
public final class PlanBuffers implements Pass {
    public String name() { return "plan-buffers"; }

    public Program apply(Program p) {
        Graph g = p.graph();
        List<Node> nodes = p.training() == null ? g.nodes() : p.training().executionOrder(g); // liveness in the order code runs
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) index.put(nodes.get(i).name(), i);
        Map<String, Integer> lastUse = new HashMap<>();
        for (Node n : nodes) for (Node in : n.inputs()) lastUse.merge(in.name(), index.get(n.name()), Math::max);
        // Parameter gradients of a training graph are added into their accumulators right after they are computed
        // (see TrainingWriter); every other output is the caller's until the next call.
        Set<String> accumulated = p.training() == null ? Set.of() : Set.copyOf(p.training().parameterGradients().values());
        Set<String> exact = new HashSet<>();
        for (var e : g.outputs().entrySet()) {
            Node out = e.getValue();
            if (accumulated.contains(e.getKey())) lastUse.merge(out.name(), index.get(out.name()), Math::max);
        }
        for (var e : g.outputs().entrySet()) {
            if (accumulated.contains(e.getKey())) continue;
            lastUse.put(e.getValue().name(), Integer.MAX_VALUE);
            for (Node v = e.getValue(); exact.add(v.name()) && (v.op() instanceof Reshape || v.op() instanceof Flatten); ) v = v.input(0);
        }

        List<Dim> sizes = new ArrayList<>();
        List<DType> dtypes = new ArrayList<>();
        List<Integer> bufferEnd = new ArrayList<>(); // last step that reads each buffer
        Map<String, Integer> bufferOf = new LinkedHashMap<>();
        Map<String, String> inPlace = new LinkedHashMap<>();
        Map<String, String> views = new LinkedHashMap<>();
        for (int t = 0; t < nodes.size(); t++) {
            Node n = nodes.get(t);
            if (!computed(n)) continue;
            int end = lastUse.getOrDefault(n.name(), t);
            if (n.op() instanceof Reshape || n.op() instanceof Flatten) {
                Node src = n.input(0);
                Integer b = bufferOf.get(src.name());
                if (b != null) {
                    bufferOf.put(n.name(), b);
                    views.put(n.name(), src.name());
                    bufferEnd.set(b, Math.max(bufferEnd.get(b), end));
                }
                continue; // a view of an input, parameter or constant is made per call
            }
            DType dtype = n.type().dtype();
            if (dtype != DType.F32 && dtype != DType.F64) continue; // allocated per call
            Dim size = n.type().elements();
            boolean mustBeExact = exact.contains(n.name());
            int chosen = -1;
            if (n.op().isElementwise()) {
                for (Node in : n.inputs()) {
                    Integer b = bufferOf.get(in.name());
                    if (b != null && !views.containsKey(in.name()) && bufferEnd.get(b) == t && in.type().elements().equals(size)
                            && dtypes.get(b) == dtype && (!mustBeExact || sizes.get(b).equals(size))
                            && Access.of(in.type().dims(), n.type().dims()) == Access.FULL) {
                        chosen = b;
                        inPlace.put(n.name(), in.name());
                        break;
                    }
                }
            }
            if (chosen < 0) chosen = deadBuffer(sizes, dtypes, bufferEnd, t, size, dtype, mustBeExact);
            if (chosen < 0) {
                sizes.add(size);
                dtypes.add(dtype);
                bufferEnd.add(end);
                chosen = sizes.size() - 1;
            }
            if (size.coefficient() > sizes.get(chosen).coefficient()) sizes.set(chosen, size);
            bufferOf.put(n.name(), chosen);
            bufferEnd.set(chosen, Math.max(bufferEnd.get(chosen), end));
        }
        return p.withBuffers(new BufferPlan(sizes, dtypes, bufferOf, inPlace, views));
    }

    /**
     * The dead buffer of {@code size}'s class that fits best: the smallest at least {@code size}, else the largest
     * (to be grown); with {@code exact} only one of exactly {@code size}. -1 when none.
     */
    private static int deadBuffer(List<Dim> sizes, List<DType> dtypes, List<Integer> bufferEnd, int t, Dim size, DType dtype,
                                  boolean exact) {
        int fits = -1, grows = -1;
        for (int b = 0; b < sizes.size(); b++) {
            Dim s = sizes.get(b);
            if (bufferEnd.get(b) >= t || dtypes.get(b) != dtype || !s.symbols().equals(size.symbols())) continue;
            if (exact && !s.equals(size)) continue;
            if (s.coefficient() >= size.coefficient()) {
                if (fits < 0 || s.coefficient() < sizes.get(fits).coefficient()) fits = b;
            } else if (grows < 0 || s.coefficient() > sizes.get(grows).coefficient()) {
                grows = b;
            }
        }
        return fits >= 0 ? fits : grows;
    }

    /** Whether a node computes a value per call (as opposed to an input, a parameter or a constant). */
    static boolean computed(Node n) {
        return !(n.op() instanceof Input || n.op() instanceof Parameter || n.op() instanceof Constant);
    }
}
