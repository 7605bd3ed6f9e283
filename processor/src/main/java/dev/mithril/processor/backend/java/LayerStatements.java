package dev.mithril.processor.backend.java;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.CodeBlock;
import com.squareup.javapoet.FieldSpec;
import com.squareup.javapoet.MethodSpec;
import com.squareup.javapoet.TypeSpec;
import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ops.AdaptiveAvgPool2d;
import dev.mithril.dsl.ops.Argmax;
import dev.mithril.dsl.ops.AvgPool2d;
import dev.mithril.dsl.ops.BatchNorm;
import dev.mithril.dsl.ops.CachedAttention;
import dev.mithril.dsl.ops.CausalAttention;
import dev.mithril.dsl.ops.CausalAttentionGrad;
import dev.mithril.dsl.ops.Concat;
import dev.mithril.dsl.ops.Conv2d;
import dev.mithril.dsl.ops.Conv2dGrad;
import dev.mithril.dsl.ops.Embedding;
import dev.mithril.dsl.ops.EmbeddingGrad;
import dev.mithril.dsl.ops.LayerNorm;
import dev.mithril.dsl.ops.MaxPool2d;
import dev.mithril.dsl.ops.NormGrad;
import dev.mithril.dsl.ops.Pool2dGrad;
import dev.mithril.dsl.ops.Positions;
import dev.mithril.dsl.ops.Slice;
import dev.mithril.dsl.ops.SliceGrad;
import dev.mithril.processor.BufferPlan;
import dev.mithril.processor.Program;
import dev.mithril.processor.ops.FusedConv2d;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.lang.model.element.Modifier;

/**
 * The layer operations of {@link Statements}: convolution, pooling, normalizations, embedding, attention,
 * concatenation, slicing and argmax, each one runtime call. A planned node uses the kernel's {@code ...Into}
 * form where the runtime has one; otherwise the kernel allocates per call and its result is copied into the
 * planned buffer (a comment says so).
 *
 * <p>Batch norm renders differently in a training program ({@code forwardTrain}): batch statistics, running
 * statistics updated in place. Normalizations and attention in a training program keep what their backward
 * reads (mean and 1/std, log-sum-exp) in a field named after the node, which the gradient nodes read.
 */
final class LayerStatements {
    static final ClassName CONV = ClassName.get("dev.mithril.runtime", "Conv2d");
    static final ClassName ALGORITHM = CONV.nestedClass("Algorithm");
    static final ClassName PACKED_CONV = ClassName.get("dev.mithril.runtime", "PackedConv2d");
    static final ClassName POOL = ClassName.get("dev.mithril.runtime", "Pool2d");
    static final ClassName NORMS = ClassName.get("dev.mithril.runtime", "Norms");
    static final ClassName EMBEDDING = ClassName.get("dev.mithril.runtime", "Embedding");
    static final ClassName ATTENTION = ClassName.get("dev.mithril.runtime", "Attention");
    static final ClassName SLICING = ClassName.get("dev.mithril.runtime", "Slicing");
    static final ClassName EPILOGUE = ClassName.get("dev.mithril.runtime", "Epilogue");

    private final BufferPlan plan;
    private final java.util.Set<String> packed; // convolutions (node names) whose inference forward reads a prepacked weight
    private final JavaNames names;
    private final TypeSpec.Builder type;
    private final boolean training;
    private final Map<String, String> saved = new HashMap<>(); // forward node -> field holding its statistics
    private MethodSpec.Builder fold;     // fold(): batch norms folded into convolutions; null until the first such node
    private String foldedBatches;        // field: the first folded norm's batch count when fold() last ran
    private String firstCount;           // that norm's num_batches_tracked
    private boolean foldChecked;         // whether forward already checks it
    private final List<CodeBlock> holders = new java.util.ArrayList<>(); // plan-method statements: statistics beside planned outputs

    LayerStatements(Program program, JavaNames names, TypeSpec.Builder type) {
        this.plan = program.buffers();
        // forwardTrain reads the weights themselves: an optimizer step changes them every step.
        this.packed = program.training() != null ? java.util.Set.of() : program.packedWeights();
        this.names = names;
        this.type = type;
        this.training = program.training() != null;
    }

