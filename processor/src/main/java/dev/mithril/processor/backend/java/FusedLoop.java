package dev.mithril.processor.backend.java;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.CodeBlock;
import com.squareup.javapoet.MethodSpec;
import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.processor.ops.Access;
import dev.mithril.processor.ops.Expr;
import dev.mithril.processor.ops.FusedElementwise;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.lang.model.element.Modifier;

/**
 * Writes the loop of one {@link FusedElementwise} node as a private static method over float arrays:
 * a Vector API loop with a scalar tail when every operation has a vector form and every operand is read
 * element by element or as a scalar, else a scalar loop. Bounds are literals when the shape is known.
 */
final class FusedLoop {
    static final ClassName FLOAT_VECTOR = ClassName.get("jdk.incubator.vector", "FloatVector");
    static final ClassName VECTOR_OPERATORS = ClassName.get("jdk.incubator.vector", "VectorOperators");
    static final ClassName KERNELS = ClassName.get("dev.mithril.runtime", "Kernels");
    private static final Set<String> VECTOR_FORMS = Set.of("add", "sub", "mul", "div", "relu", "sigmoid", "tanh");

    private final Node node;
    private final FusedElementwise op;
    private final List<String> params = new ArrayList<>();
    private final List<Access> access = new ArrayList<>();

    FusedLoop(Node node) {
        this.node = node;
        this.op = (FusedElementwise) node.op();
        Set<String> used = new HashSet<>(Set.of("out", "i", "n", "SPECIES"));
        for (Node in : node.inputs()) {
            String base = in.javaName(), s = base;
            for (int k = 2; !used.add(s) || !javax.lang.model.SourceVersion.isName(s); k++) s = base + "_" + k;
            params.add(s);
            access.add(Access.of(in.type().dims(), op.dims()));
        }
    }

    /** Whether the loop uses the Vector API (and so the class needs its {@code SPECIES}). */
    boolean vectorized() {
        return op.expr().usesOnly(VECTOR_FORMS) && access.stream().allMatch(a -> a == Access.FULL || a == Access.SCALAR);
    }

    /** The method {@code name(float[] a, ..., float[] out)}. */
    MethodSpec method(String name) {
        Dim n = node.type().elements();
        String bound = n.isFixed() ? Long.toString(n.value()) : "out.length";
        MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .addJavadoc("$L = $L\n", node.name(), JavaRenderer.describe(op.expr(), node.inputs()));
        for (String p : params) m.addParameter(float[].class, p);
        m.addParameter(float[].class, "out");
        for (int k = 0; k < params.size(); k++) {
            if (access.get(k) == Access.SCALAR) m.addStatement("float $LScalar = $L[0]", params.get(k), params.get(k));
        }
        m.addStatement("int i = 0");
        if (vectorized()) {
            m.beginControlFlow("for (; i < SPECIES.loopBound($L); i += SPECIES.length())", bound)
                    .addStatement("$L.intoArray(out, i)", vector(op.expr()))
                    .endControlFlow();
        }
        m.beginControlFlow("for (; i < $L; i++)", bound)
                .addStatement("out[i] = $L", scalar(op.expr()))
                .endControlFlow();
        return m.build();
    }

    private CodeBlock scalar(Expr e) {
        return switch (e) {
            case Expr.Literal l -> CodeBlock.of("$L", JavaNames.literal(l.value()));
            case Expr.Leaf l -> switch (access.get(l.index())) {
                case FULL -> CodeBlock.of("$L[i]", params.get(l.index()));
                case SCALAR -> CodeBlock.of("$LScalar", params.get(l.index()));
                case SUFFIX -> CodeBlock.of("$L[i % $L.length]", params.get(l.index()), params.get(l.index()));
                case NONE -> throw new IllegalStateException("operand " + l.index() + " of '" + node.name() + "' cannot be read in a flat loop");
            };
            case Expr.Apply a -> {
                List<CodeBlock> x = a.args().stream().map(this::scalar).toList();
                yield switch (a.kind()) {
                    case "add" -> CodeBlock.of("($L + $L)", x.get(0), x.get(1));
                    case "sub" -> CodeBlock.of("($L - $L)", x.get(0), x.get(1));
                    case "mul" -> CodeBlock.of("($L * $L)", x.get(0), x.get(1));
                    case "div" -> CodeBlock.of("($L / $L)", x.get(0), x.get(1));
                    case "relu" -> CodeBlock.of("Math.max($L, 0f)", x.get(0));
                    case "gelu" -> CodeBlock.of("$T.gelu($L)", KERNELS, x.get(0));
                    case "sigmoid" -> CodeBlock.of("$T.sigmoid($L)", KERNELS, x.get(0));
                    case "tanh" -> CodeBlock.of("(float) Math.tanh($L)", x.get(0));
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
            case Expr.Literal l -> CodeBlock.of("$T.broadcast(SPECIES, $L)", FLOAT_VECTOR, JavaNames.literal(l.value()));
            case Expr.Leaf l -> access.get(l.index()) == Access.SCALAR
                    ? CodeBlock.of("$T.broadcast(SPECIES, $LScalar)", FLOAT_VECTOR, params.get(l.index()))
                    : CodeBlock.of("$T.fromArray(SPECIES, $L, i)", FLOAT_VECTOR, params.get(l.index()));
            case Expr.Apply a -> {
                List<CodeBlock> x = a.args().stream().map(this::vector).toList();
                yield switch (a.kind()) {
                    case "add" -> CodeBlock.of("$L.add($L)", x.get(0), x.get(1));
                    case "sub" -> CodeBlock.of("$L.sub($L)", x.get(0), x.get(1));
                    case "mul" -> CodeBlock.of("$L.mul($L)", x.get(0), x.get(1));
                    case "div" -> CodeBlock.of("$L.div($L)", x.get(0), x.get(1));
                    case "relu" -> CodeBlock.of("$L.max(0f)", x.get(0));
                    case "tanh" -> CodeBlock.of("$L.lanewise($T.TANH)", x.get(0), VECTOR_OPERATORS);
                    case "sigmoid" -> CodeBlock.of("$T.broadcast(SPECIES, 1f).div($L.neg().lanewise($T.EXP).add(1f))",
                            FLOAT_VECTOR, x.get(0), VECTOR_OPERATORS);
                    default -> throw new IllegalStateException("no vector form for '" + a.kind() + "'");
                };
            }
        };
    }
}
