package dev.mithril.processor.apt;

import dev.mithril.dsl.Hyper;
import dev.mithril.dsl.Input;
import dev.mithril.dsl.Model;
import dev.mithril.dsl.Output;
import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.ElementFilter;

/**
 * One {@code @Model} interface as seen from one place: the top-level model, or one copy of an
 * embedded model with its node-name prefix ({@code block.}), its hyperparameter values and the outer
 * nodes bound to its inputs. Methods are resolved by name with a depth-first search, so a node's
 * inputs are added to the graph before it (topological order) and a loop is reported as a cycle.
 */
final class ModelScope {
    static final String TENSOR = "dev.mithril.runtime.Tensor";

    /** What an abstract method of a model declares. */
    enum Kind { HYPER, INPUT, NODE, EMBED }

    final TypeElement type;
    final String prefix;
    final Map<String, Long> hypers;
    final Graph.Builder graph;
    private final ExecutableElement useSite;      // the outermost embedding method; null for the top-level model
    private final List<TypeElement> embedding;    // enclosing models, outermost first, to catch a model embedding itself
    private final Map<String, Node> boundInputs;  // embedded models: input method name -> outer node
    private final Map<String, ExecutableElement> methods = new LinkedHashMap<>();
    private final Map<String, Node> resolved = new LinkedHashMap<>(); // null value: failed, already reported
    private final List<String> visiting = new ArrayList<>();

    ModelScope(TypeElement type, String prefix, Map<String, Long> hypers, Map<String, Node> boundInputs,
               ExecutableElement useSite, List<TypeElement> embedding, Graph.Builder graph) {
        this.type = type;
        this.prefix = prefix;
        this.hypers = hypers;
        this.boundInputs = boundInputs;
        this.useSite = useSite;
        this.embedding = embedding;
        this.graph = graph;
        for (ExecutableElement m : abstractMethods(type)) {
            String name = m.getSimpleName().toString();
            if (methods.containsKey(name)) {
                report(IrError.DUPLICATE_NODE, "node '" + qualified(name) + "' is declared twice in " + type.getSimpleName()
                        + "; node names must be unique, so overloads are not allowed", m, null);
            } else {
                methods.put(name, m);
            }
            if (kind(m) == Kind.HYPER && (!m.getParameters().isEmpty() || m.getReturnType().getKind() != TypeKind.INT)) {
                report(IrError.UNSUPPORTED_RETURN_TYPE, "hyperparameter '" + name + "' of " + type.getSimpleName()
                        + " must be an int method without parameters, like @Hyper int " + name + "()", m, mirror(m, Hyper.class));
            }
        }
    }

    /** The abstract methods a model declares, in declaration order (default and static methods are the user's own code). */
    static List<ExecutableElement> abstractMethods(TypeElement type) {
        return ElementFilter.methodsIn(type.getEnclosedElements()).stream()
                .filter(m -> m.getModifiers().contains(Modifier.ABSTRACT)).toList();
    }

    /** What {@code m} declares; throws {@link NotReady} when its return type has not been generated yet. */
    static Kind kind(ExecutableElement m) {
        if (m.getAnnotation(Hyper.class) != null) return Kind.HYPER;
        if (m.getAnnotation(Input.class) != null) return Kind.INPUT;
        TypeMirror r = m.getReturnType();
        NotReady.check(r);
        return modelType(r) != null ? Kind.EMBED : Kind.NODE;
    }

    /** The {@code @Model} interface {@code t} names, or null. */
    static TypeElement modelType(TypeMirror t) {
        if (t.getKind() != TypeKind.DECLARED) return null;
        TypeElement e = (TypeElement) ((DeclaredType) t).asElement();
        return e.getAnnotation(Model.class) != null ? e : null;
    }

    static boolean isTensor(TypeMirror t) {
        return t.getKind() == TypeKind.DECLARED
                && ((TypeElement) ((DeclaredType) t).asElement()).getQualifiedName().contentEquals(TENSOR);
    }

    /** Adds this model's inputs as graph input nodes, in declaration order (top-level models only). */
    void declareInputs() {
        for (ExecutableElement m : methods.values()) {
            if (kind(m) == Kind.INPUT) resolve(m.getSimpleName().toString(), m);
        }
    }

