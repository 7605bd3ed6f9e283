package dev.mithril.processor.apt;

import dev.mithril.dsl.Hyper;
import dev.mithril.dsl.Input;
import dev.mithril.dsl.Repeat;
import dev.mithril.dsl.With;
import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.TensorType;
import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;

/**
 * A method whose return type is another {@code @Model} interface: the embedded model's nodes join the
 * graph under the method's name ({@code block.fc1}, {@code block.fc1.weight}), its inputs bound to the
 * method's parameters in declaration order and its single output becoming the method's value. With
 * {@code @Repeat(n)} the copies are chained and named {@code <method>.<i>.} like {@code nn.ModuleList}. A {@code @Name}
 * replaces the method's name in these paths ({@code @Name("layer2.0")}).
 */
final class Embedding {
    private final ModelScope outer;
    private final ExecutableElement method;
    private final List<Node> args;
    private final TypeElement model;
    private final String name;

    Embedding(ModelScope outer, ExecutableElement method, List<Node> args) {
        this.outer = outer;
        this.method = method;
        this.args = args;
        this.model = ModelScope.modelType(method.getReturnType());
        // @Name gives the copy a PyTorch path of its own ("layer2.0"), which a method name cannot spell.
        dev.mithril.dsl.Name named = method.getAnnotation(dev.mithril.dsl.Name.class);
        this.name = named != null ? named.value() : method.getSimpleName().toString();
    }

    /** The embedded model's output node (the last copy's, when repeated), or null (reported). */
    Node build() {
        String node = outer.qualified(name);
        String sub = model.getSimpleName().toString();
        for (Class<? extends Annotation> op : Stream.concat(NodeOps.PRIMARY.stream(), NodeOps.ACTIVATION.stream()).toList()) {
            if (method.getAnnotation(op) != null) {
                outer.report(IrError.INVALID_MODEL, "'" + node + "' embeds " + sub + " and so cannot also have @" + op.getSimpleName()
                        + "; apply it in a node of its own that reads '" + method.getSimpleName() + "'", method, ModelScope.mirror(method, op));
                return null;
            }
        }
        if (model.equals(outer.type) || outer.embedding().contains(model)) {
            String path = Stream.concat(outer.embedding().stream(), Stream.of(outer.type, model))
                    .map(t -> t.getSimpleName().toString()).collect(Collectors.joining(" -> "));
            outer.report(IrError.CYCLE, "'" + node + "' embeds " + sub + ", which contains itself: " + path, method, null);
            return null;
        }
        Repeat repeat = method.getAnnotation(Repeat.class);
        if (repeat != null && repeat.value() < 1) {
            outer.report(IrError.INVALID_ATTRIBUTE, "'" + node + "' repeats " + sub + " " + repeat.value()
                    + " times; @Repeat needs 1 or more", method, ModelScope.mirror(method, Repeat.class));
            return null;
        }
        List<ExecutableElement> methods = ModelScope.abstractMethods(model);
        List<ExecutableElement> inputs = methods.stream().filter(m -> m.getAnnotation(Input.class) != null).toList();
        List<ExecutableElement> outputs = methods.stream().filter(m -> m.getAnnotation(dev.mithril.dsl.Output.class) != null).toList();
        String inputNames = inputs.stream().map(m -> m.getSimpleName().toString()).collect(Collectors.joining(", "));
        if (repeat != null && (inputs.size() != 1 || outputs.size() != 1)) {
            outer.report(IrError.INVALID_MODEL, "'" + node + "' repeats " + sub + ", which needs one input and one output to chain its copies; it has "
                    + inputs.size() + " input(s) and " + outputs.size() + " output(s)", method, ModelScope.mirror(method, Repeat.class));
            return null;
        }
        if (args.size() != inputs.size()) {
            outer.report(IrError.INVALID_MODEL, "'" + node + "' passes " + args.size() + " tensor(s) to " + sub + ", which has "
                    + inputs.size() + " input(s) (" + inputNames + "); parameters bind its inputs in declaration order", method, null);
            return null;
        }
        if (outputs.size() != 1) {
            outer.report(outputs.isEmpty() ? IrError.MISSING_OUTPUT : IrError.INVALID_MODEL, "'" + node + "' embeds " + sub + ", which has "
                    + outputs.size() + " outputs; an embedded model has exactly one @Output, its value", method, null);
            return null;
        }
        Map<String, Long> hypers = hyperValues(methods);
        if (hypers == null) return null;
        ExecutableElement useSite = outer.useSite() != null ? outer.useSite() : method;
        List<TypeElement> embedding = new ArrayList<>(outer.embedding());
        embedding.add(outer.type);
        List<Node> values = args;
        for (int i = 0; i < (repeat == null ? 1 : repeat.value()); i++) {
            String prefix = outer.qualified(name) + "." + (repeat == null ? "" : i + ".");
            Map<String, Node> bound = new LinkedHashMap<>();
            for (int k = 0; k < inputs.size(); k++) {
                if (!fits(inputs.get(k), values.get(k), hypers, node)) return null;
                bound.put(inputs.get(k).getSimpleName().toString(), values.get(k));
            }
            ModelScope scope = new ModelScope(model, prefix, hypers, bound, useSite, embedding, outer.graph);
            scope.resolveAll();
            Node out = scope.resolve(outputs.get(0).getSimpleName().toString(), outputs.get(0));
            if (out == null || out.type() == null) return null;
            values = List.of(out);
        }
        return values.get(0);
    }

