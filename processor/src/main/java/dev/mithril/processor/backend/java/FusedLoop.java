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
 * every operand is read element by element or as a scalar, else a scalar loop. Sigmoid and tanh are cut out of the
 * vector loops: each becomes a pass of VectorMath's array form over the output between them (Math's, one element at
 * a time, for float64), so that their results do not depend on how far the JIT has compiled the code. Bounds are literals when the
 * shape is known, else passed in: arrays may be planned buffers longer than the values they hold.
 */
final class FusedLoop {
    static final ClassName FLOAT_VECTOR = ClassName.get("jdk.incubator.vector", "FloatVector");
    static final ClassName DOUBLE_VECTOR = ClassName.get("jdk.incubator.vector", "DoubleVector");
    static final ClassName VECTOR_OPERATORS = ClassName.get("jdk.incubator.vector", "VectorOperators");
    static final ClassName KERNELS = ClassName.get("dev.mithril.runtime", "Kernels");
    /** Exponentials with the same bits in every JIT tier (the Vector API's own EXP and TANH differ between them). */
    static final ClassName VECTOR_MATH = ClassName.get("dev.mithril.runtime", "VectorMath");
    /** The species field of float64 loops (float32 loops use {@code SPECIES}). */
    static final String SPECIES_F64 = "SPECIES_F64";
    private static final Set<String> VECTOR_FORMS = Set.of("add", "sub", "mul", "div", "relu",
            "relu_grad", "sigmoid_grad", "tanh_grad");
    /**
     * Float32 operations that may close a vectorized loop: the loop computes their argument, then the whole output
     * goes through VectorMath's array form once. Their vector forms are not written in the loop: the Vector API's own
     * EXP and TANH give different bits compiled and interpreted, and a call that passes VectorMath a vector boxes it
     * wherever C2 declines to inline it. Float64 loops close the same way with a scalar pass of Math's function. Two of
     * them side by side, rather than nested, make the loop scalar, where Math's functions give the same bits in every
     * JIT tier.
     */
    private static final Set<String> CLOSING_FORMS = Set.of("sigmoid", "tanh");

    private final Node node;
    private final FusedElementwise op;
    private final boolean f64;
    private final String species;
    private final ClassName vectorClass;
    private final TypeName element;
    private final List<String> params = new ArrayList<>();
    private final List<Access> access = new ArrayList<>();

    /** The input whose buffer the output takes over (the memory plan's in-place write), or null. */
    private final String inPlaceOf;
    /** The passes over the output ({@link #cut}), or null where the expression cannot be cut into them. */
    private final List<Stage> stages;

    FusedLoop(Node node, String inPlaceOf) {
        this.node = node;
        this.inPlaceOf = inPlaceOf;
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
        this.stages = cut(op.expr());
    }

    /** Marks "the value the previous stage left in out[i]" in a stage's expression. */
    private static final int PREV = -1;

    /**
     * One pass over the output: {@code out[i] = expr} (which may read {@code out[i]} itself, as {@link #PREV}), then,
     * unless {@code closing} is null, {@code VectorMath.<closing>Into} over the whole output.
     */
    private record Stage(Expr expr, String closing) {}

    /**
     * A float32 expression cut at its sigmoid and tanh operations into passes, innermost first, each reading the one
     * before it through {@code out}: {@code tanh(sigmoid(a * b) + b) * b} becomes {@code out = a * b}, sigmoid,
     * {@code out = out + b}, tanh, {@code out = out * b}. Null where two of them do not nest (sigmoid(a) * tanh(b)
     * would need a second buffer), or where a later pass would read the input whose buffer out has taken over. Float64
     * loops close with a scalar pass of Math's function instead.
     */
    private List<Stage> cut(Expr expr) {
        List<Stage> out = new ArrayList<>();
        Expr cur = expr;
        while (true) {
            List<Expr.Apply> innermost = new ArrayList<>();
            innermostClosing(cur, innermost);
            if (innermost.isEmpty()) break;
            if (innermost.size() > 1) return null;
            Expr.Apply t = innermost.get(0);
            out.add(new Stage(t.args().get(0), t.kind()));
            cur = replace(cur, t, new Expr.Leaf(PREV));
        }
        if (!(cur instanceof Expr.Leaf l && l.index() == PREV)) out.add(new Stage(cur, null));
        // the passes after the first read their inputs after out was written: not the input out overwrites
        for (int k = 1; k < out.size(); k++) if (readsInPlaceInput(out.get(k).expr())) return null;
        return out;
    }