    /** Resolves every method, so that unused nodes are checked (and kept, for dead-node removal to judge) too. */
    void resolveAll() {
        for (ExecutableElement m : methods.values()) {
            if (kind(m) != Kind.HYPER) resolve(m.getSimpleName().toString(), m);
        }
    }

    /** The {@code @Output} methods, in declaration order. */
    List<ExecutableElement> outputMethods() {
        return methods.values().stream().filter(m -> m.getAnnotation(Output.class) != null).toList();
    }

    /** The declared inputs, in declaration order. */
    List<ExecutableElement> inputMethods() {
        return methods.values().stream().filter(m -> m.getAnnotation(Input.class) != null).toList();
    }

    /** The node a method's value is, or null when it failed (the failure is reported once, where it happened). */
    Node resolve(String name, ExecutableElement requester) {
        if (resolved.containsKey(name)) return resolved.get(name);
        ExecutableElement m = methods.get(name);
        if (m == null) {
            report(IrError.UNKNOWN_INPUT, "'" + qualified(requester.getSimpleName().toString()) + "' reads '" + name
                    + "', but " + type.getSimpleName() + " has no node or input named '" + name + "' (it has: "
                    + String.join(", ", tensorNames()) + ")", requester, null);
            return null;
        }
        if (kind(m) == Kind.HYPER) {
            report(IrError.INVALID_MODEL, "'" + qualified(requester.getSimpleName().toString()) + "' reads '" + name
                    + "', which is a hyperparameter, not a tensor; use it in shapes and attributes instead", requester, null);
            return null;
        }
        int at = visiting.indexOf(name);
        if (at >= 0) {
            List<String> path = new ArrayList<>(visiting.subList(at, visiting.size()));
            path.add(name);
            report(IrError.CYCLE, "'" + qualified(requester.getSimpleName().toString()) + "' reads '" + name
                    + "', which depends on it: cycle " + path.stream().map(this::qualified).collect(Collectors.joining(" -> ")),
                    requester, null);
            return null;
        }
        visiting.add(name);
        Node n = build(m);
        visiting.remove(visiting.size() - 1);
        resolved.put(name, n);
        return n;
    }

    private List<String> tensorNames() {
        return methods.values().stream().filter(m -> kind(m) != Kind.HYPER).map(m -> m.getSimpleName().toString()).toList();
    }

    private Node build(ExecutableElement m) {
        String name = m.getSimpleName().toString();
        return switch (kind(m)) {
            case INPUT -> boundInputs != null ? boundInputs.get(name) : input(m);
            case EMBED -> {
                List<Node> args = arguments(m);
                yield args == null ? null : new Embedding(this, m, args).build();
            }
            case NODE -> {
                if (!isTensor(m.getReturnType())) {
                    report(IrError.UNSUPPORTED_RETURN_TYPE, "node '" + qualified(name) + "' returns " + m.getReturnType()
                            + "; a node returns " + TENSOR + " (or another @Model interface, to embed it)", m, null);
                    yield null;
                }
                List<Node> args = arguments(m);
                yield args == null ? null : NodeOps.build(this, m, args);
            }
            case HYPER -> throw new IllegalStateException("hyperparameter '" + name + "' is not a node");
        };
    }

    /** The nodes a method's parameters name, or null if any failed (every unknown name is still reported). */
    private List<Node> arguments(ExecutableElement m) {
        List<Node> args = new ArrayList<>();
        boolean ok = true;
        for (VariableElement p : m.getParameters()) {
            NotReady.check(p.asType());
            if (!isTensor(p.asType())) {
                report(IrError.INVALID_MODEL, "parameter '" + p.getSimpleName() + "' of '" + qualified(m.getSimpleName().toString())
                        + "' is " + p.asType() + "; parameters name the node's inputs and are " + TENSOR, m, null);
                ok = false;
                continue;
            }
            Node n = resolve(p.getSimpleName().toString(), m);
            if (n == null) ok = false;
            args.add(n);
        }
        return ok ? args : null;
    }

