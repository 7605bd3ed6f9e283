package dev.mithril.processor.apt;

import com.google.auto.service.AutoService;
import dev.mithril.dsl.Model;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.MithrilException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.Processor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.TypeElement;
import javax.tools.Diagnostic;

/**
 * The annotation processor: for each {@code @Model} interface, reads it into the IR
 * ({@link ModelReader}), reports every error on the user's own element, and writes the generated
 * classes and the IR text ({@link ModelWriter}).
 *
 * <p>Steps, as in Dagger: read (annotations to {@link Graph}, with inference), validate (the graph
 * builder collects all errors of a model; every model of a round is processed before giving up),
 * write. Models that use a type not generated yet are deferred to the next round. Models with
 * {@code generate = false} are only read where another model embeds them, since their
 * hyperparameters usually get their values there; errors inside them are reported on the
 * embedding method (see {@link ModelScope#report}).
 */
@AutoService(Processor.class)
public final class MithrilProcessor extends AbstractProcessor {
    /** Qualified names of models deferred to the next round, because a type they use is not generated yet. */
    private final Set<String> deferred = new LinkedHashSet<>();
    /** Models already written, so a model seen in two rounds is written once. */
    private final Set<String> done = new LinkedHashSet<>();

    @Override public Set<String> getSupportedAnnotationTypes() { return Set.of(Model.class.getCanonicalName()); }

    @Override public SourceVersion getSupportedSourceVersion() { return SourceVersion.latestSupported(); }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        Map<String, TypeElement> models = new LinkedHashMap<>();
        for (String name : deferred) {
            TypeElement t = processingEnv.getElementUtils().getTypeElement(name);
            if (t != null) models.put(name, t);
        }
        deferred.clear();
        for (Element e : round.getElementsAnnotatedWith(Model.class)) {
            if (e instanceof TypeElement t) models.putIfAbsent(t.getQualifiedName().toString(), t);
        }
        List<IrError> errors = new ArrayList<>();
        for (TypeElement type : models.values()) {
            String name = type.getQualifiedName().toString();
            if (done.contains(name) || !type.getAnnotation(Model.class).generate()) continue;
            try {
                Graph graph;
                try {
                    graph = ModelReader.read(type);
                } catch (NotReady notReady) {
                    if (!round.processingOver()) {
                        deferred.add(name);
                        continue;
                    }
                    // Last round: the type will never come, and javac reports it itself; say which model waited for it.
                    errors.add(new IrError(IrError.UNSUPPORTED_RETURN_TYPE, "model " + type.getSimpleName() + " uses a type that could not be resolved ("
                            + notReady.getMessage() + "); it was not generated", null, Site.of(type)));
                    continue;
                }
                done.add(name);
                if (missingNd4j(type)) {
                    errors.add(new IrError("MithrilMissingBackend", "backend ND4J needs dev.mithril:mithril-nd4j on the classpath", null, Site.of(type)));
                    continue;
                }
                new ModelWriter(processingEnv.getFiler(), type, graph).write();
            } catch (MithrilException e) {
                // Model-wide errors (no output) have no node to point at: they belong to the interface.
                for (IrError err : e.errors()) {
                    errors.add(err.origin() instanceof Site || err.origin() instanceof Element ? err : new IrError(err.tag(), err.message(), err.nodeName(), Site.of(type)));
                }
            } catch (RuntimeException | java.io.IOException | LinkageError e) {
                errors.add(internalError(type, e));
            }
        }
        report(errors);
        return false;
    }

    /** Whether {@code type} asks for backend ND4J while the classes generated for it could not compile (no bridge on the class path). */
    private boolean missingNd4j(TypeElement type) {
        return java.util.Arrays.asList(type.getAnnotation(Model.class).backends()).contains(dev.mithril.dsl.Backend.ND4J)
                && processingEnv.getElementUtils().getTypeElement(dev.mithril.processor.backend.nd4j.Nd4jRenderer.BRIDGE_CLASS) == null;
    }

    /** An unexpected failure becomes a compile error naming the model, never an exception out of javac. */
    private static IrError internalError(TypeElement type, Throwable e) {
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        String[] lines = trace.toString().split("\\R");
        String where = lines.length > 1 ? " " + lines[1].strip() : "";
        return new IrError("MithrilInternalError", "Mithril failed on model " + type.getSimpleName() + ": " + e + where
                + "; this is a bug in Mithril, please report it with the model", null, Site.of(type));
    }

    /** Prints each distinct error once, on its element (and annotation, when one is to blame). */
    private void report(List<IrError> errors) {
        Set<String> seen = new LinkedHashSet<>();
        for (IrError e : errors) {
            Site site = e.origin() instanceof Element el ? Site.of(el) : (Site) e.origin();
            if (!seen.add(e.format() + "@" + site.element() + "@" + site.element().getEnclosingElement())) continue;
            if (site.annotation() != null) {
                processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, e.format(), site.element(), site.annotation());
            } else {
                processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, e.format(), site.element());
            }
        }
    }
}
