package dev.mithril.bench;

import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;

/**
 * Calls the run-time compiler, {@code dev.mithril.Mithril.compile(Graph, Backend, Level, Map<String,Integer>)}:
 * passes, Java rendering, in-memory javac and class loading. Looked up by name so that the benchmarks build
 * while the compiler is being written; a missing compiler is a clear error at run time.
 */
final class RuntimeCompiler {
    private static final String CLASS = "dev.mithril.Mithril";

    private RuntimeCompiler() {}

    /** Compiles {@code g} and closes the result; returns nothing, since only the time is of interest. */
    static void compileAndClose(Graph g, Level level, Map<String, Integer> dims) {
        Object model;
        try {
            model = handle().invoke(g, Backend.JAVA, level, dims);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("Mithril.compile failed: " + t, t);
        }
        if (model instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the compiled model failed: " + e, e);
            }
        }
    }

    /** Whether the run-time compiler is on the class path. */
    static boolean available() {
        try {
            handle();
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private static MethodHandle handle() {
        try {
            Class<?> c = Class.forName(CLASS, true, RuntimeCompiler.class.getClassLoader());
            for (var m : c.getMethods()) {
                if (m.getName().equals("compile") && m.getParameterCount() == 4
                        && m.getParameterTypes()[0] == Graph.class && m.getParameterTypes()[3] == Map.class) {
                    return MethodHandles.publicLookup().unreflect(m)
                            .asType(MethodType.methodType(Object.class, Graph.class, Backend.class, Level.class, Map.class));
                }
            }
            throw new IllegalStateException(CLASS + " has no compile(Graph, Backend, Level, Map) method");
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the run-time compiler " + CLASS + " is not on the class path", e);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(CLASS + ".compile is not accessible: " + e, e);
        }
    }
}
