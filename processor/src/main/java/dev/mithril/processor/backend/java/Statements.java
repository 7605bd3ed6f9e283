package dev.mithril.processor.backend.java;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.CodeBlock;
import com.squareup.javapoet.FieldSpec;
import com.squareup.javapoet.MethodSpec;
import com.squareup.javapoet.ParameterizedTypeName;
import com.squareup.javapoet.TypeSpec;
import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Add;
import dev.mithril.dsl.ops.Expand;
import dev.mithril.dsl.ops.GeluGrad;
import dev.mithril.dsl.ops.ReluGrad;
import dev.mithril.dsl.ops.SigmoidGrad;
import dev.mithril.dsl.ops.SumTo;
import dev.mithril.dsl.ops.TanhGrad;
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
import dev.mithril.processor.ops.FusedElementwise;
import dev.mithril.processor.ops.FusedLinear;
import java.util.List;
import java.util.stream.Collectors;
import javax.lang.model.element.Modifier;

/**
 * The forward pass, one node at a time: an allocating kernel call for a node without a buffer
 * ({@code Tensor h1 = Kernels.relu(h1_linear)}), an {@code ...Into} call for a planned one, a GEMM
 * with a fused epilogue or a call of a generated loop for fused nodes.
 */
final class Statements {
    static final ClassName KERNELS = ClassName.get("dev.mithril.runtime", "Kernels");
    static final ClassName GEMM = ClassName.get("dev.mithril.runtime", "Gemm");
    static final ClassName GRADIENTS = ClassName.get("dev.mithril.runtime", "Gradients");
    static final ClassName EPILOGUE = ClassName.get("dev.mithril.runtime", "Epilogue");

    private final Program program;
    private final BufferPlan plan;
    private final JavaNames names;
    private final TypeSpec.Builder type;
    private final java.util.Set<String> assigned = new java.util.HashSet<>();
    private final LayerStatements layers;
    private boolean species, species64;

    Statements(Program program, JavaNames names, TypeSpec.Builder type) {
        this.program = program;
        this.plan = program.buffers();
        this.names = names;
        this.type = type;
        this.layers = new LayerStatements(program, names, type);
    }

    /**
     * Marks nodes whose unplanned values go to a variable declared elsewhere (a field kept for the backward
     * pass, or a local declared before a guarded block): their statements assign instead of declaring.
     */
    void assignOnly(java.util.Collection<String> nodeNames) { assigned.addAll(nodeNames); }

    /** {@code "Tensor "} when {@code n}'s statement declares its variable, else empty. */
    private String decl(Node n) { return assigned.contains(n.name()) ? "" : "Tensor "; }

    /** The layer statements, which hold what rendering them added beyond the forward pass ({@code fold()}). */
    LayerStatements layers() { return layers; }

    /** Whether the statements so far used the float32 vector species. */
    boolean species() { return species; }

    /** Whether the statements so far used the float64 vector species. */
    boolean species64() { return species64; }

