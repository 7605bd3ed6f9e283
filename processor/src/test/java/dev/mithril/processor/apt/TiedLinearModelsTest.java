package dev.mithril.processor.apt;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static dev.mithril.processor.apt.Sources.compile;
import static dev.mithril.processor.apt.Sources.model;

import com.google.testing.compile.Compilation;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/** {@code @Linear(tiedTo = ...)} (a head sharing the embedding table) and {@code @Positions}; their errors land on the user's line. */
class TiedLinearModelsTest {
    @Test
    void tiedHeadAndLearnedPositionsCompile() {
        JavaFileObject net = model("test.TinyLm",
                "@Model",
                "public interface TinyLm {",
                "    @Input(shape = {\"batch\", \"T\"}, dtype = \"int64\") Tensor idx();",
                "    @Name(\"wte\") @Embedding(vocab = 32, dim = 8) Tensor tok(Tensor idx);",
                "    @Positions(axis = 1) Tensor pos(Tensor idx);",
                "    @Name(\"wpe\") @Embedding(vocab = 16, dim = 8) Tensor wpe(Tensor pos);",
                "    @Add Tensor x(Tensor tok, Tensor wpe);",
                "    @Output @Linear(tiedTo = \"wte.weight\", bias = false) Tensor logits(Tensor x);",
                "}");
        Compilation c = compile(net);
        assertThat(c).succeededWithoutWarnings();
        assertThat(c).generatedSourceFile("test.TinyLmJavaFull").contentsAsUtf8String().contains("Embedding.positions(T)");
        assertThat(c).generatedSourceFile("test.TinyLmJavaNone").contentsAsUtf8String().doesNotContain("logits.weight");
    }

    @Test
    void tyingToAnUnknownParameterIsAnErrorOnItsLine() {
        JavaFileObject net = model("test.Net",
                "@Model",
                "public interface Net {",
                "    @Input(shape = {\"batch\", \"8\"}) Tensor x();",
                "    @Output @Linear(tiedTo = \"wte.weight\", bias = false) Tensor logits(Tensor x);",
                "}");
        Compilation c = compile(net);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("linear 'logits' is tied to 'wte.weight', which is no parameter declared before it").inFile(net).onLine(7);
    }

    @Test
    void aTiedWeightOfAnotherOutSizeIsAShapeMismatch() {
        JavaFileObject net = model("test.Net",
                "@Model",
                "public interface Net {",
                "    @Input(shape = {\"batch\"}, dtype = \"int64\") Tensor idx();",
                "    @Name(\"wte\") @Embedding(vocab = 32, dim = 8) Tensor tok(Tensor idx);",
                "    @Output @Linear(out = 10, tiedTo = \"wte.weight\", bias = false) Tensor logits(Tensor tok);",
                "}");
        Compilation c = compile(net);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("linear 'logits' declares out = 10 but its tied weight 'wte.weight' float32[32, 8] gives 32")
                .inFile(net).onLine(8);
    }
}
