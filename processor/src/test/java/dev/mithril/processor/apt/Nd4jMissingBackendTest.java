package dev.mithril.processor.apt;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static dev.mithril.processor.apt.Sources.compile;
import static dev.mithril.processor.apt.Sources.model;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.testing.compile.Compilation;
import dev.mithril.Mithril;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.builder.ModelBuilder;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/** This module's tests do not have mithril-nd4j: asking for backend ND4J must be one clear error, not javac's noise. */
class Nd4jMissingBackendTest {
    @Test
    void annotationProcessorReportsTheMissingModuleOnTheModel() {
        JavaFileObject net = model("test.Net",
                "@Model(backends = {Backend.JAVA, Backend.ND4J})",
                "public interface Net {",
                "    @Input(shape = {\"batch\", \"4\"}) Tensor x();",
                "    @Output @Linear(out = 2) Tensor y(Tensor x);",
                "}");
        Compilation c = compile(net);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("[MithrilMissingBackend] backend ND4J needs dev.mithril:mithril-nd4j on the classpath")
                .inFile(net).onLine(5);
    }

    @Test
    void javaOnlyModelsDoNotNeedIt() {
        JavaFileObject net = model("test.Net",
                "@Model",
                "public interface Net {",
                "    @Input(shape = {\"batch\", \"4\"}) Tensor x();",
                "    @Output @Linear(out = 2) Tensor y(Tensor x);",
                "}");
        assertThat(compile(net)).succeeded();
    }

    @Test
    void runTimeCompilerGivesTheSameMessage() {
        ModelBuilder m = new ModelBuilder("Net");
        m.output("y", m.input("x", "batch", 4).linear("fc", 2));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Mithril.compile(m.build(), Backend.ND4J, Level.FULL));
        assertEquals("[MithrilMissingBackend] backend ND4J needs dev.mithril:mithril-nd4j on the classpath", e.getMessage());
    }
}
