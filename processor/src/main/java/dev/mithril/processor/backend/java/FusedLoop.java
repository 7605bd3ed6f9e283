package dev.mithril.processor.backend.java;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.CodeBlock;
import com.squareup.javapoet.MethodSpec;
import com.squareup.javapoet.TypeName;
import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.processor.ops.Access;
import dev.mithril.processor.ops.Expr;
import dev.mithril.processor.ops.FusedElementwise;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.lang.model.element.Modifier;

/**
 * Writes the loop of one {@link FusedElementwise} node as a private static method over float arrays (double
 * arrays for a float64 node): a Vector API loop with a scalar tail when every operation has a vector form and
 * every operand is read element by element or as a scalar, else a scalar loop. Bounds are literals when the
 * shape is known, else passed in: arrays may be planned buffers longer than the values they hold.
 */
final class FusedLoop {
    static final ClassName FLOAT_VECTOR = ClassName.get("jdk.incubator.vector", "FloatVector");
    static final ClassName DOUBLE_VECTOR = ClassName.get("jdk.incubator.vector", "DoubleVector");
    static final ClassName VECTOR_OPERATORS = ClassName.get("jdk.incubator.vector", "VectorOperators");
    static final ClassName KERNELS = ClassName.get("dev.mithril.runtime", "Kernels");
    /** The species field of float64 loops (float32 loops use {@code SPECIES}). */
    static final String SPECIES_F64 = "SPECIES_F64";
    private static final Set<String> VECTOR_FORMS = Set.of("add", "sub", "mul", "div", "relu", "sigmoid", "tanh",
            "relu_grad", "sigmoid_grad", "tanh_grad");

    private final Node node;
    private final FusedElementwise op;
    private final boolean f64;
    private final String species;
    private final ClassName vectorClass;
    private final TypeName element;
    private final List<String> params = new ArrayList<>();
    private final List<Access> access = new ArrayList<>();

    FusedLoop(Node node) {
        this.node = node;
        this.op = (FusedElementwise) node.op();
        DType dt = node.type().dtype();
        if (dt != DType.F32 && dt != DType.F64) {
            throw new IllegalArgumentException("backend JAVA fuses float32 and float64 loops only; node '" + node.name() + "' is " + node.type());
        }
        this.f64 = dt == DType.F64;
        this.species = f64 ? SPECIES_F64 : "SPECIES";
        this.vectorClass = f64 ? DOUBLE_VECTOR : FLOAT_VECTOR;
        this.element = f64 ? TypeName.DOUBLE : TypeName.FLOAT;
        Set<String> used = new HashSet<>(Set.of("out", "i", "n", "SPECIES", SPECIES_F64));
        for (Node in : node.inputs()) {
            String base = in.javaName(), s = base;
            for (int k = 2; !used.add(s) || !used.add(s + "Length") || !javax.lang.model.SourceVersion.isName(s); k++) s = base + "_" + k;
            params.add(s);
            access.add(Access.of(in.type().dims(), op.dims()));
        }
    }

    /** Whether the loop uses the Vector API (and so the class needs its species). */
    boolean vectorized() {
        return op.expr().usesOnly(VECTOR_FORMS) && access.stream().allMatch(a -> a == Access.FULL || a == Access.SCALAR);
    }

    /** Whether the loop is over doubles (and its species is {@link #SPECIES_F64}). */
    boolean float64() { return f64; }

    /** The arguments of a call of the method, given the tensors' variable names. */
    String arguments(List<String> inputs, String out) {
        String array = f64 ? ".doubles()" : ".data()";
        List<String> args = new ArrayList<>();
        for (int k = 0; k < inputs.size(); k++) {
            args.add(inputs.get(k) + array);
            if (suffixLength(k) == null) args.add(inputs.get(k) + ".size()");
        }
        args.add(out + array);
        if (!node.type().elements().isFixed()) args.add(out + ".size()");
        return String.join(", ", args);
    }

    /** The literal length of a suffix operand; null when it is passed in (or the operand is not a suffix). */
    private String suffixLength(int k) {
        if (access.get(k) != Access.SUFFIX) return "";
        Dim d = node.inputs().get(k).type().elements();
        return d.isFixed() ? Long.toString(d.value()) : null;
    }

    /** The method {@code name(float[] a, ..., float[] out)}. */
    MethodSpec method(String name) {
        Dim n = node.type().elements();
        String bound = n.isFixed() ? Long.toString(n.value()) : "n";
        TypeName array = f64 ? TypeName.get(double[].class) : TypeName.get(float[].class);
        MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .addJavadoc("$L = $L\n", node.name(), JavaRenderer.describe(op.expr(), node.inputs()));
        for (int k = 0; k < params.size(); k++) {
            m.addParameter(array, params.get(k));
            if (suffixLength(k) == null) m.addParameter(TypeName.INT, params.get(k) + "Length");
        }
        m.addParameter(array, "out");
        if (!n.isFixed()) m.addParameter(TypeName.INT, "n");
        for (int k = 0; k < params.size(); k++) {
            if (access.get(k) == Access.SCALAR) m.addStatement("$T $LScalar = $L[0]", element, params.get(k), params.get(k));
        }
        m.addStatement("int i = 0");
        if (vectorized()) {
            m.beginControlFlow("for (; i < $L.loopBound($L); i += $L.length())", species, bound, species)
                    .addStatement("$L.intoArray(out, i)", vector(op.expr()))
                    .endControlFlow();
        }
        m.beginControlFlow("for (; i < $L; i++)", bound)
                .addStatement("out[i] = $L", scalar(op.expr()))
                .endControlFlow();
        return m.build();
    }