    /** Whether {@code op} is rendered here. */
    static boolean handles(Op op) {
        return op instanceof Conv2d || op instanceof Conv2dGrad || op instanceof MaxPool2d || op instanceof AvgPool2d
                || op instanceof AdaptiveAvgPool2d || op instanceof Pool2dGrad || op instanceof BatchNorm || op instanceof LayerNorm
                || op instanceof NormGrad || op instanceof Embedding || op instanceof EmbeddingGrad || op instanceof CausalAttention
                || op instanceof CachedAttention
                || op instanceof CausalAttentionGrad || op instanceof Concat || op instanceof Slice || op instanceof SliceGrad
                || op instanceof Argmax || op instanceof Positions || op instanceof FusedConv2d;
    }

    /** Whether {@code n}, of a dtype other than float, is one the Java backend renders (int64 ids and indices). */
    static boolean rendersInt64(Node n) {
        Op op = n.op();
        return op instanceof dev.mithril.dsl.ops.Input || op instanceof dev.mithril.dsl.ops.Parameter || op instanceof Argmax || op instanceof Positions
                || op instanceof Slice || op instanceof Concat || op instanceof dev.mithril.dsl.ops.Reshape || op instanceof dev.mithril.dsl.ops.Flatten;
    }

    /**
     * The first index of slice {@code s} of the tensor {@code x} along {@code axis} (of size {@code size}): a constant
     * on an axis of fixed size, else {@code x.dim(axis) - k} for a slice counted from the end (see {@link Slice}).
     */
    private static CodeBlock firstIndex(Slice s, Dim size, String x, int axis) {
        if (size.isFixed()) return CodeBlock.of("$L", s.first(size.value()));
        return s.fromEnd() ? CodeBlock.of("$L.dim($L) - $L", x, axis, -s.start()) : CodeBlock.of("$L", s.start());
    }

