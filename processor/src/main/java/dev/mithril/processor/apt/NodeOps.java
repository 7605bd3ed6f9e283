package dev.mithril.processor.apt;

import dev.mithril.dsl.Add;
import dev.mithril.dsl.Divide;
import dev.mithril.dsl.Flatten;
import dev.mithril.dsl.Gelu;
import dev.mithril.dsl.Linear;
import dev.mithril.dsl.MatMul;
import dev.mithril.dsl.Mean;
import dev.mithril.dsl.Multiply;
import dev.mithril.dsl.Name;
import dev.mithril.dsl.Relu;
import dev.mithril.dsl.Reshape;
import dev.mithril.dsl.Sigmoid;
import dev.mithril.dsl.Softmax;
import dev.mithril.dsl.Subtract;
import dev.mithril.dsl.Sum;
import dev.mithril.dsl.Tanh;
import dev.mithril.dsl.Transpose;
import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.ShapeError;
import dev.mithril.dsl.ir.TensorType;
import java.lang.annotation.Annotation;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.ExecutableElement;

/**
 * Turns a node method's operation annotations into graph nodes. A method has one primary operation
 * ({@code @Linear}, {@code @Add}, ...), one activation ({@code @Relu}, {@code @Softmax}, ...), or both:
 * {@code @Linear(out = 1024) @Relu Tensor h1(Tensor x)} is {@code h1_linear = linear(x, h1.weight, h1.bias)}
 * followed by {@code h1 = relu(h1_linear)}, so the method's name always names its final value.
 */
final class NodeOps {
    /** Operations that compute a node from its inputs, with the number of inputs each takes. */
    static final List<Class<? extends Annotation>> PRIMARY = java.util.stream.Stream.concat(java.util.stream.Stream.of(Linear.class, MatMul.class,
            Add.class, Subtract.class, Multiply.class, Divide.class, Reshape.class, Flatten.class, Transpose.class, Sum.class, Mean.class),
            LayerOps.KINDS.stream()).<Class<? extends Annotation>>map(k -> k).toList();

    /** Operations that may also be applied to a primary operation's result. */
    static final List<Class<? extends Annotation>> ACTIVATION = List.of(Relu.class, Gelu.class, Sigmoid.class, Tanh.class, Softmax.class);

    private final ModelScope scope;
    private final ExecutableElement method;
    private final String name;
    private boolean ambiguous;

    private NodeOps(ModelScope scope, ExecutableElement method) {
        this.scope = scope;
        this.method = method;
        this.name = method.getSimpleName().toString();
    }

    /** The nodes of method {@code m} on inputs {@code args}; returns its final node, or null (reported). */
    static Node build(ModelScope scope, ExecutableElement m, List<Node> args) {
        return new NodeOps(scope, m).build(args);
    }

    private Node build(List<Node> args) {
        Class<? extends Annotation> primary = single(PRIMARY, "operation");
        Class<? extends Annotation> activation = single(ACTIVATION, "activation");
        if (ambiguous) return null;
        if (primary == null && activation == null) {
            scope.report(IrError.INVALID_MODEL, "node '" + scope.qualified(name) + "' has no operation: annotate it with one of "
                    + names(PRIMARY) + " or " + names(ACTIVATION) + ", or mark it @Input", method, null);
            return null;
        }
        Class<? extends Annotation> first = primary != null ? primary : activation;
        int arity = first == MatMul.class || first == Add.class || first == Subtract.class || first == Multiply.class
                || first == Divide.class ? 2 : 1;
        if (first == dev.mithril.dsl.Concat.class) arity = Math.max(1, args.size()); // any number of inputs, in parameter order
        if (args.size() != arity) {
            scope.report(IrError.INVALID_MODEL, "@" + first.getSimpleName() + " '" + scope.qualified(name) + "' takes " + arity
                    + " input" + (arity == 1 ? "" : "s") + " (one parameter each, named after the node it reads), got "
                    + args.size(), method, ModelScope.mirror(method, first));
            return null;
        }
        if (args.stream().anyMatch(a -> a.type() == null)) return null; // the graph reported why
        if (primary == null) return apply(activation, name, args.get(0));
        Node value = primary(primary, activation == null ? name : null, args);
        if (value == null || activation == null || value.type() == null) return value;
        return apply(activation, name, value);
    }

    /** The one annotation of {@code kinds} on the method, or null if none; several are reported and set {@link #ambiguous}. */
    private Class<? extends Annotation> single(List<Class<? extends Annotation>> kinds, String what) {
        List<Class<? extends Annotation>> found = kinds.stream().filter(k -> method.getAnnotation(k) != null).toList();
        if (found.size() <= 1) return found.isEmpty() ? null : found.get(0);
        scope.report(IrError.INVALID_MODEL, "node '" + scope.qualified(name) + "' has more than one " + what + ": "
                + names(found) + "; split it into one method per " + what, method, ModelScope.mirror(method, found.get(1)));
        ambiguous = true;
        return null;
    }

