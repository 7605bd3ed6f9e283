package dev.mithril.processor.backend.java;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.CodeBlock;
import com.squareup.javapoet.FieldSpec;
import com.squareup.javapoet.MethodSpec;
import com.squareup.javapoet.TypeSpec;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ops.AdaptiveAvgPool2d;
import dev.mithril.dsl.ops.Argmax;
import dev.mithril.dsl.ops.AvgPool2d;
import dev.mithril.dsl.ops.BatchNorm;
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
    static final ClassName POOL = ClassName.get("dev.mithril.runtime", "Pool2d");
    static final ClassName NORMS = ClassName.get("dev.mithril.runtime", "Norms");
    static final ClassName EMBEDDING = ClassName.get("dev.mithril.runtime", "Embedding");
    static final ClassName ATTENTION = ClassName.get("dev.mithril.runtime", "Attention");
    static final ClassName SLICING = ClassName.get("dev.mithril.runtime", "Slicing");

    private final BufferPlan plan;
    private final JavaNames names;
    private final TypeSpec.Builder type;
    private final boolean training;
    private final Map<String, String> saved = new HashMap<>(); // forward node -> field holding its statistics

    LayerStatements(Program program, JavaNames names, TypeSpec.Builder type) {
        this.plan = program.buffers();
        this.names = names;
        this.type = type;
        this.training = program.training() != null;
    }

    /** Whether {@code op} is rendered here. */
    static boolean handles(Op op) {
        return op instanceof Conv2d || op instanceof Conv2dGrad || op instanceof MaxPool2d || op instanceof AvgPool2d
                || op instanceof AdaptiveAvgPool2d || op instanceof Pool2dGrad || op instanceof BatchNorm || op instanceof LayerNorm
                || op instanceof NormGrad || op instanceof Embedding || op instanceof EmbeddingGrad || op instanceof CausalAttention
                || op instanceof CausalAttentionGrad || op instanceof Concat || op instanceof Slice || op instanceof SliceGrad
                || op instanceof Argmax || op instanceof Positions;
    }

    /** Whether {@code n}, of a dtype other than float, is one the Java backend renders (int64 ids and indices). */
    static boolean rendersInt64(Node n) {
        Op op = n.op();
        return op instanceof dev.mithril.dsl.ops.Input || op instanceof dev.mithril.dsl.ops.Parameter || op instanceof Argmax || op instanceof Positions
                || op instanceof Slice || op instanceof Concat || op instanceof dev.mithril.dsl.ops.Reshape || op instanceof dev.mithril.dsl.ops.Flatten;
    }

    /** Adds {@code n}'s statements; {@code decl} is {@code "Tensor "} when its variable is declared here. */
    void add(MethodSpec.Builder m, Node n, String decl) {
        boolean planned = plan != null && plan.isPlanned(n.name());
        String out = names.of(n);
        List<String> in = n.inputs().stream().map(names::of).toList();
        switch (n.op()) {
            case Conv2d c -> {
                String args = in.get(0) + ", " + in.get(1) + ", " + (in.size() > 2 ? in.get(2) : "null") + ", " + conv(c);
                if (planned) m.addStatement("$T.conv2dInto($L, $L)", CONV, args, out);
                else m.addStatement("$L$L = $T.conv2d($L)", decl, out, CONV, args);
            }
            case Conv2dGrad g -> allocating(m, n, decl, g.wrt() == Conv2dGrad.Wrt.INPUT
                    ? CodeBlock.of("$T.conv2dBackwardInput($L, $L, $L.shape(), $L)", CONV, in.get(0), in.get(1), in.get(2), conv(g.conv()))
                    : CodeBlock.of("$T.conv2dBackwardWeight($L, $L, $L.shape(), $L)", CONV, in.get(0), in.get(1), in.get(2), conv(g.conv())));
            case MaxPool2d p -> pool(m, n, decl, planned, "maxPool2d", in.get(0) + ", " + maxPool(p));
            case AvgPool2d p -> pool(m, n, decl, planned, "avgPool2d", in.get(0) + ", " + avgPool(p));
            case AdaptiveAvgPool2d p -> pool(m, n, decl, planned, "adaptiveAvgPool2d", in.get(0) + ", " + p.outH() + ", " + p.outW());
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
                m.addStatement("$L = $T.batchNormTraining($L, $L, $L, $L, $L, $L, $L)", stats, NORMS, in.get(0), in.get(1), in.get(2),
                        in.get(3), in.get(4), b.momentum(), b.eps());
                m.addStatement("$L.longs()[0]++", in.get(5));
                allocating(m, n, decl, CodeBlock.of("$L.out()", stats));
            }
            case BatchNorm b -> allocating(m, n, decl, CodeBlock.of("$T.batchNormInference($L, $L, $L, $L, $L, $L)", NORMS, in.get(0),
                    in.get(3), in.get(4), in.get(1), in.get(2), b.eps()));
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
            case NormGrad g -> {
                String stats = saved(n.input(3));
                CodeBlock grads = g.norm() instanceof BatchNorm
                        ? CodeBlock.of("$T.batchNormBackward($L, $L, $L, $L.mean(), $L.invStd())", NORMS, in.get(0), in.get(1), in.get(2), stats, stats)
                        : CodeBlock.of("$T.layerNormBackward($L, $L, new int[] {$L}, $L, $L.mean(), $L.invStd())", NORMS, in.get(0), in.get(1),
                        names.code(n.input(1).type().dim(-1)), in.get(2), stats, stats);
                allocating(m, n, decl, CodeBlock.of("$L.$L()", grads, g.wrt() == NormGrad.Wrt.INPUT ? "dx" : "dWeight"));
            }
            case Embedding e -> allocating(m, n, decl, CodeBlock.of("$T.forward($L, $L)", EMBEDDING, in.get(0), in.get(1)));
            case EmbeddingGrad e -> allocating(m, n, decl, CodeBlock.of("$T.backward($L, $L, $L)", EMBEDDING, in.get(1), in.get(0),
                    names.code(n.input(2).type().dim(0))));
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
                long size = n.input(0).type().dim(axis).value();
                if (planned) m.addStatement("$T.sliceInto($L, $L, $L, $L, $L)", SLICING, in.get(0), axis, s.first(size), s.step(), out);
                else m.addStatement("$L$L = $T.slice($L, $L, $L, $L, $L)", decl, out, SLICING, in.get(0), axis, s.first(size), s.length(size), s.step());
            }
            case SliceGrad g -> {
                Slice s = g.slice();
                int axis = n.type().normalizeAxis(s.axis());
                long size = n.type().dim(axis).value();
                if (planned) m.addStatement("$T.sliceBackwardInto($L, $L, $L, $L, $L)", SLICING, in.get(0), axis, s.first(size), s.step(), out);
                else m.addStatement("$L$L = $T.sliceBackward($L, $L.shape(), $L, $L, $L)", decl, out, SLICING, in.get(0), in.get(1), axis,
                        s.first(size), s.step());
            }
            case Argmax a -> allocating(m, n, decl, CodeBlock.of("$T.argmax($L, $L, $L)", SLICING, in.get(0),
                    n.input(0).type().normalizeAxis(a.axis()), a.keepDims()));
            case Positions p -> allocating(m, n, decl, CodeBlock.of("$T.positions($L)", EMBEDDING, names.code(n.type().dim(0))));
            default -> throw new IllegalArgumentException("backend JAVA cannot render op '" + n.op().kind() + "' of node '" + n.name() + "'");
        }
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