    /** Adds {@code n}'s statements; {@code decl} is {@code "Tensor "} when its variable is declared here. */
    void add(MethodSpec.Builder m, Node n, String decl) {
        boolean planned = plan != null && plan.isPlanned(n.name());
        String out = names.of(n);
        List<String> in = n.inputs().stream().map(names::of).toList();
        switch (n.op()) {
            case Conv2d c -> {
                String bias = in.size() > 2 ? in.get(2) : "null";
                CodeBlock args = packed.contains(n.name())
                        ? CodeBlock.of("$L, $LPacked, $L, $L, null, $T.NONE", in.get(0), out, bias, stridesOf(c), EPILOGUE)
                        : CodeBlock.of("$L, $L, $L, $L", in.get(0), in.get(1), bias, conv(c));
                if (packed.contains(n.name())) m.addComment("$L: weight prepacked once ($LPacked)", n.name(), out);
                if (planned) m.addStatement("$T.conv2dInto($L, $L)", CONV, args, out);
                else m.addStatement("$L$L = $T.conv2d($L)", decl, out, CONV, args);
            }
            case FusedConv2d f -> fusedConv(m, n, f, decl, planned, in);
            case Conv2dGrad g when planned && plan.inPlace().get(n.name()) == null -> {
                // Into the planned buffer, with the algorithm chosen now: it depends on the channels per group only.
                String method = g.wrt() == Conv2dGrad.Wrt.INPUT ? "conv2dBackwardInputInto" : "conv2dBackwardWeightInto";
                m.addStatement("$T.$L($L, $L, $L, $T.$L, $L)", CONV, method, in.get(0), in.get(1), conv(g.conv()), ALGORITHM,
                        algorithm(g, g.wrt() == Conv2dGrad.Wrt.INPUT ? n.input(2) : n.input(1), g.wrt() == Conv2dGrad.Wrt.INPUT ? n.input(1) : n.input(2)), out);
            }
            case Conv2dGrad g -> allocating(m, n, decl, g.wrt() == Conv2dGrad.Wrt.INPUT
                    ? CodeBlock.of("$T.conv2dBackwardInput($L, $L, $L.shape(), $L)", CONV, in.get(0), in.get(1), in.get(2), conv(g.conv()))
                    : CodeBlock.of("$T.conv2dBackwardWeight($L, $L, $L.shape(), $L)", CONV, in.get(0), in.get(1), in.get(2), conv(g.conv())));
            case MaxPool2d p -> pool(m, n, decl, planned, "maxPool2d", in.get(0) + ", " + maxPool(p));
            case AvgPool2d p -> pool(m, n, decl, planned, "avgPool2d", in.get(0) + ", " + avgPool(p));
            case AdaptiveAvgPool2d p -> pool(m, n, decl, planned, "adaptiveAvgPool2d", in.get(0) + ", " + p.outH() + ", " + p.outW());
            case Pool2dGrad g when planned -> m.addStatement("$L", switch (g.pool()) {
                case MaxPool2d p -> CodeBlock.of("$T.maxPool2dBackwardInto($L, $L, $L, $L)", POOL, in.get(0), in.get(1), maxPool(p), out);
                case AvgPool2d p -> CodeBlock.of("$T.avgPool2dBackwardInto($L, $L, $L)", POOL, in.get(0), avgPool(p), out);
                case AdaptiveAvgPool2d p -> CodeBlock.of("$T.adaptiveAvgPool2dBackwardInto($L, $L)", POOL, in.get(0), out);
                default -> throw new IllegalStateException("not a pooling: " + g.pool());
            });
            case Pool2dGrad g -> allocating(m, n, decl, switch (g.pool()) {
                case MaxPool2d p -> CodeBlock.of("$T.maxPool2dBackward($L, $L, $L)", POOL, in.get(0), in.get(1), maxPool(p));
                case AvgPool2d p -> CodeBlock.of("$T.avgPool2dBackward($L, $L.shape(), $L)", POOL, in.get(0), in.get(1), avgPool(p));
                case AdaptiveAvgPool2d p -> CodeBlock.of("$T.adaptiveAvgPool2dBackward($L, $L.shape())", POOL, in.get(0), in.get(1));
                default -> throw new IllegalStateException("not a pooling: " + g.pool());
            });
            case BatchNorm b when training -> {
                // x, weight, bias, running_mean, running_var, num_batches_tracked: batch statistics, running ones updated.
                String stats = save(n, "Result");
                m.addComment("$L: batch statistics; running_mean and running_var updated in place (momentum $L)", n.name(), b.momentum());
                if (planned) {
                    String c = names.code(n.type().dim(1));
                    hold(stats, CodeBlock.of("new $T($L, $T.zeros($L, $L), $T.zeros($L, $L))", NORMS.nestedClass("Result"), out,
                            JavaRenderer.TENSOR, dtype(n), c, JavaRenderer.TENSOR, dtype(n), c));
                    m.addStatement("$T.batchNormTrainingInto($L, $L, $L, $L, $L, $L, $L, $L)", NORMS, in.get(0), in.get(1), in.get(2),
                            in.get(3), in.get(4), b.momentum(), b.eps(), stats);
                    m.addStatement("$L.longs()[0]++", in.get(5));
                } else {
                    m.addStatement("$L = $T.batchNormTraining($L, $L, $L, $L, $L, $L, $L)", stats, NORMS, in.get(0), in.get(1), in.get(2),
                            in.get(3), in.get(4), b.momentum(), b.eps());
                    m.addStatement("$L.longs()[0]++", in.get(5));
                    allocating(m, n, decl, CodeBlock.of("$L.out()", stats));
                }
            }
            case BatchNorm b when planned -> m.addStatement("$T.batchNormInferenceInto($L, $L, $L, $L, $L, $L, $L)", NORMS, in.get(0),
                    in.get(3), in.get(4), in.get(1), in.get(2), b.eps(), out);
            case BatchNorm b -> allocating(m, n, decl, CodeBlock.of("$T.batchNormInference($L, $L, $L, $L, $L, $L)", NORMS, in.get(0),
                    in.get(3), in.get(4), in.get(1), in.get(2), b.eps()));
            case LayerNorm l when planned -> {
                // The statistics are kept for backward in a training program; inference computes them and drops them.
                String stats = training ? save(n, "Result") : holder(n, "Norms");
                List<dev.mithril.dsl.ir.Dim> rows = n.type().dims().subList(0, n.type().rank() - 1);
                hold(stats, training
                        ? CodeBlock.of("new $T($L, $T.zeros($L, $L), $T.zeros($L, $L))", NORMS.nestedClass("Result"), out,
                        JavaRenderer.TENSOR, dtype(n), names.codes(rows), JavaRenderer.TENSOR, dtype(n), names.codes(rows))
                        : CodeBlock.of("new $T($L, null, null)", NORMS.nestedClass("Result"), out));
                m.addStatement("$T.layerNormInto($L, $L, $L, $L, $L, $L)", NORMS, in.get(0), names.code(n.input(0).type().dim(-1)), in.get(1),
                        in.get(2), l.eps(), stats);
            }
            case LayerNorm l -> {
                CodeBlock call = CodeBlock.of("$T.layerNorm($L, new int[] {$L}, $L, $L, $L)", NORMS, in.get(0),
                        names.code(n.input(0).type().dim(-1)), in.get(1), in.get(2), l.eps());
                if (!training) {
                    allocating(m, n, decl, CodeBlock.of("$L.out()", call));
                } else {
                    String stats = save(n, "Result");
                    m.addStatement("$L = $L", stats, call);
                    allocating(m, n, decl, CodeBlock.of("$L.out()", stats));
                }
            }
            case NormGrad g when planned -> {
                String stats = saved(n.input(3));
                boolean input = g.wrt() == NormGrad.Wrt.INPUT;
                if (g.norm() instanceof BatchNorm) {
                    if (input) m.addStatement("$T.batchNormBackwardInputInto($L, $L, $L, $L.mean(), $L.invStd(), $L)", NORMS, in.get(0), in.get(1),
                            in.get(2), stats, stats, out);
                    else m.addStatement("$T.batchNormBackwardWeightInto($L, $L, $L.mean(), $L.invStd(), $L)", NORMS, in.get(0), in.get(1),
                            stats, stats, out);
                } else {
                    String size = names.code(n.input(1).type().dim(-1));
                    if (input) m.addStatement("$T.layerNormBackwardInputInto($L, $L, $L, $L, $L.mean(), $L.invStd(), $L)", NORMS, in.get(0),
                            in.get(1), size, in.get(2), stats, stats, out);
                    else m.addStatement("$T.layerNormBackwardWeightInto($L, $L, $L, $L.mean(), $L.invStd(), $L)", NORMS, in.get(0), in.get(1),
                            size, stats, stats, out);
                }
            }
            case NormGrad g -> {
                String stats = saved(n.input(3));
                CodeBlock grads = g.norm() instanceof BatchNorm
                        ? CodeBlock.of("$T.batchNormBackward($L, $L, $L, $L.mean(), $L.invStd())", NORMS, in.get(0), in.get(1), in.get(2), stats, stats)
                        : CodeBlock.of("$T.layerNormBackward($L, $L, new int[] {$L}, $L, $L.mean(), $L.invStd())", NORMS, in.get(0), in.get(1),
                        names.code(n.input(1).type().dim(-1)), in.get(2), stats, stats);
                allocating(m, n, decl, CodeBlock.of("$L.$L()", grads, g.wrt() == NormGrad.Wrt.INPUT ? "dx" : "dWeight"));
            }
            case Embedding e when planned -> m.addStatement("$T.forwardInto($L, $L, $L)", EMBEDDING, in.get(0), in.get(1), out);
            case Embedding e -> allocating(m, n, decl, CodeBlock.of("$T.forward($L, $L)", EMBEDDING, in.get(0), in.get(1)));
            case EmbeddingGrad e when planned -> m.addStatement("$T.backwardInto($L, $L, $L)", EMBEDDING, in.get(1), in.get(0), out);
            case EmbeddingGrad e -> allocating(m, n, decl, CodeBlock.of("$T.backward($L, $L, $L)", EMBEDDING, in.get(1), in.get(0),
                    names.code(n.input(2).type().dim(0))));
            case CausalAttention a when planned -> {
                // The log-sum-exp is kept for backward in a training program; inference computes it into a buffer of its own.
                String stats = training ? save(n, "Result") : holder(n, "Attention");
                Node qkv = n.input(0);
                hold(stats, CodeBlock.of("new $T($L, $T.zeros($L, $L, $L, $L))", ATTENTION.nestedClass("Result"), out, JavaRenderer.TENSOR,
                        dtype(n), names.code(qkv.type().dim(0)), a.heads(), names.code(qkv.type().dim(1))));
                m.addStatement("$T.forwardFusedInto($L, $L, $L)", ATTENTION, in.get(0), a.heads(), stats);
            }
            case CausalAttention a -> {
                CodeBlock call = CodeBlock.of("$T.forwardFused($L, $L)", ATTENTION, in.get(0), a.heads());
                if (!training) {
                    allocating(m, n, decl, CodeBlock.of("$L.out()", call));
                } else {
                    String stats = save(n, "Result");
                    m.addStatement("$L = $L", stats, call);
                    allocating(m, n, decl, CodeBlock.of("$L.out()", stats));
                }
            }
            case CachedAttention a -> {
                m.addComment("$L: writes the new positions' keys and values into $L and $L at $L, attends to all cached", n.name(), in.get(1), in.get(2), in.get(3));
                allocating(m, n, decl, CodeBlock.of("$T.forwardCached($L, $L, $L, $L, $L)", ATTENTION, in.get(0), in.get(1), in.get(2), in.get(3), a.heads()));
            }
            case CausalAttentionGrad a when planned -> {
                String stats = saved(n.input(2));
                m.addStatement("$T.backwardFusedInto($L, $L, $L.out(), $L.lse(), $L, $L)", ATTENTION, in.get(1), a.heads(), stats, stats, in.get(0), out);
            }
            case CausalAttentionGrad a -> {
                String stats = saved(n.input(2));
                allocating(m, n, decl, CodeBlock.of("$T.backwardFused($L, $L, $L.out(), $L.lse(), $L)", ATTENTION, in.get(1), a.heads(),
                        stats, stats, in.get(0)));
            }
            case Concat c -> {
                int axis = n.type().normalizeAxis(c.axis());
                if (planned) m.addStatement("$T.concatInto($L, new $T[] {$L}, $L)", SLICING, axis, JavaRenderer.TENSOR, String.join(", ", in), out);
                else m.addStatement("$L$L = $T.concat($L, $L)", decl, out, SLICING, axis, String.join(", ", in));
            }
            case Slice s -> {
                int axis = n.type().normalizeAxis(s.axis());
                CodeBlock first = firstIndex(s, n.input(0).type().dim(axis), in.get(0), axis);
                if (planned) m.addStatement("$T.sliceInto($L, $L, $L, $L, $L)", SLICING, in.get(0), axis, first, s.step(), out);
                else m.addStatement("$L$L = $T.slice($L, $L, $L, $L, $L)", decl, out, SLICING, in.get(0), axis, first,
                        n.type().dim(axis).value(), s.step());
            }
            case SliceGrad g -> {
                Slice s = g.slice();
                int axis = n.type().normalizeAxis(s.axis());
                CodeBlock first = firstIndex(s, n.type().dim(axis), in.get(1), axis);
                if (planned) m.addStatement("$T.sliceBackwardInto($L, $L, $L, $L, $L)", SLICING, in.get(0), axis, first, s.step(), out);
                else m.addStatement("$L$L = $T.sliceBackward($L, $L.shape(), $L, $L, $L)", decl, out, SLICING, in.get(0), in.get(1), axis,
                        first, s.step());
            }
            case Argmax a -> allocating(m, n, decl, CodeBlock.of("$T.argmax($L, $L, $L)", SLICING, in.get(0),
                    n.input(0).type().normalizeAxis(a.axis()), a.keepDims()));
            case Positions p -> {
                // Kept between calls: the same length (the usual case) reuses the tensor instead of allocating it per call.
                String ids = names.unique(names.of(n) + "Ids"), t = names.code(n.type().dim(0));
                type.addField(FieldSpec.builder(JavaRenderer.TENSOR, ids, Modifier.PRIVATE)
                        .addJavadoc("The positions of $S for the last length asked, read-only.\n", n.name()).build());
                m.addStatement("if ($L == null || $L.dim(0) != $L) $L = $T.positions($L)", ids, ids, t, ids, EMBEDDING, t);
                m.addStatement("$L$L = $L", decl, out, ids);
            }
            default -> throw new IllegalArgumentException("backend JAVA cannot render op '" + n.op().kind() + "' of node '" + n.name() + "'");
        }
    }

