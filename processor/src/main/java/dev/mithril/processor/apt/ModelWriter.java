package dev.mithril.processor.apt;

import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.Model;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.MithrilException;
import dev.mithril.processor.ModelCompiler;
import dev.mithril.processor.backend.Renderer;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.annotation.processing.Filer;
import javax.lang.model.element.TypeElement;
import javax.tools.FileObject;
import javax.tools.StandardLocation;

/**
 * Writes what one model generates: the interface {@code <Model>Model}, one class per requested backend
 * and level ({@code MlpJavaNone}, ...), and the IR text as the resource
 * {@code META-INF/mithril/<qualified.Name>.ir} (tests compare front ends through it, e.g. a Kotlin
 * model with its Java twin).
 */
final class ModelWriter {
    private final Filer filer;
    private final TypeElement type;
    private final Graph graph;

    ModelWriter(Filer filer, TypeElement type, Graph graph) {
        this.filer = filer;
        this.type = type;
        this.graph = graph;
    }

    /** Writes everything, or nothing but the IR when a requested backend has no renderer (reported). */
    void write() throws IOException {
        writeIr();
        Model model = type.getAnnotation(Model.class);
        Set<Backend> backends = new LinkedHashSet<>(List.of(model.backends()));
        Set<Level> levels = new LinkedHashSet<>(List.of(model.levels()));
        List<IrError> errors = new ArrayList<>();
        for (Backend b : backends) {
            try {
                Renderer.of(b);
            } catch (IllegalArgumentException e) {
                errors.add(new IrError(IrError.INVALID_ATTRIBUTE, "model " + type.getSimpleName() + ": " + e.getMessage(), null,
                        new Site(type, ModelScope.mirror(type, Model.class))));
            }
        }
        if (!errors.isEmpty()) throw new MithrilException(errors);
        String pkg = packageOf(type);
        ModelCompiler.modelInterface(graph, pkg).writeTo(filer);
        for (Backend b : backends) {
            for (Level l : levels) ModelCompiler.compile(graph, pkg, b, l).writeTo(filer);
        }
    }

    private void writeIr() throws IOException {
        FileObject ir = filer.createResource(StandardLocation.CLASS_OUTPUT, "",
                "META-INF/mithril/" + type.getQualifiedName() + ".ir", type);
        try (Writer w = ir.openWriter()) {
            w.write(graph.toText());
        }
    }

    private static String packageOf(TypeElement type) {
        javax.lang.model.element.Element e = type;
        while (!(e instanceof javax.lang.model.element.PackageElement)) e = e.getEnclosingElement();
        return ((javax.lang.model.element.PackageElement) e).getQualifiedName().toString();
    }
}
