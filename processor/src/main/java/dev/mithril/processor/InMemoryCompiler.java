package dev.mithril.processor;

import com.squareup.javapoet.JavaFile;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles generated sources with {@code javax.tools} in memory and loads them in a fresh class loader
 * whose parent is Mithril's own, so generated classes see the runtime this JVM already loaded.
 */
public final class InMemoryCompiler {
    private InMemoryCompiler() {}

    /**
     * Compiles {@code files} together and loads every class. @throws IllegalStateException with javac's
     * diagnostics and the sources when compilation fails
     */
    public static ClassLoader compile(List<JavaFile> files) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) throw new IllegalStateException("no Java compiler in this JVM (" + System.getProperty("java.home")
                + "); Mithril.compile needs a JDK, not a JRE");
        List<JavaFileObject> sources = new ArrayList<>();
        for (JavaFile f : files) sources.add(new Source(f.packageName.isEmpty() ? f.typeSpec.name : f.packageName + "." + f.typeSpec.name, f.toString()));
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Map<String, byte[]> classes = new HashMap<>();
        StandardJavaFileManager standard = javac.getStandardFileManager(diagnostics, null, null);
        JavaFileManager manager = new ForwardingJavaFileManager<>(standard) {
            @Override public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind, FileObject sibling) {
                return new SimpleJavaFileObject(URI.create("mem:///" + className.replace('.', '/') + kind.extension), kind) {
                    @Override public OutputStream openOutputStream() {
                        return new ByteArrayOutputStream() {
                            @Override public void close() { classes.put(className, toByteArray()); }
                        };
                    }
                };
            }
        };
        List<String> options = List.of("-classpath", classpath(), "--add-modules", "jdk.incubator.vector", "-proc:none",
                "-Xlint:-incubating", "-nowarn", "-g");
        StringWriter out = new StringWriter();
        boolean ok = javac.getTask(out, manager, diagnostics, options, null, sources).call();
        if (!ok) {
            StringBuilder sb = new StringBuilder("javac failed on generated code:\n");
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() != Diagnostic.Kind.ERROR) continue;
                sb.append(d.getSource() == null ? "" : d.getSource().getName()).append(':').append(d.getLineNumber()).append(": ")
                        .append(d.getMessage(null)).append('\n');
            }
            sb.append(out);
            for (JavaFileObject s : sources) sb.append("\n---- ").append(s.getName()).append('\n').append(((Source) s).code);
            throw new IllegalStateException(sb.toString());
        }
        return new ClassLoader(InMemoryCompiler.class.getClassLoader()) {
            @Override protected Class<?> findClass(String name) throws ClassNotFoundException {
                byte[] b = classes.get(name);
                if (b == null) throw new ClassNotFoundException(name);
                return defineClass(name, b, 0, b.length);
            }
        };
    }

    /** The running JVM's class path plus wherever the runtime and Mithril were loaded from (manifest-only jars hide them). */
    private static String classpath() {
        Set<String> entries = new LinkedHashSet<>();
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) if (!e.isEmpty()) entries.add(e);
        for (Class<?> c : List.of(dev.mithril.runtime.CompiledModel.class, InMemoryCompiler.class)) {
            try {
                var src = c.getProtectionDomain().getCodeSource();
                if (src != null) entries.add(Path.of(src.getLocation().toURI()).toString());
            } catch (URISyntaxException | SecurityException e) {
                // Only a fallback: the class path usually has it already.
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static final class Source extends SimpleJavaFileObject {
        final String code;

        Source(String className, String code) {
            super(URI.create("string:///" + className.replace('.', '/') + Kind.SOURCE.extension), Kind.SOURCE);
            this.code = code;
        }

        @Override public CharSequence getCharContent(boolean ignoreEncodingErrors) { return code; }
    }
}