    /**
     * A convolution with its batch norm folded in (weights from {@code fold()}) and bias, residual add and activation
     * applied as it stores each output.
     */
    private void fusedConv(MethodSpec.Builder m, Node n, FusedConv2d f, String decl, boolean planned, List<String> in) {
        String w = in.get(1), b = f.bias() ? in.get(2) : "null";
        List<String> fused = new java.util.ArrayList<>();
        if (f.bias() || f.norm() != null) fused.add("bias");
        if (f.residual()) fused.add("residual add of " + n.input(f.residualAt()).name());
        if (f.activation() != null) fused.add(f.activation().equals("relu") ? "ReLU" : f.activation());
        String what = "conv2d of " + n.input(0).name() + (f.norm() != null ? " with its batch norm folded into the weight and bias" : "");
        m.addComment("$L: $L$L (absorbs $L)", n.name(), what, f.residual() || f.activation() != null
                ? "; " + String.join(", ", fused) + " fused into the convolution's store" : "", String.join(", ", f.absorbed()));
        if (f.norm() != null) {
            String[] folded = fold(n, f, in);
            w = folded[0];
            b = folded[1];
            if (in.get(f.normAt() + 4).equals(firstCount) && !foldChecked) {
                foldChecked = true;
                m.addComment("forwardTrain moves the running statistics and counts the batch: fold again");
                m.addStatement("if ($L.longs()[0] != $L) fold()", firstCount, foldedBatches);
            }
        }
        if (packed.contains(n.name())) {
            // The prepacked weight (made by repack() or, for a folded one, by fold()) stands for the weight and its groups.
            if (f.norm() == null) m.addComment("weight prepacked once ($LPacked)", names.of(n));
            CodeBlock args = CodeBlock.of("$L, $LPacked, $L, $L, $L, $T.$L", in.get(0), names.of(n), b, stridesOf(f.conv()),
                    f.residual() ? in.get(f.residualAt()) : "null", EPILOGUE, f.activation() == null ? "NONE" : f.activation().toUpperCase());
            if (planned) m.addStatement("$T.conv2dInto($L, $L)", CONV, args, names.of(n));
            else m.addStatement("$L$L = $T.conv2d($L)", decl, names.of(n), CONV, args);
            return;
        }
        CodeBlock args = CodeBlock.of("$L, $L, $L, $L", in.get(0), w, b, conv(f.conv()));
        if (f.residual() || f.activation() != null) {
            args = CodeBlock.of("$L, $L, $T.$L", args, f.residual() ? in.get(f.residualAt()) : "null", EPILOGUE,
                    f.activation() == null ? "NONE" : f.activation().toUpperCase());
        }
        if (planned) m.addStatement("$T.conv2dInto($L, $L)", CONV, args, names.of(n));
        else m.addStatement("$L$L = $T.conv2d($L)", decl, names.of(n), CONV, args);
    }