    /**
     * Adds the class members the statements needed: the vector species (also when {@code speciesElsewhere}), the
     * float64 one (also when {@code species64Elsewhere}).
     */
    void finish(boolean speciesElsewhere, boolean species64Elsewhere) {
        if (species || speciesElsewhere) {
            type.addField(FieldSpec.builder(ParameterizedTypeName.get(JavaRenderer.VECTOR_SPECIES, ClassName.get(Float.class)), "SPECIES",
                    Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL).initializer("$T.SPECIES_PREFERRED", FusedLoop.FLOAT_VECTOR).build());
        }
        if (species64 || species64Elsewhere) {
            type.addField(FieldSpec.builder(ParameterizedTypeName.get(JavaRenderer.VECTOR_SPECIES, ClassName.get(Double.class)),
                    FusedLoop.SPECIES_F64, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                    .initializer("$T.SPECIES_PREFERRED", FusedLoop.DOUBLE_VECTOR).build());
        }
    }

    void add(MethodSpec.Builder m, Node n) {
        if (n.op() instanceof Input || n.op() instanceof Parameter || n.op() instanceof Constant) return;
        String out = names.of(n);
        boolean planned = plan != null && plan.isPlanned(n.name());
        List<String> in = n.inputs().stream().map(names::of).toList();
        switch (n.op()) {
            case Reshape r -> view(m, n, out, in.get(0), planned);
            case Flatten f -> view(m, n, out, in.get(0), planned);
            case FusedLinear f -> {
                if (!planned) m.addStatement("$L$L = $L", decl(n), out, zeros(n));
                m.addComment("$L = $L(linear($L)): $L fused into the GEMM epilogue$L", n.name(), f.activation(), n.input(0).name(),
                        n.inputs().size() > 2 ? "bias and " + display(f.activation()) : display(f.activation()), bufferNote(n));
                gemm(m, n, out, in, epilogue(n.inputs().size() > 2, f.activation()));
            }
            case Linear l -> {
                if (planned && program.packedWeights().contains(n.input(1).name())) {
                    m.addComment("$L = linear($L): weights pre-packed$L", n.name(), n.input(0).name(), bufferNote(n));
                    gemm(m, n, out, in, n.inputs().size() > 2 ? "BIAS" : "NONE");
                } else if (planned && program.level() == dev.mithril.dsl.Level.FULL && n.type().dtype() == dev.mithril.runtime.DType.F32
                        && n.input(1).type().rank() == 2) {
                    // Training at full level packs no weights (they change every step): the GEMM packs them on the fly.
                    m.addComment("$L = linear($L): bias in the GEMM epilogue$L", n.name(), n.input(0).name(), bufferNote(n));
                    gemm(m, n, out, in, n.inputs().size() > 2 ? "BIAS" : "NONE");
                } else {
                    call(m, n, planned, "linear", in.get(0), in.get(1), in.size() > 2 ? in.get(2) : "null");
                }
            }
            case FusedElementwise f -> {
                if (!planned) m.addStatement("$L$L = $L", decl(n), out, zeros(n));
                FusedLoop loop = new FusedLoop(n, plan == null || !plan.isPlanned(n.name()) ? null : plan.inPlace().get(n.name()));
                String method = names.unique(out + "Loop");
                type.addMethod(loop.method(method));
                if (loop.float64()) species64 |= loop.vectorized();
                else species |= loop.vectorized();
                m.addComment("$L = $L: $L elementwise ops fused into $L$L", n.name(),
                        JavaRenderer.describe(f.expr(), n.inputs()), f.expr().operations(), loop.describe(), bufferNote(n));
                m.addStatement("$L($L)", method, loop.arguments(in, out));
            }
            case MatMul mm when mm.transA() || mm.transB() ->
                    call(m, n, planned, GRADIENTS, "matmul", in.get(0), Boolean.toString(mm.transA()), in.get(1), Boolean.toString(mm.transB()));
            case MatMul mm -> call(m, n, planned, "matmul", in.get(0), in.get(1));
            case ReluGrad r -> call(m, n, planned, GRADIENTS, "reluGrad", in.get(0), in.get(1));
            case GeluGrad r -> call(m, n, planned, GRADIENTS, "geluGrad", in.get(0), in.get(1));
            case SigmoidGrad r -> call(m, n, planned, GRADIENTS, "sigmoidGrad", in.get(0), in.get(1));
            case TanhGrad r -> call(m, n, planned, GRADIENTS, "tanhGrad", in.get(0), in.get(1));
            case SumTo st -> {
                if (planned) call(m, n, true, GRADIENTS, "sumTo", in.get(0));
                else call(m, n, false, GRADIENTS, "sumTo", in.get(0) + (st.dims().isEmpty() ? "" : ", " + names.codes(st.dims())));
            }
            case Expand e -> {
                String divisor = names.code(e.divisor());
                if (planned) call(m, n, true, GRADIENTS, "expand", in.get(0), divisor);
                else call(m, n, false, GRADIENTS, "expand", in.get(0), divisor + (e.dims().isEmpty() ? "" : ", " + names.codes(e.dims())));
            }
            case Add a -> call(m, n, planned, "add", in.get(0), in.get(1));
            case Subtract s -> call(m, n, planned, "sub", in.get(0), in.get(1));
            case Multiply mu -> call(m, n, planned, "mul", in.get(0), in.get(1));
            case Divide d -> call(m, n, planned, "div", in.get(0), in.get(1));
            case Relu r -> call(m, n, planned, "relu", in.get(0));
            case Gelu g -> call(m, n, planned, "gelu", in.get(0));
            case Sigmoid s -> call(m, n, planned, "sigmoid", in.get(0));
            case Tanh t -> call(m, n, planned, "tanh", in.get(0));
            case Softmax s -> call(m, n, planned, "softmax", in.get(0), Integer.toString(s.axis()));
            case Transpose t -> {
                String perm = t.perm().stream().map(String::valueOf).collect(Collectors.joining(", "));
                if (planned) call(m, n, true, "transpose", in.get(0), constantInts(out + "Perm", perm));
                else call(m, n, false, "transpose", in.get(0), perm);
            }
            case Sum s -> reduce(m, n, planned, "sum", in.get(0), s.normalizedAxes(n.input(0).type()), s.keepDims());
            case Mean s -> reduce(m, n, planned, "mean", in.get(0), s.normalizedAxes(n.input(0).type()), s.keepDims());
            case dev.mithril.dsl.ir.Op o when LayerStatements.handles(o) -> layers.add(m, n, decl(n));
            default -> throw new IllegalArgumentException("backend JAVA cannot render op '" + n.op().kind() + "' of node '" + n.name() + "'");
        }
    }

    private void view(MethodSpec.Builder m, Node n, String out, String src, boolean planned) {
        if (planned) m.addComment("$L: a view of $L (buffer $L)", n.name(), n.input(0).name(), plan.bufferOf().get(n.name()));
        else if (plan == null) m.addStatement("$L$L = $L.reshape($L)", decl(n), out, src, names.codes(n.type().dims()));
        else {
            // With a buffer plan a call allocates nothing: the view is made again only when the viewed tensor is
            // another one (a new input, a new plan), not every call.
            String source = names.unique(out + "Source"), view = names.unique(out + "View");
            type.addField(FieldSpec.builder(JavaRenderer.TENSOR, source, Modifier.PRIVATE).build());
            type.addField(FieldSpec.builder(JavaRenderer.TENSOR, view, Modifier.PRIVATE)
                    .addJavadoc("$S: the last view of $L, made from {@code $L}.\n", n.name(), n.input(0).name(), source).build());
            m.beginControlFlow("if ($L != $L)", source, src)
                    .addStatement("$L = $L", source, src)
                    .addStatement("$L = $L.reshape($L)", view, src, names.codes(n.type().dims()))
                    .endControlFlow();
            m.addStatement("$L$L = $L", decl(n), out, view);
        }
    }

    /** {@code Tensor n = Kernels.op(args)} or {@code Kernels.opInto(args, n)}. */
    private void call(MethodSpec.Builder m, Node n, boolean planned, String kernel, String... args) {
        call(m, n, planned, KERNELS, kernel, args);
    }

    /** As {@link #call(MethodSpec.Builder, Node, boolean, String, String...)} with the kernel in class {@code kernels}. */
    private void call(MethodSpec.Builder m, Node n, boolean planned, ClassName kernels, String kernel, String... args) {
        String a = String.join(", ", args);
        if (!planned) {
            m.addStatement("$L$L = $T.$L($L)", decl(n), names.of(n), kernels, kernel, a);
            return;
        }
        String inPlace = plan.inPlace().get(n.name());
        if (inPlace != null) m.addComment("$L overwrites $L in place (buffer $L)", n.name(), inPlace, plan.bufferOf().get(n.name()));
        m.addStatement("$T.$LInto($L, $L)", kernels, kernel, a, names.of(n));
    }

    private void reduce(MethodSpec.Builder m, Node n, boolean planned, String kernel, String x, List<Integer> axes, boolean keep) {
        String ax = axes.stream().map(String::valueOf).collect(Collectors.joining(", "));
        String axesArg = planned ? constantInts(names.of(n) + "Axes", ax) : "new int[] {" + ax + "}";
        call(m, n, planned, kernel, x, axesArg, Boolean.toString(keep));
    }

    /** A {@code private static final int[]} so that planned calls allocate nothing. */
    private String constantInts(String base, String values) {
        String name = names.unique(base);
        type.addField(FieldSpec.builder(int[].class, name, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .initializer("{$L}", values).build());
        return name;
    }

    private void gemm(MethodSpec.Builder m, Node n, String out, List<String> in, String epilogue) {
        Node x = n.input(0), w = n.input(1);
        Dim k = w.type().dim(1);
        Dim rows = x.type().elements().dividedBy(k);
        String rowsCode = rows != null ? names.code(rows) : in.get(0) + ".size() / " + names.code(k);
        boolean f64 = n.type().dtype() == dev.mithril.runtime.DType.F64;
        String array = f64 ? ".doubles()" : ".data()";
        String bias = in.size() > 2 ? in.get(2) + array : "null";
        if (program.packedWeights().contains(w.name())) {
            m.addStatement("$T.linear($L$L, 0, $L, $LPacked, $L, $T.$L, $L$L, 0)", GEMM, in.get(0), array, rowsCode, in.get(1),
                    bias, EPILOGUE, epilogue, out, array);
        } else if (f64) {
            // No on-the-fly-packing linear in float64: the general product, w transposed, with the same epilogue.
            String nCode = names.code(w.type().dim(0)), kCode = names.code(k);
            m.addStatement("$T.dgemm(false, true, $L, $L, $L, 1.0, $L.doubles(), 0, $L, $L.doubles(), 0, $L, 0.0, $L.doubles(), 0, $L, $L, $T.$L)",
                    GEMM, rowsCode, nCode, kCode, in.get(0), kCode, in.get(1), kCode, out, nCode, bias, EPILOGUE, epilogue);
        } else {
            m.addStatement("$T.linear($L.data(), 0, $L, $L, $L, $L.data(), 0, $L, $T.$L, $L.data(), 0)", GEMM, in.get(0), rowsCode,
                    names.code(w.type().dim(0)), names.code(k), in.get(1), bias, EPILOGUE, epilogue, out);
        }
    }

    /** {@code Tensor.zeros(dims)} of {@code n}'s shape and dtype. */
    private com.squareup.javapoet.CodeBlock zeros(Node n) {
        if (n.type().dtype() == dev.mithril.runtime.DType.F64) {
            return com.squareup.javapoet.CodeBlock.of("$T.zeros($T.F64, $L)", JavaRenderer.TENSOR, dev.mithril.runtime.DType.class, names.codes(n.type().dims()));
        }
        return com.squareup.javapoet.CodeBlock.of("$T.zeros($L)", JavaRenderer.TENSOR, names.codes(n.type().dims()));
    }

    private static String display(String activation) {
        return switch (activation) {
            case "relu" -> "ReLU";
            case "gelu" -> "GELU";
            default -> activation;
        };
    }

    private static String epilogue(boolean bias, String activation) {
        return (bias ? "BIAS_" : "") + activation.toUpperCase();
    }

    /** Where a planned node's value lives, for comments: {@code ; buffer 0, reused by h3}. */
    private String bufferNote(Node n) {
        if (plan == null || !plan.isPlanned(n.name())) return "";
        int b = plan.bufferOf().get(n.name());
        StringBuilder sb = new StringBuilder("; buffer ").append(b);
        String inPlace = plan.inPlace().get(n.name());
        if (inPlace != null) sb.append(", in place of ").append(inPlace);
        List<String> writers = plan.writers(b);
        List<String> later = writers.subList(writers.indexOf(n.name()) + 1, writers.size());
        if (!later.isEmpty()) sb.append(", reused by ").append(String.join(", ", later));
        return sb.toString();
    }

}
