package dev.mithril;

import com.squareup.javapoet.JavaFile;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.processor.InMemoryCompiler;
import dev.mithril.processor.ModelCompiler;
import dev.mithril.runtime.CompiledModel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiles a model built at run time: the same passes and renderer as the annotation processor, with
 * the generated source compiled in memory.
 *
 * <pre>{@code
 * Graph g = Sequential.input("x", "batch", 784).then(linear(128)).then(relu()).then(linear(10)).output("logits");
 * try (CompiledModel m = Mithril.compile(g, Backend.JAVA, Level.FULL, Map.of("batch", 32))) {
 *     Tensor logits = m.evaluate(Map.of("x", x)).get("logits");
 * }
 * }</pre>
 */
public final class Mithril {
    /** Package of classes compiled at run time; each compile gets its own class loader, so names never clash. */
    public static final String PACKAGE = "dev.mithril.generated";
    private static final Map<String, Class<?>> CACHE = new ConcurrentHashMap<>();

    private Mithril() {}

    /** {@link #compile(Graph, Backend, Level, Map)} with every dimension left symbolic. */
    public static CompiledModel compile(Graph g, Backend b, Level l) { return compile(g, b, l, Map.of()); }

    /**
     * Compiles {@code g} for backend {@code b} at level {@code l}, binding {@code dims} (e.g. {@code batch=32})
     * at compile time, and returns a new instance with parameters initialized from seed 0. Classes are
     * cached by source text, so compiling the same model again only creates an instance.
     *
     * @throws IllegalArgumentException for a backend without a renderer or an unknown dimension
     * @throws IllegalStateException    for backend ND4J when {@code dev.mithril:mithril-nd4j} is not on the class path
     * @throws IllegalStateException    with javac's diagnostics and the source if the generated code does not compile
     */
    public static CompiledModel compile(Graph g, Backend b, Level l, Map<String, Integer> dims) {
        if (b == Backend.ND4J) dev.mithril.processor.backend.nd4j.Nd4jRenderer.requireBridge(Mithril.class.getClassLoader());
        JavaFile api = ModelCompiler.modelInterface(g, PACKAGE);
        JavaFile impl = ModelCompiler.compile(g, PACKAGE, b, l, dims);
        String key = api + "\n" + impl;
        Class<?> c = CACHE.computeIfAbsent(key, k -> load(List.of(api, impl), PACKAGE + "." + impl.typeSpec.name));
        try {
            return (CompiledModel) c.getMethod("create", long.class).invoke(null, 0L);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + c.getName() + ": " + e.getCause(), e);
        }
    }

    /** Forgets every class compiled so far, so the next {@link #compile} runs javac again (benchmarks time it this way). */
    public static void clearCache() { CACHE.clear(); }

    /** The generated class's source, as {@link #compile(Graph, Backend, Level, Map)} compiles it. */
    public static String source(Graph g, Backend b, Level l, Map<String, Integer> dims) {
        return ModelCompiler.compile(g, PACKAGE, b, l, dims).toString();
    }

    private static Class<?> load(List<JavaFile> files, String className) {
        try {
            return InMemoryCompiler.compile(files).loadClass(className);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("javac produced no class " + className, e);
        }
    }
}