    /** Declares the folded weight and bias fields of {@code n} and adds their computation to {@code fold()}; returns their names. */
    private String[] fold(Node n, FusedConv2d f, List<String> in) {
        if (fold == null) {
            foldedBatches = names.unique("foldedBatches");
            firstCount = in.get(f.normAt() + 4);
            type.addField(FieldSpec.builder(com.squareup.javapoet.TypeName.LONG, foldedBatches, Modifier.PRIVATE).initializer("-1")
                    .addJavadoc("The batch count of $S when {@code fold()} last ran; -1 before it ran.\n", n.input(f.normAt() + 4).name()).build());
            fold = MethodSpec.methodBuilder("fold").addModifiers(Modifier.PRIVATE)
                    .addJavadoc("Folds each inference batch norm into the convolution before it.\n");
            type.addMethod(foldHelper());
        }
        String weight = names.unique(names.of(n) + "FoldedWeight"), bias = names.unique(names.of(n) + "FoldedBias");
        Node w = n.input(1);
        String shape = w.type().dims().stream().map(d -> Long.toString(d.value())).collect(Collectors.joining(", "));
        type.addField(FieldSpec.builder(JavaRenderer.TENSOR, weight, Modifier.PRIVATE, Modifier.FINAL)
                .initializer("$T.zeros($L)", JavaRenderer.TENSOR, shape).build());
        type.addField(FieldSpec.builder(JavaRenderer.TENSOR, bias, Modifier.PRIVATE, Modifier.FINAL)
                .initializer("$T.zeros($L)", JavaRenderer.TENSOR, w.type().dim(0).value()).build());
        int at = f.normAt();
        fold.addStatement("foldBatchNorm($L, $L, $L, $L, $L, $L, $L, $L, $L)", in.get(1), f.bias() ? in.get(2) : "null", in.get(at),
                in.get(at + 1), in.get(at + 2), in.get(at + 3), f.norm().eps(), weight, bias);
        if (packed.contains(n.name())) fold.addStatement("$LPacked = $T.prepack($L, $L)", names.of(n), CONV, weight, f.conv().groups());
        return new String[] {weight, bias};
    }