    /** The primary operation's node, named {@code nodeName}, or {@code <name>_<kind>} when an activation follows. */
    private Node primary(Class<? extends Annotation> kind, String nodeName, List<Node> args) {
        if (kind == Linear.class) return linear(nodeName, args.get(0));
        if (LayerOps.KINDS.contains(kind)) return new LayerOps(scope, method).build(kind, nodeName, args);
        Node x = args.get(0);
        Op op;
        if (kind == MatMul.class) op = new dev.mithril.dsl.ops.MatMul();
        else if (kind == Add.class) op = new dev.mithril.dsl.ops.Add();
        else if (kind == Subtract.class) op = new dev.mithril.dsl.ops.Subtract();
        else if (kind == Multiply.class) op = new dev.mithril.dsl.ops.Multiply();
        else if (kind == Divide.class) op = new dev.mithril.dsl.ops.Divide();
        else if (kind == Flatten.class) {
            Flatten f = method.getAnnotation(Flatten.class);
            op = new dev.mithril.dsl.ops.Flatten(f.start(), f.end());
        } else if (kind == Sum.class) {
            Sum s = method.getAnnotation(Sum.class);
            op = new dev.mithril.dsl.ops.Sum(ints(s.axes()), s.keepDims());
        } else if (kind == Mean.class) {
            Mean s = method.getAnnotation(Mean.class);
            op = new dev.mithril.dsl.ops.Mean(ints(s.axes()), s.keepDims());
        } else if (kind == Reshape.class) {
            op = reshape(method.getAnnotation(Reshape.class));
        } else if (kind == Transpose.class) {
            op = transpose(method.getAnnotation(Transpose.class), x);
        } else {
            throw new IllegalStateException("no rule for @" + kind.getSimpleName());
        }
        if (op == null) return null;
        return scope.add(nodeName != null ? nodeName : name + "_" + op.kind(), op, args, method);
    }

    private Node apply(Class<? extends Annotation> kind, String nodeName, Node x) {
        Op op;
        if (kind == Relu.class) op = new dev.mithril.dsl.ops.Relu();
        else if (kind == Gelu.class) op = new dev.mithril.dsl.ops.Gelu();
        else if (kind == Sigmoid.class) op = new dev.mithril.dsl.ops.Sigmoid();
        else if (kind == Tanh.class) op = new dev.mithril.dsl.ops.Tanh();
        else if (kind == Softmax.class) op = new dev.mithril.dsl.ops.Softmax(method.getAnnotation(Softmax.class).axis());
        else throw new IllegalStateException("no rule for @" + kind.getSimpleName());
        return scope.add(nodeName, op, List.of(x), method);
    }

    /** {@code linear(x, <p>.weight, <p>.bias)} with {@code <p>} the {@code @Name} or the node's name. */
    private Node linear(String nodeName, Node x) {
        Linear a = method.getAnnotation(Linear.class);
        AnnotationMirror mirror = ModelScope.mirror(method, Linear.class);
        String node = scope.qualified(name);
        if (!a.tiedTo().isBlank()) return tiedLinear(nodeName, x, a, mirror);
        Long out = outFeatures(a, mirror);
        if (out == null) return null;
        TensorType t = x.type();
        if (t.rank() < 1 || !t.dim(-1).isFixed()) {
            scope.report(IrError.SHAPE_MISMATCH, "linear '" + node + "' needs a fixed number of input features in the last dimension; '"
                    + x.name() + "' is " + t, method, null);
            return null;
        }
        long in = t.dim(-1).value();
        if (a.in() != -1 && a.in() != in) {
            scope.report(IrError.SHAPE_MISMATCH, "linear '" + node + "' expects " + a.in() + " input features (@Linear(in = "
                    + a.in() + ")); '" + x.name() + "' gives " + in + " (" + t + ")", method, null);
            return null;
        }
        Name named = method.getAnnotation(Name.class);
        String base = named != null ? named.value() : name;
        if (base.isBlank()) {
            scope.report(IrError.INVALID_ATTRIBUTE, "@Name of '" + node + "' is empty", method, ModelScope.mirror(method, Name.class));
            return null;
        }
        List<Node> inputs = new ArrayList<>();
        inputs.add(x);
        // Parameters take a float64 input's element type, so that a float64 model is float64 end to end.
        DType dt = t.dtype() == DType.F64 ? DType.F64 : DType.F32;
        inputs.add(scope.parameter(base + ".weight", new TensorType(dt, TensorType.f32(out, in).dims()), in, method));
        if (a.bias()) inputs.add(scope.parameter(base + ".bias", new TensorType(dt, TensorType.f32(out).dims()), in, method));
        if (inputs.contains(null)) return null;
        return scope.add(nodeName != null ? nodeName : name + "_linear", new dev.mithril.dsl.ops.Linear(), inputs, method);
    }

