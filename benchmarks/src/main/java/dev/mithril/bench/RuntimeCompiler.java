package dev.mithril.bench;

import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.runtime.CompiledModel;
import java.util.Map;

/**
 * Calls the run-time compiler, {@link Mithril#compile(Graph, Backend, Level, Map)}: passes, Java rendering,
 * in-memory javac and class loading: what the compile-time benchmarks time.
 */
final class RuntimeCompiler {
    private RuntimeCompiler() {}

    /** Compiles {@code g} from scratch (no cached class) and closes the result; only the time is of interest. */
    static void compileAndClose(Graph g, Level level, Map<String, Integer> dims) {
        Mithril.clearCache();
        try (CompiledModel model = Mithril.compile(g, Backend.JAVA, level, dims)) {
            if (model.outputNames().isEmpty()) throw new IllegalStateException("compiled model has no outputs");
        }
    }

    /** Runs the passes and renders the source without compiling it: the compile time without javac. */
    static void render(Graph g, Level level, Map<String, Integer> dims) {
        if (Mithril.source(g, Backend.JAVA, level, dims).isEmpty()) throw new IllegalStateException("empty source");
    }

    /** Whether the run-time compiler can run here: it needs javac, which a JRE without jdk.compiler lacks. */
    static boolean available() {
        return javax.tools.ToolProvider.getSystemJavaCompiler() != null;
    }
}
