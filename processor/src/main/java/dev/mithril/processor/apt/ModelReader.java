package dev.mithril.processor.apt;

import dev.mithril.dsl.Hyper;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.MithrilException;
import dev.mithril.dsl.ir.Node;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;

/**
 * Reads one top-level {@code @Model} interface into a {@link Graph}: inputs first, in declaration
 * order, then every node (embedded models expanded in place), then the {@code @Output}s in declaration
 * order. The graph is named after the interface's simple name, so that a Kotlin interface and a Java
 * one declaring the same model give the same IR text.
 */
final class ModelReader {
    private ModelReader() {}

    /**
     * The model's graph. Throws {@link MithrilException} with every error found (origins are
     * {@link Site}s for front-end errors, method elements for the graph's own), or {@link NotReady}
     * when the model uses a type that is not generated yet.
     */
    static Graph read(TypeElement type) {
        Graph.Builder graph = Graph.builder(type.getSimpleName().toString());
        if (type.getKind() != ElementKind.INTERFACE) {
            graph.error(new IrError(IrError.INVALID_MODEL, "@Model " + type.getSimpleName() + " is a "
                    + type.getKind().toString().toLowerCase().replace('_', ' ') + "; a model is an interface whose abstract methods are its nodes",
                    null, Site.of(type)));
            return build(graph, true); // "no output" would only repeat that it is not an interface
        }
        Map<String, Long> hypers = new LinkedHashMap<>();
        for (ExecutableElement m : ModelScope.abstractMethods(type)) {
            Hyper h = m.getAnnotation(Hyper.class);
            if (h == null) continue;
            if (h.value() == -1) {
                graph.error(new IrError(IrError.INVALID_MODEL, "hyperparameter '" + m.getSimpleName() + "' of " + type.getSimpleName()
                        + " has no value: give it a default, @Hyper(n), or set generate = false and embed " + type.getSimpleName()
                        + " with @With", null, new Site(m, ModelScope.mirror(m, Hyper.class))));
            }
            hypers.put(m.getSimpleName().toString(), (long) h.value());
        }
        ModelScope scope = new ModelScope(type, "", hypers, null, null, List.of(), graph);
        scope.declareInputs();
        scope.resolveAll();
        for (ExecutableElement m : scope.outputMethods()) {
            String name = m.getSimpleName().toString();
            if (ModelScope.kind(m) == ModelScope.Kind.HYPER) {
                scope.report(IrError.INVALID_MODEL, "hyperparameter '" + name + "' cannot be an @Output", m, null);
                continue;
            }
            Node n = scope.resolve(name, m);
            if (n != null) graph.output(name, n);
        }
        return build(graph, !scope.outputMethods().isEmpty());
    }

    /**
     * Builds the graph. When the model declares outputs that failed, the graph's "no output" error
     * only repeats the real one, so it is dropped.
     */
    private static Graph build(Graph.Builder graph, boolean declaresOutputs) {
        try {
            return graph.build();
        } catch (MithrilException e) {
            if (!declaresOutputs) throw e;
            throw new MithrilException(e.errors().stream().filter(err -> !err.tag().equals(IrError.MISSING_OUTPUT)).toList());
        }
    }
}
