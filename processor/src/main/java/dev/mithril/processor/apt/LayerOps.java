package dev.mithril.processor.apt;

import dev.mithril.dsl.AdaptiveAvgPool2d;
import dev.mithril.dsl.Argmax;
import dev.mithril.dsl.AvgPool2d;
import dev.mithril.dsl.BatchNorm;
import dev.mithril.dsl.CausalAttention;
import dev.mithril.dsl.Concat;
import dev.mithril.dsl.Conv2d;
import dev.mithril.dsl.Embedding;
import dev.mithril.dsl.LayerNorm;
import dev.mithril.dsl.MaxPool2d;
import dev.mithril.dsl.Name;
import dev.mithril.dsl.Positions;
import dev.mithril.dsl.Slice;
import dev.mithril.dsl.Split;
import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.runtime.DType;
import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.ExecutableElement;

/**
 * The layer annotations of {@link NodeOps}: convolution, pooling, normalizations, embedding, attention,
 * concatenation, slicing and argmax. Layers with parameters name them {@code <p>.weight}, {@code <p>.bias}, ...
 * after the {@code @Name} or the node's name, in PyTorch's order.
 */
final class LayerOps {
    /** The annotations handled here, all primary operations. */
    static final List<Class<? extends Annotation>> KINDS = List.of(Conv2d.class, MaxPool2d.class, AvgPool2d.class,
            AdaptiveAvgPool2d.class, BatchNorm.class, LayerNorm.class, Embedding.class, Concat.class, Slice.class, Split.class,
            CausalAttention.class, Argmax.class, Positions.class);

    private final ModelScope scope;
    private final ExecutableElement method;
    private final String name;

    LayerOps(ModelScope scope, ExecutableElement method) {
        this.scope = scope;
        this.method = method;
        this.name = method.getSimpleName().toString();
    }

    /** The node of layer annotation {@code kind} named {@code nodeName} over {@code args}, or null (reported). */
    Node build(Class<? extends Annotation> kind, String nodeName, List<Node> args) {
        Node x = args.get(0);
        String node = nodeName != null ? nodeName : name + "_" + kindName(kind);
        AnnotationMirror mirror = ModelScope.mirror(method, kind);
        if (kind == Conv2d.class) return conv(node, x, method.getAnnotation(Conv2d.class), mirror);
        if (kind == BatchNorm.class) return batchNorm(node, x, method.getAnnotation(BatchNorm.class));
        if (kind == LayerNorm.class) return layerNorm(node, x, method.getAnnotation(LayerNorm.class));
        if (kind == Embedding.class) return embedding(node, x, method.getAnnotation(Embedding.class), mirror);
        Op op;
        if (kind == MaxPool2d.class) {
            MaxPool2d p = method.getAnnotation(MaxPool2d.class);
            int s = p.stride() == -1 ? p.kernel() : p.stride();
            op = new dev.mithril.dsl.ops.MaxPool2d(p.kernel(), p.kernel(), s, s, p.padding(), p.padding(), p.dilation(), p.dilation());
        } else if (kind == AvgPool2d.class) {
            AvgPool2d p = method.getAnnotation(AvgPool2d.class);
            op = new dev.mithril.dsl.ops.AvgPool2d(p.kernel(), p.stride() == -1 ? p.kernel() : p.stride(), p.padding());
        } else if (kind == AdaptiveAvgPool2d.class) {
            int[] size = method.getAnnotation(AdaptiveAvgPool2d.class).value();
            if (size.length != 1 && size.length != 2) {
                scope.report(IrError.INVALID_ATTRIBUTE, "adaptive average pooling '" + scope.qualified(name) + "' needs an output size {s} or {h, w}, got "
                        + size.length + " values", method, mirror);
                return null;
            }
            op = new dev.mithril.dsl.ops.AdaptiveAvgPool2d(size[0], size[size.length - 1]);
        } else if (kind == Concat.class) {
            op = new dev.mithril.dsl.ops.Concat(method.getAnnotation(Concat.class).axis());
        } else if (kind == Slice.class) {
            Slice s = method.getAnnotation(Slice.class);
            op = new dev.mithril.dsl.ops.Slice(s.axis(), s.start(), s.end(), s.step());
        } else if (kind == Split.class) {
            op = split(x, method.getAnnotation(Split.class), mirror);
        } else if (kind == CausalAttention.class) {
            CausalAttention a = method.getAnnotation(CausalAttention.class);
            Long heads = count("causal attention", "heads", a.heads(), a.headsExpr(), mirror);
            op = heads == null ? null : new dev.mithril.dsl.ops.CausalAttention(Math.toIntExact(heads));
        } else if (kind == Argmax.class) {
            Argmax a = method.getAnnotation(Argmax.class);
            op = new dev.mithril.dsl.ops.Argmax(a.axis(), a.keepDims());
        } else if (kind == Positions.class) {
            op = new dev.mithril.dsl.ops.Positions(method.getAnnotation(Positions.class).axis());
        } else {
            throw new IllegalStateException("no rule for @" + kind.getSimpleName());
        }
        if (op == null) return null;
        return scope.add(node, op, args, method);
    }