    private boolean readsInPlaceInput(Expr e) {
        return switch (e) {
            case Expr.Leaf l -> l.index() != PREV && inPlaceOf != null && node.inputs().get(l.index()).name().equals(inPlaceOf);
            case Expr.Literal l -> false;
            case Expr.Apply a -> a.args().stream().anyMatch(this::readsInPlaceInput);
        };
    }

    /** The closing operations in {@code e} whose arguments hold none. */
    private static void innermostClosing(Expr e, List<Expr.Apply> found) {
        if (!(e instanceof Expr.Apply a)) return;
        int before = found.size();
        for (Expr x : a.args()) innermostClosing(x, found);
        if (found.size() == before && CLOSING_FORMS.contains(a.kind())) found.add(a);
    }

    private static Expr replace(Expr e, Expr target, Expr with) {
        if (e == target) return with;
        if (!(e instanceof Expr.Apply a)) return e;
        return new Expr.Apply(a.kind(), a.args().stream().map(x -> replace(x, target, with)).toList());
    }

    /** Whether the loop uses the Vector API (and so the class needs its species). */
    boolean vectorized() {
        boolean forms = stages != null && stages.stream().allMatch(st -> st.expr().usesOnly(VECTOR_FORMS));
        return forms && access.stream().allMatch(a -> a == Access.FULL || a == Access.SCALAR);
    }

    /** How the generated code computes the node, for its comment. */
    String describe() {
        if (!vectorized()) return "one scalar loop";
        List<String> closing = stages.stream().map(Stage::closing).filter(java.util.Objects::nonNull).toList();
        String loops = stages.size() == 1 ? "one vector loop" : stages.size() + " vector loops";
        return closing.isEmpty() ? loops : loops + " and " + (f64 ? "Math's " : "VectorMath's ") + String.join(" and ", closing);
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
        m.addStatement("int i");
        if (!vectorized()) {
            m.beginControlFlow("for (i = 0; i < $L; i++)", bound).addStatement("out[i] = $L", scalar(op.expr())).endControlFlow();
            return m.build();
        }
        for (Stage st : stages) {
            m.beginControlFlow("for (i = 0; i < $L.loopBound($L); i += $L.length())", species, bound, species)
                    .addStatement("$L.intoArray(out, i)", vector(st.expr()))
                    .endControlFlow();
            m.beginControlFlow("for (; i < $L; i++)", bound).addStatement("out[i] = $L", scalar(st.expr())).endControlFlow();
            if (st.closing() == null) continue;
            if (f64) {
                Expr closing = new Expr.Apply(st.closing(), List.of(new Expr.Leaf(PREV)));
                m.beginControlFlow("for (i = 0; i < $L; i++)", bound).addStatement("out[i] = $L", scalar(closing)).endControlFlow();
            } else {
                m.addStatement("$T.$LInto(out, 0, out, 0, $L)", VECTOR_MATH, st.closing(), bound);
            }
        }
        return m.build();
    }

    /** A literal of the loop's element type: a double literal in float64 loops, so that calls pick the double overloads. */
    private String literal(float v) { return f64 ? JavaRenderer.doubleLiteral(v) : JavaNames.literal(v); }

    private CodeBlock scalar(Expr e) {
        return switch (e) {
            case Expr.Literal l -> CodeBlock.of("$L", literal(l.value()));
            case Expr.Leaf l when l.index() == PREV -> CodeBlock.of("out[i]");
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
                    case "tanh" -> f64 ? CodeBlock.of("Math.tanh($L)", x.get(0)) : CodeBlock.of("$T.tanh($L)", VECTOR_MATH, x.get(0));
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
            case Expr.Leaf l when l.index() == PREV -> CodeBlock.of("$T.fromArray($L, out, i)", vectorClass, species);
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