    /** {@code fold()}, when the program folds batch norms; null otherwise. */
    MethodSpec foldMethod() {
        if (fold == null) return null;
        return fold.build().toBuilder().addStatement("$L = $L.longs()[0]", foldedBatches, firstCount).build();
    }

    private static MethodSpec foldHelper() {
        ClassName t = JavaRenderer.TENSOR;
        return MethodSpec.methodBuilder("foldBatchNorm").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .addJavadoc("{@code foldedW = w s} and {@code foldedB = (b - mean) s + beta}, with {@code s = gamma / sqrt(var + eps)} per output\n"
                        + "channel: the convolution then computes what it and the batch norm did. {@code b} may be null (zeros).\n")
                .addParameter(t, "w").addParameter(t, "b").addParameter(t, "gamma").addParameter(t, "beta").addParameter(t, "mean")
                .addParameter(t, "var").addParameter(double.class, "eps").addParameter(t, "foldedW").addParameter(t, "foldedB")
                .addStatement("float[] wd = w.data(), fw = foldedW.data(), fb = foldedB.data()")
                .addStatement("int per = wd.length / fb.length")
                .beginControlFlow("for (int o = 0; o < fb.length; o++)")
                .addStatement("double s = gamma.data()[o] / Math.sqrt(var.data()[o] + eps)")
                .addStatement("for (int k = o * per; k < (o + 1) * per; k++) fw[k] = (float) (wd[k] * s)")
                .addStatement("fb[o] = (float) (((b == null ? 0.0 : b.data()[o]) - mean.data()[o]) * s + beta.data()[o])")
                .endControlFlow().build();
    }

