package dev.mithril.bench;

import dev.mithril.dsl.Level;
import dev.mithril.processor.apt.MithrilProcessor;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * The build-time path, timed the way the build runs it: javac in this process ({@link ToolProvider}) over the
 * annotated model sources of the examples module, with {@link MithrilProcessor} generating the model classes,
 * which javac then compiles in its later rounds. Everything javac writes (generated sources and class files)
 * stays in memory. The sources travel inside the benchmarks jar (copied from {@code examples/src/main/java}
 * by the benchmarks build) so the jar measures the same thing wherever it runs.
 *
 * <p>To time one level, the model's {@code @Model} annotation is rewritten to declare that level alone (the
 * processor generates every declared level in one run); the nested block models ({@code @Model(generate = false)})
 * are compiled beside it unchanged.
 */
final class BuildTimeCompiler {
    /** Where the benchmarks jar keeps the annotated sources, by their path under {@code examples/src/main/java}. */
    static final String RESOURCES = "annotated/";
    private static final Pattern MODEL = Pattern.compile("@Model(\\([^)]*\\))?(\\s+public\\s+interface\\s)");

    private final List<Source> sources = new ArrayList<>();
    private final String mainName;
    private final String mainCode;

    private BuildTimeCompiler(Workload w) {
        List<String> files = switch (w) {
            case LINEAR -> List.of("dev/mithril/examples/LinearModel.java");
            case MLP -> List.of("dev/mithril/examples/Mlp.java");
            case RESNET18 -> List.of("dev/mithril/examples/zoo/ResNet18.java", "dev/mithril/examples/zoo/BasicBlock.java",
                    "dev/mithril/examples/zoo/BasicBlockDownsample.java");
            case RESNET50 -> List.of("dev/mithril/examples/zoo/ResNet50.java", "dev/mithril/examples/zoo/Bottleneck.java",
                    "dev/mithril/examples/zoo/BottleneckDownsample.java");
            case TRANSFORMER -> List.of("dev/mithril/examples/zoo/Gpt.java", "dev/mithril/examples/zoo/GptTransformer.java",
                    "dev/mithril/examples/zoo/GptBlock.java");
        };
        for (String f : files.subList(1, files.size())) sources.add(new Source(f, read(f)));
        mainName = files.getFirst();
        mainCode = read(mainName);
        if (!MODEL.matcher(mainCode).find()) throw new IllegalStateException(mainName + ": no '@Model ... public interface' to compile");
    }

    /** The compiler for {@code w}'s annotated source and the block models it uses. */
    static BuildTimeCompiler of(Workload w) { return new BuildTimeCompiler(w); }

    /** The annotated source files compiled, main model first. */
    List<String> files() {
        List<String> f = new ArrayList<>(List.of(mainName));
        for (Source s : sources) f.add(s.path);
        return f;
    }

    /** The main model's source declaring {@code level} alone. */
    String sourceAt(Level level) {
        Matcher m = MODEL.matcher(mainCode);
        if (!m.find()) throw new IllegalStateException(mainName + ": no '@Model ... public interface'");
        return m.replaceFirst(Matcher.quoteReplacement("@Model(backends = dev.mithril.dsl.Backend.JAVA, levels = dev.mithril.dsl.Level."
                + level.name() + ")") + "$2");
    }

