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

    /**
     * The model class with its training half as well: {@code training} is the same model compiled by
     * {@link dev.mithril.processor.Pipeline#runTraining} (forward and backward in one graph), from which the
     * class implements {@code dev.mithril.runtime.Trainable}. Renderers without training support render
     * inference only (and the class then does not satisfy a model interface that extends Trainable).
     */
    default JavaFile render(Program inference, Program training, String packageName, String className, ClassName modelInterface) {
        return render(inference, packageName, className, modelInterface);
    }

    /** The renderer for {@code backend}. @throws IllegalArgumentException for a backend with no renderer yet */
    static Renderer of(Backend backend) {
        return switch (backend) {
            case JAVA -> new JavaRenderer();
            case ND4J -> new dev.mithril.processor.backend.nd4j.Nd4jRenderer();
            case CUDA, METAL -> throw new IllegalArgumentException("backend " + backend + " has no renderer yet; available: [JAVA, ND4J]");
        };
    }
}