    private Node conv(String node, Node x, Conv2d a, AnnotationMirror mirror) {
        Long out = count("conv2d", "out", a.out(), a.outExpr(), mirror);
        if (out == null) return null;
        TensorType t = x.type();
        if (t.rank() != 4 || !t.dim(1).isFixed()) {
            scope.report(IrError.SHAPE_MISMATCH, "conv2d '" + scope.qualified(name) + "' needs an input [N, C, H, W] with a fixed channel count; '"
                    + x.name() + "' is " + t, method, null);
            return null;
        }
        long c = t.dim(1).value();
        if (a.groups() < 1 || c % a.groups() != 0 || out % a.groups() != 0) {
            scope.report(IrError.SHAPE_MISMATCH, "conv2d '" + scope.qualified(name) + "' with groups = " + a.groups() + " needs input channels ("
                    + c + ", from '" + x.name() + "' " + t + ") and out (" + out + ") divisible by it", method, mirror);
            return null;
        }
        String base = base();
        if (base == null) return null;
        long fanIn = c / a.groups() * a.kernel() * a.kernel();
        List<Node> inputs = new ArrayList<>();
        inputs.add(x);
        inputs.add(scope.parameter(base + ".weight", TensorType.f32(out, c / a.groups(), a.kernel(), a.kernel()), fanIn, method));
        if (a.bias()) inputs.add(scope.parameter(base + ".bias", TensorType.f32(out), fanIn, method));
        if (inputs.contains(null)) return null;
        int stride = a.stride();
        if (!a.strideExpr().isBlank()) {
            Long s = count("conv2d", "stride", -1, a.strideExpr(), mirror);
            if (s == null) return null;
            stride = Math.toIntExact(s);
        }
        return scope.add(node, new dev.mithril.dsl.ops.Conv2d(stride, stride, a.padding(), a.padding(), a.dilation(), a.dilation(),
                a.groups()), inputs, method);
    }

    private Node batchNorm(String node, Node x, BatchNorm a) {
        TensorType t = x.type();
        if (t.rank() < 2 || !t.dim(1).isFixed()) {
            scope.report(IrError.SHAPE_MISMATCH, "batch norm '" + scope.qualified(name) + "' needs an input [N, C, ...] with a fixed channel count; '"
                    + x.name() + "' is " + t, method, null);
            return null;
        }
        String base = base();
        if (base == null) return null;
        TensorType c = TensorType.f32(t.dim(1).value());
        List<Node> inputs = new ArrayList<>(List.of(x));
        inputs.add(scope.parameter(base + ".weight", c, Parameter.Init.ONES, method));
        inputs.add(scope.parameter(base + ".bias", c, Parameter.Init.ZEROS, method));
        inputs.add(scope.parameter(base + ".running_mean", c, Parameter.Init.ZEROS, method));
        inputs.add(scope.parameter(base + ".running_var", c, Parameter.Init.ONES, method));
        inputs.add(scope.parameter(base + ".num_batches_tracked", new TensorType(DType.I64, List.of()), Parameter.Init.ZEROS, method));
        if (inputs.contains(null)) return null;
        return scope.add(node, new dev.mithril.dsl.ops.BatchNorm(a.eps(), a.momentum()), inputs, method);
    }

