package dev.mithril.processor.backend.nd4j;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.MethodSpec;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.AdaptiveAvgPool2d;
import dev.mithril.dsl.ops.Add;
import dev.mithril.dsl.ops.Argmax;
import dev.mithril.dsl.ops.AvgPool2d;
import dev.mithril.dsl.ops.BatchNorm;
import dev.mithril.dsl.ops.CachedAttention;
import dev.mithril.dsl.ops.CausalAttention;
import dev.mithril.dsl.ops.CausalAttentionGrad;
import dev.mithril.dsl.ops.Concat;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.dsl.ops.Conv2d;
import dev.mithril.dsl.ops.Conv2dGrad;
import dev.mithril.dsl.ops.Divide;
import dev.mithril.dsl.ops.Embedding;
import dev.mithril.dsl.ops.EmbeddingGrad;
import dev.mithril.dsl.ops.Expand;
import dev.mithril.dsl.ops.Flatten;
import dev.mithril.dsl.ops.Gelu;
import dev.mithril.dsl.ops.GeluGrad;
import dev.mithril.dsl.ops.Input;
import dev.mithril.dsl.ops.LayerNorm;
import dev.mithril.dsl.ops.Linear;
import dev.mithril.dsl.ops.MatMul;
import dev.mithril.dsl.ops.MaxPool2d;
import dev.mithril.dsl.ops.Mean;
import dev.mithril.dsl.ops.Multiply;
import dev.mithril.dsl.ops.NormGrad;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.dsl.ops.Pool2dGrad;
import dev.mithril.dsl.ops.Positions;
import dev.mithril.dsl.ops.Relu;
import dev.mithril.dsl.ops.ReluGrad;
import dev.mithril.dsl.ops.Reshape;
import dev.mithril.dsl.ops.Sigmoid;
import dev.mithril.dsl.ops.SigmoidGrad;
import dev.mithril.dsl.ops.Slice;
import dev.mithril.dsl.ops.SliceGrad;
import dev.mithril.dsl.ops.Softmax;
import dev.mithril.dsl.ops.Subtract;
import dev.mithril.dsl.ops.Sum;
import dev.mithril.dsl.ops.SumTo;
import dev.mithril.dsl.ops.Tanh;
import dev.mithril.dsl.ops.TanhGrad;
import dev.mithril.dsl.ops.Transpose;
import dev.mithril.processor.BufferPlan;
import dev.mithril.processor.Program;
import dev.mithril.processor.ops.FusedLinear;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The forward pass (and, for a training program, the backward pass and batch norm's training form), one node at a time. Unplanned: {@code INDArray h = <one ND4J call>}. Planned: the
 * same operation with the node's preallocated array as its output ({@code Nd4j.exec(new AddOp(a, b, h))}),
 * or nothing for a reshape, whose array is already a view of its operand's buffer.
 */
final class Nd4jStatements {
    private static final String ARITHMETIC = "org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic";
    static final ClassName GRADS = ClassName.get("dev.mithril.nd4j", "Nd4jLayerGrads");
    static final ClassName LAYERS = ClassName.get("dev.mithril.nd4j", "Nd4jLayers");
    static final ClassName TRANSFORMS = ClassName.get("org.nd4j.linalg.ops.transforms", "Transforms");
    static final ClassName RELU_OP = ClassName.get("org.nd4j.linalg.api.ops.impl.scalar", "RectifiedLinear");
    static final ClassName SIGMOID_OP = ClassName.get("org.nd4j.linalg.api.ops.impl.transforms.strict", "Sigmoid");
    static final ClassName TANH_OP = ClassName.get("org.nd4j.linalg.api.ops.impl.transforms.strict", "Tanh");
    static final ClassName SOFTMAX_OP = ClassName.get("org.nd4j.linalg.api.ops.impl.transforms.custom", "SoftMax");
    static final ClassName SUM_OP = ClassName.get("org.nd4j.linalg.api.ops.impl.reduce.same", "Sum");
    static final ClassName MEAN_OP = ClassName.get("org.nd4j.linalg.api.ops.impl.reduce.floating", "Mean");

    private final BufferPlan plan;
    private final Nd4jNames names;
    private final boolean training;
    private final java.util.Set<String> assignOnly = new java.util.HashSet<>();

    Nd4jStatements(Program program, Nd4jNames names) {
        this.plan = program.buffers();
        this.names = names;
        this.training = program.training() != null;
    }

    /** Arrays (by their Java names) that are fields or earlier locals: their nodes assign them instead of declaring a local. */
    void assignOnly(java.util.Collection<String> arrays) { assignOnly.addAll(arrays); }

    void add(MethodSpec.Builder m, Node n) {
        if (n.op() instanceof Input || n.op() instanceof Parameter || n.op() instanceof Constant) return;
        String out = names.array(n);
        boolean planned = plan != null && plan.isPlanned(n.name());
        List<String> in = n.inputs().stream().map(names::array).toList();
        String bias = in.size() > 2 ? in.get(2) : "null";
        switch (n.op()) {
            case Reshape r -> view(m, n, out, in.get(0), planned);
            case Flatten f -> view(m, n, out, in.get(0), planned);
            case FusedLinear f -> {
                m.addComment("$L = $L(linear($L)): one GEMM, then the bias and $L in place$L", n.name(), f.activation(),
                        n.input(0).name(), f.activation(), bufferNote(n));
                // Not a GEMM accumulating onto a bias-filled output: ND4J's beta = 1 path measured 1.5x slower at batch 32.
                if (planned) m.addStatement("$T.linear($L, $L, $L, $L)", Nd4jRenderer.OPS, in.get(0), in.get(1), bias, out);
                else assign(m, out, "$T.linear($L, $L, $L)", Nd4jRenderer.OPS, in.get(0), in.get(1), bias);
                activationInPlace(m, f.activation(), out);
            }
            case Linear l -> {
                if (!planned) assign(m, out, "$T.linear($L, $L, $L)", Nd4jRenderer.OPS, in.get(0), in.get(1), bias);
                else {
                    note(m, n);
                    m.addStatement("$T.linear($L, $L, $L, $L)", Nd4jRenderer.OPS, in.get(0), in.get(1), bias, out);
                }
            }
            case MatMul mm when mm.transA() || mm.transB() ->
                    allocating(m, n, planned, out, "$T.matmul($L, $L, $L, $L)", Nd4jRenderer.OPS, in.get(0), in.get(1), mm.transA(), mm.transB());
            case MatMul mm -> {
                if (!planned) assign(m, out, "$T.matmul($L, $L)", Nd4jRenderer.OPS, in.get(0), in.get(1));
                else { note(m, n); m.addStatement("$T.matmul($L, $L, $L)", Nd4jRenderer.OPS, in.get(0), in.get(1), out); }
            }
            case Add a -> binary(m, n, planned, "AddOp", in, out);
            case Subtract s -> binary(m, n, planned, "SubOp", in, out);
            case Multiply mu -> binary(m, n, planned, "MulOp", in, out);
            case Divide d -> binary(m, n, planned, "DivOp", in, out);
            case Relu r -> unary(m, n, planned, "relu", RELU_OP, ", 0.0", in.get(0), out);
            case Sigmoid s -> unary(m, n, planned, "sigmoid", SIGMOID_OP, "", in.get(0), out);
            case Tanh t -> unary(m, n, planned, "tanh", TANH_OP, "", in.get(0), out);
            case Gelu g -> {
                if (!planned) assign(m, out, "$T.gelu($L)", Nd4jRenderer.OPS, in.get(0));
                else { note(m, n); m.addStatement("$T.gelu($L, $L)", Nd4jRenderer.OPS, in.get(0), out); }
            }
            case Softmax s -> {
                int axis = s.axis() < 0 ? s.axis() + n.type().rank() : s.axis();
                if (!planned) assign(m, out, "$T.exec(new $T($L, $L))[0]", Nd4jRenderer.ND4J, SOFTMAX_OP, in.get(0), axis);
                else { note(m, n); m.addStatement("$T.exec(new $T($L, $L, $L))", Nd4jRenderer.ND4J, SOFTMAX_OP, in.get(0), out, axis); }
            }
            case Transpose t -> {
                String perm = t.perm().stream().map(String::valueOf).collect(Collectors.joining(", "));
                if (!planned) assign(m, out, "$L.permute($L)", in.get(0), perm);
                else { note(m, n); m.addStatement("$L.assign($L.permute($L))", out, in.get(0), perm); }
            }
            case Sum s -> reduce(m, n, planned, "sum", SUM_OP, in.get(0), out, s.normalizedAxes(n.input(0).type()), s.keepDims());
            case Mean s -> reduce(m, n, planned, "mean", MEAN_OP, in.get(0), out, s.normalizedAxes(n.input(0).type()), s.keepDims());
            case Expand e -> allocating(m, n, planned, out, "$T.expand($L, $L, $L)", Nd4jRenderer.OPS, in.get(0), names.shape(e.dims()),
                    names.code(e.divisor()));
            case SumTo s -> allocating(m, n, planned, out, "$T.sumTo($L$L)", Nd4jRenderer.OPS, in.get(0),
                    s.dims().stream().map(d -> ", " + names.code(d)).collect(Collectors.joining()));
            case ReluGrad g -> allocating(m, n, planned, out, "$T.reluGrad($L, $L)", Nd4jRenderer.OPS, in.get(0), in.get(1));
            case GeluGrad g -> allocating(m, n, planned, out, "$T.geluGrad($L, $L)", Nd4jRenderer.OPS, in.get(0), in.get(1));
            case SigmoidGrad g -> allocating(m, n, planned, out, "$T.sigmoidGrad($L, $L)", Nd4jRenderer.OPS, in.get(0), in.get(1));
            case TanhGrad g -> allocating(m, n, planned, out, "$T.tanhGrad($L, $L)", Nd4jRenderer.OPS, in.get(0), in.get(1));
            case Conv2d c -> allocating(m, n, planned, out, "$T.conv2d($L, $L, $L, $L, $L, $L, $L, $L, $L, $L)", LAYERS, in.get(0), in.get(1),
                    in.size() > 2 ? in.get(2) : "null", c.strideH(), c.strideW(), c.padH(), c.padW(), c.dilationH(), c.dilationW(), c.groups());
            case MaxPool2d p -> allocating(m, n, planned, out, "$T.maxPool2d($L, $L, $L, $L, $L, $L, $L, $L, $L)", LAYERS, in.get(0),
                    p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW(), p.dilationH(), p.dilationW());
            case AvgPool2d p -> allocating(m, n, planned, out, "$T.avgPool2d($L, $L, $L, $L, $L, $L, $L)", LAYERS, in.get(0),
                    p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW());
            case AdaptiveAvgPool2d p -> allocating(m, n, planned, out, "$T.adaptiveAvgPool2d($L, $L, $L)", LAYERS, in.get(0), p.outH(), p.outW());
            case BatchNorm b when training -> {
                m.addComment("$L: batch statistics; running_mean and running_var updated in place (momentum $L)", n.name(), b.momentum());
                allocating(m, n, planned, out, "$T.batchNormTrain($L, $L, $L, $L, $L, $L, $L)", GRADS, in.get(0), in.get(1), in.get(2), in.get(3),
                        in.get(4), b.eps(), b.momentum());
                for (Node stat : n.inputs().subList(3, 5))
                    if (stat.op() instanceof Parameter) m.addStatement("$T.copyBack($L, $L)", Nd4jRenderer.BRIDGE, names.array(stat), names.tensor(stat));
                if (n.input(5).op() instanceof Parameter) m.addStatement("$L.longs()[0]++", names.tensor(n.input(5)));
            }
            case NormGrad g -> allocating(m, n, planned, out, "$T.normGrad($L, $L, $L, $L, $L, $L)", GRADS, in.get(0), in.get(1), in.get(2),
                    g.norm() instanceof LayerNorm l ? l.eps() : ((BatchNorm) g.norm()).eps(), g.norm() instanceof LayerNorm, g.wrt() == NormGrad.Wrt.WEIGHT);
            case Conv2dGrad g -> {
                boolean weight = g.wrt() == Conv2dGrad.Wrt.WEIGHT;
                Conv2d c = g.conv();
                allocating(m, n, planned, out, "$T.conv2dGrad($L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)", GRADS, in.get(0), in.get(weight ? 1 : 2),
                        in.get(weight ? 2 : 1), c.strideH(), c.strideW(), c.padH(), c.padW(), c.dilationH(), c.dilationW(), c.groups(), weight);
            }
            case Pool2dGrad g -> {
                switch (g.pool()) {
                    case MaxPool2d p -> allocating(m, n, planned, out, "$T.maxPool2dGrad($L, $L, $L, $L, $L, $L, $L, $L, $L, $L)", GRADS, in.get(0), in.get(1),
                            p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW(), p.dilationH(), p.dilationW());
                    case AvgPool2d p -> allocating(m, n, planned, out, "$T.avgPool2dGrad($L, $L, $L, $L, $L, $L, $L, $L)", GRADS, in.get(0), in.get(1),
                            p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW());
                    case AdaptiveAvgPool2d p -> allocating(m, n, planned, out, "$T.adaptiveAvgPool2dGrad($L, $L, $L, $L)", GRADS, in.get(0), in.get(1),
                            p.outH(), p.outW());
                    default -> throw new IllegalArgumentException("backend ND4J has no gradient for pooling '" + g.pool().kind() + "' (node '" + n.name() + "')");
                }
            }
            case EmbeddingGrad g -> allocating(m, n, planned, out, "$T.embeddingGrad($L, $L, $L)", GRADS, in.get(0), in.get(1), in.get(2));
            case SliceGrad g -> allocating(m, n, planned, out, "$T.sliceGrad($L, $L, $L, $LL, $LL, $LL)", GRADS, in.get(0), in.get(1),
                    g.slice().axis(), g.slice().start(), g.slice().end(), g.slice().step());
            case CausalAttentionGrad g -> allocating(m, n, planned, out, "$T.causalAttentionGrad($L, $L, $L)", GRADS, in.get(0), in.get(1), g.heads());
            case BatchNorm b -> allocating(m, n, planned, out, "$T.batchNormEval($L, $L, $L, $L, $L, $L)", LAYERS, in.get(0), in.get(1), in.get(2),
                    in.get(3), in.get(4), b.eps());
            case LayerNorm l -> allocating(m, n, planned, out, "$T.layerNorm($L, $L, $L, $L)", LAYERS, in.get(0), in.get(1), in.get(2), l.eps());
            case Embedding e -> allocating(m, n, planned, out, "$T.embedding($L, $L)", LAYERS, in.get(0), in.get(1));
            case Positions p -> allocating(m, n, planned, out, "$T.positions($L, $L)", LAYERS, in.get(0), p.axis());
            case CausalAttention a -> allocating(m, n, planned, out, "$T.causalAttention($L, $L)", LAYERS, in.get(0), a.heads());
            case CachedAttention a -> {
                allocating(m, n, planned, out, "$T.cachedAttention($L, $L, $L, $L, $L)", LAYERS, in.get(0), in.get(1), in.get(2), in.get(3), a.heads());
                // The caches are the caller's tensors, updated in place; ND4J wrote its copies.
                for (Node cache : n.inputs().subList(1, 3))
                    if (cache.op() instanceof Input) m.addStatement("$T.copyBack($L, $L)", Nd4jRenderer.BRIDGE, names.array(cache), names.tensor(cache));
            }
            case Concat c -> allocating(m, n, planned, out, "$T.concat($L, $L)", LAYERS, c.axis(), String.join(", ", in));
            case Slice sl -> allocating(m, n, planned, out, "$T.slice($L, $L, $LL, $LL, $LL, $L)", LAYERS, in.get(0), sl.axis(), sl.start(), sl.end(),
                    sl.step(), n.type().dim(n.type().normalizeAxis(sl.axis())).value());
            case Argmax a -> allocating(m, n, planned, out, "$T.argmax($L, $L, $L)", LAYERS, in.get(0), a.axis(), a.keepDims());
            default -> throw new IllegalArgumentException("backend ND4J cannot render op '" + n.op().kind() + "' of node '" + n.name() + "'");
        }
    }

    /**
     * An operation ND4J has no call with an explicit output for: one allocating call, copied into the planned
     * array when there is one (only training graphs hold these operations, and they are rendered unplanned).
     */
    private void allocating(MethodSpec.Builder m, Node n, boolean planned, String out, String format, Object... args) {
        if (!planned) assign(m, out, format, args);
        else { note(m, n); m.addStatement("$L.assign(" + format + ")", prepend(out, args)); }
    }

    private static Object[] prepend(Object first, Object... rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private void view(MethodSpec.Builder m, Node n, String out, String src, boolean planned) {
        if (planned) m.addComment("$L: a view of $L (buffer $L)", n.name(), n.input(0).name(), plan.bufferOf().get(n.name()));
        else assign(m, out, "$L.reshape('c', $L)", src, names.shape(n.type().dims()));
    }

    private void binary(MethodSpec.Builder m, Node n, boolean planned, String op, List<String> in, String out) {
        ClassName c = ClassName.get(ARITHMETIC, op);
        if (!planned) assign(m, out, "$T.exec(new $T($L, $L))[0]", Nd4jRenderer.ND4J, c, in.get(0), in.get(1));
        else { note(m, n); m.addStatement("$T.exec(new $T($L, $L, $L))", Nd4jRenderer.ND4J, c, in.get(0), in.get(1), out); }
    }

    private void unary(MethodSpec.Builder m, Node n, boolean planned, String transform, ClassName op, String extra, String x, String out) {
        if (!planned) assign(m, out, "$T.$L($L, true)", TRANSFORMS, transform, x);
        else { note(m, n); m.addStatement("$T.exec(new $T($L, $L$L))", Nd4jRenderer.ND4J, op, x, out, extra); }
    }

    private void reduce(MethodSpec.Builder m, Node n, boolean planned, String method, ClassName op, String x, String out, List<Integer> axes, boolean keep) {
        String ax = axes.stream().map(String::valueOf).collect(Collectors.joining(", "));
        if (!planned) assign(m, out, "$L.$L($L, $L)", x, method, keep, ax);
        else { note(m, n); m.addStatement("$T.exec(new $T($L, $L, $L, $L))", Nd4jRenderer.ND4J, op, x, out, keep, ax); }
    }

    private static void activationInPlace(MethodSpec.Builder m, String activation, String out) {
        switch (activation) {
            case "gelu" -> m.addStatement("$T.gelu($L, $L)", Nd4jRenderer.OPS, out, out);
            default -> m.addStatement("$T.$L($L, false)", TRANSFORMS, activation, out);
        }
    }

    /** {@code INDArray out = <format>}, or {@code out = <format>} for a field or a local declared earlier. */
    private void assign(MethodSpec.Builder m, String out, String format, Object... args) {
        if (assignOnly.contains(out)) m.addStatement("$L = " + format, prepend(out, args));
        else m.addStatement("$T $L = " + format, prepend(Nd4jRenderer.INDARRAY, prepend(out, args)));
    }

    /** A comment for planned nodes written in place of an operand. */
    private void note(MethodSpec.Builder m, Node n) {
        String inPlace = plan.inPlace().get(n.name());
        if (inPlace != null) m.addComment("$L overwrites $L in place (buffer $L)", n.name(), inPlace, plan.bufferOf().get(n.name()));
    }

    /** Where a planned node's value lives, for comments: {@code ; buffer 0}. */
    private String bufferNote(Node n) {
        if (plan == null || !plan.isPlanned(n.name())) return "";
        return "; buffer " + plan.bufferOf().get(n.name());
    }
}