    /** A literal of the loop's element type: a double literal in float64 loops, so that calls pick the double overloads. */
    private String literal(float v) { return f64 ? JavaRenderer.doubleLiteral(v) : JavaNames.literal(v); }

    private CodeBlock scalar(Expr e) {
        return switch (e) {
            case Expr.Literal l -> CodeBlock.of("$L", literal(l.value()));
            case Expr.Leaf l -> switch (access.get(l.index())) {
                case FULL -> CodeBlock.of("$L[i]", params.get(l.index()));
                case SCALAR -> CodeBlock.of("$LScalar", params.get(l.index()));
                case SUFFIX -> {
                    String len = suffixLength(l.index());
                    yield CodeBlock.of("$L[i % $L]", params.get(l.index()), len != null ? len : params.get(l.index()) + "Length");
                }
                case NONE -> throw new IllegalStateException("operand " + l.index() + " of '" + node.name() + "' cannot be read in a flat loop");
            };
            case Expr.Apply a -> {
                List<CodeBlock> x = a.args().stream().map(this::scalar).toList();
                yield switch (a.kind()) {
                    case "add" -> CodeBlock.of("($L + $L)", x.get(0), x.get(1));
                    case "sub" -> CodeBlock.of("($L - $L)", x.get(0), x.get(1));
                    case "mul" -> CodeBlock.of("($L * $L)", x.get(0), x.get(1));
                    case "div" -> CodeBlock.of("($L / $L)", x.get(0), x.get(1));
                    case "relu" -> CodeBlock.of(f64 ? "Math.max($L, 0.0)" : "Math.max($L, 0f)", x.get(0));
                    case "gelu" -> CodeBlock.of("$T.gelu($L)", KERNELS, x.get(0));
                    case "sigmoid" -> CodeBlock.of("$T.sigmoid($L)", KERNELS, x.get(0));
                    case "tanh" -> CodeBlock.of(f64 ? "Math.tanh($L)" : "(float) Math.tanh($L)", x.get(0));
                    case "relu_grad" -> CodeBlock.of("$T.reluGrad($L, $L)", Statements.GRADIENTS, x.get(0), x.get(1));
                    case "gelu_grad" -> CodeBlock.of("$T.geluGrad($L, $L)", Statements.GRADIENTS, x.get(0), x.get(1));
                    case "sigmoid_grad" -> CodeBlock.of("$T.sigmoidGrad($L, $L)", Statements.GRADIENTS, x.get(0), x.get(1));
                    case "tanh_grad" -> CodeBlock.of("$T.tanhGrad($L, $L)", Statements.GRADIENTS, x.get(0), x.get(1));
                    default -> throw new IllegalStateException("no scalar form for '" + a.kind() + "'");
                };
            }
        };
    }

    private CodeBlock vector(Expr e) {
        return switch (e) {
            case Expr.Literal l -> CodeBlock.of("$T.broadcast($L, $L)", vectorClass, species, literal(l.value()));
            case Expr.Leaf l -> access.get(l.index()) == Access.SCALAR
                    ? CodeBlock.of("$T.broadcast($L, $LScalar)", vectorClass, species, params.get(l.index()))
                    : CodeBlock.of("$T.fromArray($L, $L, i)", vectorClass, species, params.get(l.index()));
            case Expr.Apply a -> {
                List<CodeBlock> x = a.args().stream().map(this::vector).toList();
                yield switch (a.kind()) {
                    case "add" -> CodeBlock.of("$L.add($L)", x.get(0), x.get(1));
                    case "sub" -> CodeBlock.of("$L.sub($L)", x.get(0), x.get(1));
                    case "mul" -> CodeBlock.of("$L.mul($L)", x.get(0), x.get(1));
                    case "div" -> CodeBlock.of("$L.div($L)", x.get(0), x.get(1));
                    case "relu" -> CodeBlock.of(f64 ? "$L.max(0.0)" : "$L.max(0f)", x.get(0));
                    case "tanh" -> CodeBlock.of("$L.lanewise($T.TANH)", x.get(0), VECTOR_OPERATORS);
                    case "sigmoid" -> CodeBlock.of("$T.broadcast($L, $L).div($L.neg().lanewise($T.EXP).add($L))", vectorClass, species,
                            f64 ? "1.0" : "1f", x.get(0), VECTOR_OPERATORS, f64 ? "1.0" : "1f");
                    // The gradients match their scalar forms in Gradients operation for operation (same rounding, NaN y gives 0).
                    case "relu_grad" -> CodeBlock.of("$T.zero($L).blend($L, $L.compare($T.GT, $L))", vectorClass, species, x.get(1), x.get(0),
                            VECTOR_OPERATORS, f64 ? "0.0" : "0f");
                    case "sigmoid_grad" -> CodeBlock.of("$L.mul($L).mul($T.broadcast($L, $L).sub($L))", x.get(1), x.get(0), vectorClass, species,
                            f64 ? "1.0" : "1f", x.get(0));
                    case "tanh_grad" -> CodeBlock.of("$L.mul($T.broadcast($L, $L).sub($L.mul($L)))", x.get(1), vectorClass, species,
                            f64 ? "1.0" : "1f", x.get(0), x.get(0));
                    default -> throw new IllegalStateException("no vector form for '" + a.kind() + "'");
                };
            }
        };
    }
}
