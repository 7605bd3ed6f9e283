package dev.mithril.processor;

import dev.mithril.dsl.Level;
import dev.mithril.processor.passes.BindDims;
import dev.mithril.processor.passes.Differentiate;
import dev.mithril.processor.passes.EliminateCommonSubexpressions;
import dev.mithril.processor.passes.FoldBatchNorm;
import dev.mithril.processor.passes.FoldConstants;
import dev.mithril.processor.passes.FuseConvEpilogue;
import dev.mithril.processor.passes.FuseElementwise;
import dev.mithril.processor.passes.FuseLinearEpilogue;
import dev.mithril.processor.passes.PackWeights;
import dev.mithril.processor.passes.Pass;
import dev.mithril.processor.passes.PlanBuffers;
import dev.mithril.processor.passes.RemoveDeadNodes;
import java.util.List;
import java.util.Map;
import dev.mithril.dsl.ir.Graph;

/**
 * The optimization levels, each a fixed list of named passes. Renderers read only the resulting
 * {@link Program}, so a level is nothing more than its list.
 *
 * <pre>{@code
 * Program p = Pipeline.run(graph, Level.FULL, Map.of("batch", 32));
 * System.out.println(p.toText());
 * }</pre>
 */
public final class Pipeline {
    private Pipeline() {}

    /** The passes of {@code level}, in the order they run. */
    public static List<Pass> passes(Level level) {
        return switch (level) {
            case NONE -> List.of(new BindDims());
            case BASIC -> List.of(new BindDims(), new FoldConstants(), new EliminateCommonSubexpressions(), new RemoveDeadNodes(),
                    new FoldBatchNorm(), new PlanBuffers());
            case FULL -> List.of(new BindDims(), new FoldConstants(), new EliminateCommonSubexpressions(), new RemoveDeadNodes(),
                    new FoldBatchNorm(), new FuseConvEpilogue(), new FuseLinearEpilogue(), new FuseElementwise(), new PackWeights(),
                    new PlanBuffers());
        };
    }

    /**
     * The passes that compile the training graph at {@code level}: the level's passes with
     * {@link Differentiate} after binding dimensions, and without weight packing (weights change every step).
     */
    public static List<Pass> trainingPasses(Level level) {
        List<Pass> out = new java.util.ArrayList<>();
        for (Pass p : passes(level)) {
            if (p instanceof PackWeights) continue;
            out.add(p);
            if (p instanceof BindDims) out.add(new Differentiate());
        }
        return out;
    }

    /** Runs the training passes over {@code graph}: a program whose graph holds forward and backward. */
    public static Program runTraining(Graph graph, Level level, Map<String, Integer> dims) {
        Program p = Program.of(graph, level, dims);
        for (Pass pass : trainingPasses(level)) if (pass.appliesTo(p)) p = pass.apply(p).after(pass.name());
        return p;
    }

    /** Runs {@code level}'s passes over {@code graph}, with {@code dims} bound at compile time. */
    public static Program run(Graph graph, Level level, Map<String, Integer> dims) {
        Program p = Program.of(graph, level, dims);
        for (Pass pass : passes(level)) if (pass.appliesTo(p)) p = pass.apply(p).after(pass.name());
        return p;
    }
}
