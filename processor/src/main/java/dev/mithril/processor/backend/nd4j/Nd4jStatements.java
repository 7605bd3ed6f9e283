package dev.mithril.processor.backend.nd4j;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.MethodSpec;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Add;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.dsl.ops.Divide;
import dev.mithril.dsl.ops.Flatten;
import dev.mithril.dsl.ops.Gelu;
import dev.mithril.dsl.ops.Input;
import dev.mithril.dsl.ops.Linear;
import dev.mithril.dsl.ops.MatMul;
import dev.mithril.dsl.ops.Mean;
import dev.mithril.dsl.ops.Multiply;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.dsl.ops.Relu;
import dev.mithril.dsl.ops.Reshape;
import dev.mithril.dsl.ops.Sigmoid;
import dev.mithril.dsl.ops.Softmax;
import dev.mithril.dsl.ops.Subtract;
import dev.mithril.dsl.ops.Sum;
import dev.mithril.dsl.ops.Tanh;
import dev.mithril.dsl.ops.Transpose;
import dev.mithril.processor.BufferPlan;
import dev.mithril.processor.Program;
import dev.mithril.processor.ops.FusedLinear;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The forward pass, one node at a time. Unplanned: {@code INDArray h = <one ND4J call>}. Planned: the
 * same operation with the node's preallocated array as its output ({@code Nd4j.exec(new AddOp(a, b, h))}),
 * or nothing for a reshape, whose array is already a view of its operand's buffer.
 */
final class Nd4jStatements {
    private static final String ARITHMETIC = "org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic";
    static final ClassName TRANSFORMS = ClassName.get("org.nd4j.linalg.ops.transforms", "Transforms");
    static final ClassName RELU_OP = ClassName.get("org.nd4j.linalg.api.ops.impl.scalar", "RectifiedLinear");
    static final ClassName SIGMOID_OP = ClassName.get("org.nd4j.linalg.api.ops.impl.transforms.strict", "Sigmoid");
    static final ClassName TANH_OP = ClassName.get("org.nd4j.linalg.api.ops.impl.transforms.strict", "Tanh");
    static final ClassName SOFTMAX_OP = ClassName.get("org.nd4j.linalg.api.ops.impl.transforms.custom", "SoftMax");
    static final ClassName SUM_OP = ClassName.get("org.nd4j.linalg.api.ops.impl.reduce.same", "Sum");
    static final ClassName MEAN_OP = ClassName.get("org.nd4j.linalg.api.ops.impl.reduce.floating", "Mean");

    private final BufferPlan plan;
    private final Nd4jNames names;
    private final boolean full;

    Nd4jStatements(Program program, Nd4jNames names) {
        this.plan = program.buffers();
        this.names = names;
        this.full = program.level() == dev.mithril.dsl.Level.FULL;
    }

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
                m.addComment("$L = $L(linear($L)): bias added by the GEMM, $L applied in place$L", n.name(), f.activation(),
                        n.input(0).name(), f.activation(), bufferNote(n));
                if (planned) m.addStatement("$T.linearBiasInGemm($L, $L, $L, $L)", Nd4jRenderer.OPS, in.get(0), in.get(1), bias, out);
                else m.addStatement("$T $L = $T.linear($L, $L, $L)", Nd4jRenderer.INDARRAY, out, Nd4jRenderer.OPS, in.get(0), in.get(1), bias);
                activationInPlace(m, f.activation(), out);
            }
            case Linear l -> {
                if (!planned) assign(m, out, "$T.linear($L, $L, $L)", Nd4jRenderer.OPS, in.get(0), in.get(1), bias);
                else {
                    note(m, n);
                    m.addStatement("$T.$L($L, $L, $L, $L)", Nd4jRenderer.OPS, full ? "linearBiasInGemm" : "linear", in.get(0), in.get(1), bias, out);
                }
            }
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
            default -> throw new IllegalArgumentException("backend ND4J cannot render op '" + n.op().kind() + "' of node '" + n.name() + "'");
        }
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

    private static void assign(MethodSpec.Builder m, String out, String format, Object... args) {
        Object[] all = new Object[args.length + 2];
        all[0] = Nd4jRenderer.INDARRAY;
        all[1] = out;
        System.arraycopy(args, 0, all, 2, args.length);
        m.addStatement("$T $L = " + format, all);
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
