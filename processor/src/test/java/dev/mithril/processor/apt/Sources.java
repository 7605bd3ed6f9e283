package dev.mithril.processor.apt;

import static com.google.testing.compile.Compiler.javac;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.tools.JavaFileObject;
import javax.tools.StandardLocation;

/** Test sources, written line by line so that tests can name the line an error must land on. */
final class Sources {
    private Sources() {}

    /** The imports every test model starts with, lines 2 and 3 (line 1 is the package). */
    static JavaFileObject model(String qualifiedName, String... body) {
        String[] lines = new String[body.length + 3];
        lines[0] = "package " + qualifiedName.substring(0, qualifiedName.lastIndexOf('.')) + ";";
        lines[1] = "import dev.mithril.dsl.*;";
        lines[2] = "import dev.mithril.runtime.Tensor;";
        System.arraycopy(body, 0, lines, 3, body.length);
        return JavaFileObjects.forSourceLines(qualifiedName, lines);
    }

    static Compilation compile(JavaFileObject... files) {
        return javac().withProcessors(new MithrilProcessor()).compile(files);
    }

    /** The text of a resource the processor wrote to the class output. */
    static String resource(Compilation c, String path) {
        JavaFileObject f = c.generatedFile(StandardLocation.CLASS_OUTPUT, path)
                .orElseThrow(() -> new AssertionError("no generated resource " + path + "; generated: " + c.generatedFiles()));
        try {
            return f.getCharContent(true).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