    /**
     * javac with the processor over the sources at {@code level}; {@code processorOnly} stops after annotation
     * processing ({@code -proc:only}: parsing, the processor's rounds and its generated sources, no class files).
     * Returns what javac wrote: {@code name.java} for generated sources, {@code name.class} for class files.
     *
     * @throws IllegalStateException with javac's errors when the build fails
     */
    List<String> compile(Level level, boolean processorOnly) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) throw new IllegalStateException("no Java compiler in this JVM (" + System.getProperty("java.home") + ")");
        List<JavaFileObject> units = new ArrayList<>(sources);
        units.add(new Source(mainName, sourceAt(level)));
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        StandardJavaFileManager standard = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8);
        List<String> written = new ArrayList<>();
        // class files, generated sources and the processor's resources (its .ir files) all stay in memory
        JavaFileManager manager = new ForwardingJavaFileManager<>(standard) {
            @Override public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind, FileObject sibling) {
                return inMemory(className.replace('.', '/') + kind.extension, kind, className + kind.extension, written);
            }

            @Override public FileObject getFileForOutput(Location location, String packageName, String relativeName, FileObject sibling) {
                String path = packageName.isEmpty() ? relativeName : packageName.replace('.', '/') + "/" + relativeName;
                return inMemory(path, JavaFileObject.Kind.OTHER, path, written);
            }
        };
        List<String> options = new ArrayList<>(List.of("-classpath", classpath(), "--add-modules", "jdk.incubator.vector",
                "-Xlint:-incubating", "-nowarn", "-implicit:none"));
        if (processorOnly) options.add("-proc:only");
        StringWriter out = new StringWriter();
        JavaCompiler.CompilationTask task = javac.getTask(out, manager, diagnostics, options, null, units);
        task.setProcessors(List.of(new MithrilProcessor()));
        boolean ok;
        try {
            ok = task.call();
        } finally {
            closeQuietly(manager);
        }
        if (!ok) {
            StringBuilder sb = new StringBuilder("javac with the Mithril processor failed on " + mainName + " at " + level + ":\n");
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() == Diagnostic.Kind.ERROR) sb.append(d.getSource() == null ? "" : d.getSource().getName()).append(':')
                        .append(d.getLineNumber()).append(": ").append(d.getMessage(null)).append('\n');
            }
            throw new IllegalStateException(sb.append(out).toString());
        }
        return written;
    }

    /** A file javac or the processor writes and javac may read back (generated sources, in later rounds). */
    private static JavaFileObject inMemory(String path, JavaFileObject.Kind kind, String name, List<String> written) {
        return new SimpleJavaFileObject(URI.create("mem:///" + path), kind) {
            private String text;

            @Override public OutputStream openOutputStream() {
                written.add(name);
                return new ByteArrayOutputStream() {
                    @Override public void close() { text = toString(StandardCharsets.UTF_8); }
                };
            }

            @Override public java.io.Writer openWriter() {
                written.add(name);
                return new StringWriter() {
                    @Override public void close() { text = toString(); }
                };
            }

            @Override public CharSequence getCharContent(boolean ignoreEncodingErrors) { return text; }
        };
    }

    private static void closeQuietly(JavaFileManager m) {
        try {
            m.close();
        } catch (IOException e) {
            // nothing of it is read after the compile
        }
    }

    private static String read(String path) {
        try (InputStream in = BuildTimeCompiler.class.getResourceAsStream(RESOURCES + path)) {
            if (in == null) throw new IllegalStateException("the benchmarks jar lacks the annotated source " + RESOURCES + path
                    + " (copied from examples/src/main/java by benchmarks/pom.xml)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCES + path + ": " + e.getMessage(), e);
        }
    }

    /** The class path plus where dsl, runtime and processor were loaded from (a manifest-only jar hides them). */
    private static String classpath() {
        Set<String> entries = new LinkedHashSet<>();
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) if (!e.isEmpty()) entries.add(e);
        for (Class<?> c : List.of(dev.mithril.runtime.Tensor.class, dev.mithril.dsl.Model.class, MithrilProcessor.class,
                dev.mithril.examples.zoo.Zoo.class)) {
            try {
                var src = c.getProtectionDomain().getCodeSource();
                if (src != null) entries.add(new File(src.getLocation().toURI()).getPath());
            } catch (URISyntaxException | SecurityException e) {
                // the class path usually has it already
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    /** A source held in memory under its path in the examples module. */
    private static final class Source extends SimpleJavaFileObject {
        final String path, code;

        Source(String path, String code) {
            super(URI.create("string:///" + path), Kind.SOURCE);
            this.path = path;
            this.code = code;
        }

        @Override public CharSequence getCharContent(boolean ignoreEncodingErrors) { return code; }
    }
}