    /** {@code Tensor n = call}; for a planned node the call still allocates, and its result is copied into the buffer. */
    private void allocating(MethodSpec.Builder m, Node n, String decl, CodeBlock call) {
        if (plan != null && plan.isPlanned(n.name())) {
            m.addComment("$L: the kernel has no ...Into form; its result is copied into the planned buffer", n.name());
            m.addStatement("$T.copyInto($L, $L)", SLICING, call, names.of(n));
        } else {
            m.addStatement("$L$L = $L", decl, names.of(n), call);
        }
    }

    private void pool(MethodSpec.Builder m, Node n, String decl, boolean planned, String kernel, String args) {
        if (planned) m.addStatement("$T.$LInto($L, $L)", POOL, kernel, args, names.of(n));
        else m.addStatement("$L$L = $T.$L($L)", decl, names.of(n), POOL, kernel, args);
    }

    /**
     * A field {@code <node>Stats} holding the {@code Result} of an inference layer whose kernel writes statistics too:
     * the planned output and a buffer of its own for them, made by the plan method with the other buffers.
     */
    private String holder(Node n, String owner) {
        String field = names.unique(names.of(n) + "Stats");
        type.addField(FieldSpec.builder(ClassName.get("dev.mithril.runtime", owner).nestedClass("Result"), field, Modifier.PRIVATE)
                .addJavadoc("The output buffer of $S with its statistics, which the kernel writes and nothing reads.\n", n.name()).build());
        return field;
    }

