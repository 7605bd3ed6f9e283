package dev.mithril.processor.backend;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.JavaFile;
import dev.mithril.dsl.Backend;
import dev.mithril.processor.Program;
import dev.mithril.processor.backend.java.JavaRenderer;

/**
 * Turns a program (the graph after a level's passes, plus the passes' decisions) into the source of a
 * model class for one backend. A new backend is one new renderer, registered in {@link #of}.
 */
public interface Renderer {
    /** The backend this renderer writes code for. */
    Backend backend();

    /**
     * The model class {@code className} in {@code packageName}, implementing {@code modelInterface}
     * (see {@link dev.mithril.processor.ModelCompiler#modelInterface}).
     */
    JavaFile render(Program program, String packageName, String className, ClassName modelInterface);

    /** The renderer for {@code backend}. @throws IllegalArgumentException for a backend with no renderer yet */
    static Renderer of(Backend backend) {
        return switch (backend) {
            case JAVA -> new JavaRenderer();
            case ND4J, CUDA, METAL -> throw new IllegalArgumentException("backend " + backend + " has no renderer yet; available: [JAVA]");
        };
    }
}