    private Node layerNorm(String node, Node x, LayerNorm a) {
        TensorType t = x.type();
        if (t.rank() < 1 || !t.dim(-1).isFixed()) {
            scope.report(IrError.SHAPE_MISMATCH, "layer norm '" + scope.qualified(name) + "' needs a fixed last dimension; '" + x.name() + "' is " + t,
                    method, null);
            return null;
        }
        String base = base();
        if (base == null) return null;
        TensorType d = TensorType.f32(t.dim(-1).value());
        Node w = scope.parameter(base + ".weight", d, Parameter.Init.ONES, method);
        Node b = scope.parameter(base + ".bias", d, Parameter.Init.ZEROS, method);
        if (w == null || b == null) return null;
        return scope.add(node, new dev.mithril.dsl.ops.LayerNorm(a.eps()), List.of(x, w, b), method);
    }

    private Node embedding(String node, Node ids, Embedding a, AnnotationMirror mirror) {
        Long vocab = count("embedding", "vocab", a.vocab(), a.vocabExpr(), mirror);
        Long dim = count("embedding", "dim", a.dim(), a.dimExpr(), mirror);
        if (vocab == null || dim == null) return null;
        String base = base();
        if (base == null) return null;
        Node table = scope.parameter(base + ".weight", TensorType.f32(vocab, dim), Parameter.Init.NORMAL, method);
        if (table == null) return null;
        return scope.add(node, new dev.mithril.dsl.ops.Embedding(), List.of(ids, table), method);
    }

    private Op split(Node x, Split s, AnnotationMirror mirror) {
        TensorType t = x.type();
        String where = "split '" + scope.qualified(name) + "'";
        if (s.axis() < -t.rank() || s.axis() >= t.rank()) {
            scope.report(IrError.INVALID_ATTRIBUTE, where + ": axis " + s.axis() + " is out of range for '" + x.name() + "' " + t, method, mirror);
            return null;
        }
        var d = t.dim(s.axis());
        if (s.parts() < 1 || !d.isFixed() || d.value() % s.parts() != 0) {
            scope.report(IrError.SHAPE_MISMATCH, where + " into " + s.parts() + " parts needs axis " + s.axis() + " of '" + x.name() + "' " + t
                    + " to have a fixed size divisible by " + s.parts(), method, mirror);
            return null;
        }
        if (s.index() < 0 || s.index() >= s.parts()) {
            scope.report(IrError.INVALID_ATTRIBUTE, where + ": index " + s.index() + " is not one of the " + s.parts() + " parts (0.."
                    + (s.parts() - 1) + ")", method, mirror);
            return null;
        }
        long len = d.value() / s.parts();
        return new dev.mithril.dsl.ops.Slice(s.axis(), s.index() * len, (s.index() + 1) * len, 1);
    }

    /** A positive count given as a number or a hyperparameter expression (exactly one of them), or null (reported). */
    private Long count(String op, String attribute, int value, String expr, AnnotationMirror mirror) {
        String node = scope.qualified(name);
        boolean hasValue = value != -1, hasExpr = !expr.isBlank();
        if (hasValue == hasExpr) {
            scope.report(IrError.INVALID_ATTRIBUTE, op + " '" + node + "' needs exactly one of " + attribute + " (a number) and " + attribute
                    + "Expr (an expression), " + (hasValue ? "got both" : "got neither"), method, mirror);
            return null;
        }
        long v;
        if (hasValue) {
            v = value;
        } else {
            try {
                v = HyperExpression.evaluate(expr, scope.hypers);
            } catch (IllegalArgumentException | ArithmeticException e) {
                scope.report(IrError.INVALID_ATTRIBUTE, op + " '" + node + "' " + attribute + "Expr: " + e.getMessage(), method, mirror);
                return null;
            }
        }
        if (v <= 0) {
            scope.report(IrError.INVALID_ATTRIBUTE, op + " '" + node + "' has " + attribute + " = " + v + (hasExpr ? " (from \"" + expr + "\")" : "")
                    + "; it must be positive", method, mirror);
            return null;
        }
        return v;
    }

    /** The parameter-name base: the {@code @Name} or the method's name; null (reported) when the {@code @Name} is empty. */
    private String base() {
        Name named = method.getAnnotation(Name.class);
        String base = named != null ? named.value() : name;
        if (base.isBlank()) {
            scope.report(IrError.INVALID_ATTRIBUTE, "@Name of '" + scope.qualified(name) + "' is empty", method, ModelScope.mirror(method, Name.class));
            return null;
        }
        return base;
    }

    private static String kindName(Class<? extends Annotation> kind) {
        return kind.getSimpleName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase();
    }
}