    /** {@code field = value} in the plan method, after the planned buffers' views (which {@code value} may read). */
    private void hold(String field, CodeBlock value) { holders.add(CodeBlock.of("$L = $L", field, value)); }

    /** Adds the plan method's statements for the statistics that planned layers write (see {@link #hold}). */
    void allocateHolders(MethodSpec.Builder m) {
        for (CodeBlock h : holders) m.addStatement(h);
    }

    /** {@code DType.F32} or {@code DType.F64}: the dtype of {@code n}'s value, for statistics of the same dtype. */
    private static CodeBlock dtype(Node n) {
        return CodeBlock.of("$T.$L", ClassName.get("dev.mithril.runtime", "DType"), n.type().dtype() == dev.mithril.runtime.DType.F64 ? "F64" : "F32");
    }

    /** A field {@code <node>Stats} of type {@code <runtime class>.<record>} for what backward reads of {@code n}. */
    private String save(Node n, String record) {
        String field = saved.get(n.name());
        if (field != null) return field;
        field = names.unique(names.of(n) + "Stats");
        ClassName owner = n.op() instanceof CausalAttention ? ATTENTION : NORMS;
        type.addField(FieldSpec.builder(owner.nestedClass(record), field, Modifier.PRIVATE)
                .addJavadoc("What backward reads of $S, kept by the last forwardTrain.\n", n.name()).build());
        saved.put(n.name(), field);
        return field;
    }

    private String saved(Node forward) {
        String field = saved.get(forward.name());
        if (field == null) throw new IllegalStateException("the gradient of '" + forward.name() + "' is rendered before its forward node");
        return field;
    }

    /** {@code Conv2d.choose} for a convolution of input {@code x} and weight {@code w}: fixed channels, any batch and size. */
    private static String algorithm(Conv2dGrad g, Node x, Node w) {
        int[] ws = w.type().dims().stream().mapToInt(d -> Math.toIntExact(d.value())).toArray();
        Conv2d c = g.conv();
        // The choice reads only channels and groups: any batch and a size the kernel fits in stand for the real ones.
        int[] xs = {1, Math.toIntExact(x.type().dim(1).value()), (ws[2] - 1) * c.dilationH() + 1, (ws[3] - 1) * c.dilationW() + 1};
        return dev.mithril.runtime.Conv2d.choose(xs, ws, c.strideH(), c.strideW(), c.padH(), c.padW(), c.dilationH(), c.dilationW(), c.groups()).name();
    }

    /** Whether {@code n} is a convolution (plain or fused) whose weight {@code PackWeights} may mark for prepacking. */
    static boolean isConvolution(Node n) { return n.op() instanceof Conv2d || n.op() instanceof FusedConv2d; }

    /** Whether convolution {@code n} has a batch norm folded into its weight (prepacked by {@code fold()}). */
    static boolean foldsNorm(Node n) { return n.op() instanceof FusedConv2d f && f.norm() != null; }

    /** The groups of convolution {@code n}. */
    static int groups(Node n) { return (n.op() instanceof FusedConv2d f ? f.conv() : (Conv2d) n.op()).groups(); }

    /** Stride, padding and dilation of {@code c}: the arguments of the prepacked-weight forward, which knows its groups. */
    private static String stridesOf(Conv2d c) {
        return List.of(c.strideH(), c.strideW(), c.padH(), c.padW(), c.dilationH(), c.dilationW()).stream()
                .map(String::valueOf).collect(Collectors.joining(", "));
    }

    private static String conv(Conv2d c) {
        return List.of(c.strideH(), c.strideW(), c.padH(), c.padW(), c.dilationH(), c.dilationW(), c.groups()).stream()
                .map(String::valueOf).collect(Collectors.joining(", "));
    }

    private static String maxPool(MaxPool2d p) {
        return List.of(p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW(), p.dilationH(), p.dilationW()).stream()
                .map(String::valueOf).collect(Collectors.joining(", "));
    }

    private static String avgPool(AvgPool2d p) {
        return List.of(p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW()).stream()
                .map(String::valueOf).collect(Collectors.joining(", "));
    }
}