    private Node input(ExecutableElement m) {
        String name = m.getSimpleName().toString();
        Input in = m.getAnnotation(Input.class);
        AnnotationMirror mirror = mirror(m, Input.class);
        if (!m.getParameters().isEmpty()) {
            report(IrError.INVALID_MODEL, "input '" + name + "' has parameters; an @Input method takes none", m, mirror);
            return null;
        }
        if (!isTensor(m.getReturnType())) {
            report(IrError.UNSUPPORTED_RETURN_TYPE, "input '" + name + "' returns " + m.getReturnType() + "; an @Input returns " + TENSOR, m, null);
            return null;
        }
        DType dtype = null;
        for (DType t : DType.values()) if (t.displayName().equals(in.dtype())) dtype = t;
        if (dtype == null) {
            report(IrError.INVALID_ATTRIBUTE, "input '" + name + "' has dtype \"" + in.dtype()
                    + "\"; expected float32, float64, float16, bfloat16, int32 or int64", m, mirror);
            return null;
        }
        List<Dim> dims = new ArrayList<>();
        for (String s : in.shape()) {
            Dim d = dimension(s, "input '" + name + "' shape", m, mirror);
            if (d == null) return null;
            dims.add(d);
        }
        return add(name, new dev.mithril.dsl.ops.Input(new TensorType(dtype, dims)), List.of(), m);
    }

    /** A shape entry with hyperparameters replaced by their values, or null (reported) when it is not valid. */
    Dim dimension(String text, String where, ExecutableElement m, AnnotationMirror mirror) {
        try {
            return HyperExpression.dimension(text, hypers);
        } catch (IllegalArgumentException | ArithmeticException e) {
            report(IrError.INVALID_ATTRIBUTE, where + " entry \"" + text + "\" is not a dimension: " + e.getMessage(), m, mirror);
            return null;
        }
    }

    /** Adds a node named {@code prefix + name}; null when the graph refused it (a duplicate, reported by the graph). */
    Node add(String name, Op op, List<Node> inputs, ExecutableElement m) {
        String full = qualified(name);
        Node n = graph.add(full, op, inputs, origin(m));
        return graph.get(full) == n ? n : null;
    }

    /** Adds a parameter named {@code prefix + paramName} (e.g. {@code block.fc1.weight}). */
    Node parameter(String paramName, TensorType type, long fanIn, ExecutableElement m) {
        String full = qualified(paramName);
        Node n = graph.parameter(full, type, fanIn, origin(m));
        return graph.get(full) == n ? n : null;
    }

    /** Adds a parameter or buffer initialized by {@code init} (norm weights, running statistics, embedding tables). */
    Node parameter(String paramName, TensorType type, dev.mithril.dsl.ops.Parameter.Init init, ExecutableElement m) {
        String full = qualified(paramName);
        Node n = graph.parameter(full, type, init, origin(m));
        return graph.get(full) == n ? n : null;
    }

    /** Node origins are the user's method; inside an embedded model, the outer method that embeds it. */
    ExecutableElement origin(ExecutableElement m) { return useSite != null ? useSite : m; }

    ExecutableElement useSite() { return useSite; }

    List<TypeElement> embedding() { return embedding; }

    String qualified(String name) { return prefix + name; }

    /**
     * Records a front-end error. Inside an embedded model it lands on the outer method that embeds
     * the model (the user's line that chose its inputs and hyperparameters), and says where inside.
     */
    void report(String tag, String message, ExecutableElement m, AnnotationMirror mirror) {
        if (useSite == null) {
            graph.error(new IrError(tag, message, null, new Site(m, mirror)));
        } else {
            graph.error(new IrError(tag, message + " (in " + type.getSimpleName() + "." + m.getSimpleName()
                    + ", embedded as '" + prefix.substring(0, prefix.length() - 1) + "')", null, Site.of(useSite)));
        }
    }

    /** Reports against the whole model (the type, or the use site of an embedded one). */
    void reportOnModel(String tag, String message) {
        graph.error(new IrError(tag, message, null, Site.of(useSite != null ? useSite : type)));
    }

    /** The mirror of annotation {@code a} on {@code m}, for precise error positions; null if absent. */
    static AnnotationMirror mirror(javax.lang.model.element.Element m, Class<?> a) {
        for (AnnotationMirror am : m.getAnnotationMirrors()) {
            if (((TypeElement) am.getAnnotationType().asElement()).getQualifiedName().contentEquals(a.getCanonicalName())) return am;
        }
        return null;
    }
}