    /**
     * {@code linear(x, <tiedTo>[, <p>.bias])}: the weight is a parameter declared earlier (its name inside this
     * model, or as the graph names it), shared rather than created. Its shape fixes {@code out}.
     */
    private Node tiedLinear(String nodeName, Node x, Linear a, AnnotationMirror mirror) {
        String node = scope.qualified(name);
        Node w = scope.graph.get(scope.qualified(a.tiedTo()));
        if (w == null) w = scope.graph.get(a.tiedTo());
        if (w == null || !(w.op() instanceof dev.mithril.dsl.ops.Parameter)) {
            scope.report(IrError.INVALID_ATTRIBUTE, "linear '" + node + "' is tied to '" + a.tiedTo() + "', which is "
                    + (w == null ? "no parameter declared before it (is the layer that owns it an input of this node, directly or not?)"
                    : "a " + w.op().kind() + ", not a parameter"), method, mirror);
            return null;
        }
        if (w.type().rank() != 2) {
            scope.report(IrError.SHAPE_MISMATCH, "linear '" + node + "' is tied to '" + w.name() + "' " + w.type()
                    + "; a linear weight is [out, in]", method, mirror);
            return null;
        }
        long out = w.type().dim(0).value();
        if (a.out() != -1 || !a.outExpr().isBlank()) {
            Long given = outFeatures(a, mirror);
            if (given == null) return null;
            if (given != out) {
                scope.report(IrError.SHAPE_MISMATCH, "linear '" + node + "' declares out = " + given + " but its tied weight '" + w.name() + "' "
                        + w.type() + " gives " + out, method, mirror);
                return null;
            }
        }
        List<Node> inputs = new ArrayList<>(List.of(x, w));
        if (a.bias()) {
            Name named = method.getAnnotation(Name.class);
            String base = named != null ? named.value() : name;
            Node b = scope.parameter(base + ".bias", w.type().withDims(List.of(w.type().dim(0))), w.type().dim(1).value(), method);
            if (b == null) return null;
            inputs.add(b);
        }
        return scope.add(nodeName != null ? nodeName : name + "_linear", new dev.mithril.dsl.ops.Linear(), inputs, method);
    }

    private Long outFeatures(Linear a, AnnotationMirror mirror) {
        String node = scope.qualified(name);
        boolean hasOut = a.out() != -1, hasExpr = !a.outExpr().isBlank();
        if (hasOut == hasExpr) {
            scope.report(IrError.INVALID_ATTRIBUTE, "linear '" + node + "' needs exactly one of out (a number) and outExpr (an expression), "
                    + (hasOut ? "got both" : "got neither"), method, mirror);
            return null;
        }
        long out;
        if (hasOut) {
            out = a.out();
        } else {
            try {
                out = HyperExpression.evaluate(a.outExpr(), scope.hypers);
            } catch (IllegalArgumentException | ArithmeticException e) {
                scope.report(IrError.INVALID_ATTRIBUTE, "linear '" + node + "' outExpr: " + e.getMessage(), method, mirror);
                return null;
            }
        }
        if (out <= 0) {
            scope.report(IrError.INVALID_ATTRIBUTE, "linear '" + node + "' has out = " + out
                    + (hasExpr ? " (from \"" + a.outExpr() + "\")" : "") + "; output features must be positive", method, mirror);
            return null;
        }
        return out;
    }

    private Op reshape(Reshape r) {
        List<String> dims = new ArrayList<>();
        for (String s : r.value()) {
            if (s.strip().equals("-1")) {
                dims.add("-1");
                continue;
            }
            Dim d = scope.dimension(s, "reshape '" + scope.qualified(name) + "'", method, ModelScope.mirror(method, Reshape.class));
            if (d == null) return null;
            dims.add(d.toString());
        }
        return new dev.mithril.dsl.ops.Reshape(dims);
    }

    private Op transpose(Transpose t, Node x) {
        if (t.value().length > 0) return new dev.mithril.dsl.ops.Transpose(ints(t.value()));
        try {
            return dev.mithril.dsl.ops.Transpose.swap(x.type().rank(), t.dim0(), t.dim1());
        } catch (ShapeError e) {
            scope.report(IrError.INVALID_ATTRIBUTE, "transpose '" + scope.qualified(name) + "' " + e.getMessage() + " ('" + x.name()
                    + "' is " + x.type() + ")", method, ModelScope.mirror(method, Transpose.class));
            return null;
        }
    }

    private static List<Integer> ints(int[] xs) { return Arrays.stream(xs).boxed().toList(); }

    private static String names(List<Class<? extends Annotation>> kinds) {
        return kinds.stream().map(k -> "@" + k.getSimpleName()).collect(java.util.stream.Collectors.joining(", "));
    }
}