    /** The embedded model's hyperparameters: {@code @With} values (over the outer model's), else defaults. */
    private Map<String, Long> hyperValues(List<ExecutableElement> methods) {
        String node = outer.qualified(name);
        String sub = model.getSimpleName().toString();
        Map<String, ExecutableElement> declared = new LinkedHashMap<>();
        for (ExecutableElement m : methods) if (m.getAnnotation(Hyper.class) != null) declared.put(m.getSimpleName().toString(), m);
        With with = method.getAnnotation(With.class);
        AnnotationMirror withMirror = ModelScope.mirror(method, With.class);
        Map<String, Long> given = new LinkedHashMap<>();
        boolean ok = true;
        for (String entry : with == null ? new String[0] : with.value()) {
            int eq = entry.indexOf('=');
            String key = eq < 0 ? "" : entry.substring(0, eq).strip();
            if (eq < 0 || key.isEmpty()) {
                outer.report(IrError.INVALID_ATTRIBUTE, "@With entry \"" + entry + "\" of '" + node + "' is not of the form name=value", method, withMirror);
                ok = false;
            } else if (!declared.containsKey(key)) {
                outer.report(IrError.INVALID_ATTRIBUTE, "@With of '" + node + "' sets '" + key + "', but " + sub + " declares no such @Hyper"
                        + (declared.isEmpty() ? "" : " (it has: " + String.join(", ", declared.keySet()) + ")"), method, withMirror);
                ok = false;
            } else if (given.containsKey(key)) {
                outer.report(IrError.INVALID_ATTRIBUTE, "@With of '" + node + "' sets '" + key + "' twice", method, withMirror);
                ok = false;
            } else {
                try {
                    given.put(key, HyperExpression.evaluate(entry.substring(eq + 1), outer.hypers));
                } catch (IllegalArgumentException | ArithmeticException e) {
                    outer.report(IrError.INVALID_ATTRIBUTE, "@With of '" + node + "', " + key + ": " + e.getMessage(), method, withMirror);
                    ok = false;
                }
            }
        }
        Map<String, Long> values = new LinkedHashMap<>();
        for (var e : declared.entrySet()) {
            Long v = given.get(e.getKey());
            if (v == null && e.getValue().getAnnotation(Hyper.class).value() != -1) v = (long) e.getValue().getAnnotation(Hyper.class).value();
            if (v == null) {
                outer.report(IrError.INVALID_MODEL, "'" + node + "' gives " + sub + "'s hyperparameter '" + e.getKey()
                        + "' no value: add @With({\"" + e.getKey() + "=...\"}) here or a default @Hyper(n) in " + sub, method, withMirror);
                ok = false;
            }
            values.put(e.getKey(), v);
        }
        return ok ? values : null;
    }

    /** Whether {@code value} fits input {@code in} of the embedded model: dtype, rank and every fixed size. */
    private boolean fits(ExecutableElement in, Node value, Map<String, Long> hypers, String node) {
        Input decl = in.getAnnotation(Input.class);
        List<Dim> dims = new ArrayList<>();
        for (String s : decl.shape()) {
            try {
                dims.add(HyperExpression.dimension(s, hypers));
            } catch (IllegalArgumentException | ArithmeticException e) {
                outer.report(IrError.INVALID_ATTRIBUTE, model.getSimpleName() + "." + in.getSimpleName() + " shape entry \"" + s
                        + "\" is not a dimension: " + e.getMessage(), method, null);
                return false;
            }
        }
        TensorType t = value.type();
        String what = "'" + node + "' binds '" + value.name() + "' " + t + " to " + model.getSimpleName() + "'s input '"
                + in.getSimpleName() + "' " + decl.dtype() + TensorType.f32().withDims(dims).shapeString();
        if (!t.dtype().displayName().equals(decl.dtype())) {
            outer.report(IrError.DTYPE_MISMATCH, what + ": element types differ", method, null);
            return false;
        }
        boolean same = t.rank() == dims.size();
        for (int i = 0; same && i < dims.size(); i++) same = !dims.get(i).isFixed() || dims.get(i).equals(t.dims().get(i));
        if (!same) outer.report(IrError.SHAPE_MISMATCH, what + ": shapes differ", method, null);
        return same;
    }
}
