package dev.mithril.processor.apt;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static dev.mithril.processor.apt.Sources.compile;
import static dev.mithril.processor.apt.Sources.model;

import com.google.testing.compile.Compilation;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/** Annotated models using the layer operations compile; their shape errors land on the user's line. */
class LayerModelsTest {
    @Test
    void convolutionalModelCompiles() {
        JavaFileObject net = model("test.SmallCnn",
                "@Model",
                "public interface SmallCnn {",
                "    @Hyper(8) int width();",
                "    @Input(shape = {\"batch\", \"3\", \"16\", \"16\"}) Tensor x();",
                "    @Conv2d(outExpr = \"width\", kernel = 3, padding = 1, bias = false) Tensor conv1(Tensor x);",
                "    @BatchNorm @Relu Tensor bn1(Tensor conv1);",
                "    @MaxPool2d(kernel = 3, stride = 2, padding = 1) Tensor pool(Tensor bn1);",
                "    @AdaptiveAvgPool2d(1) Tensor gap(Tensor pool);",
                "    @Flatten Tensor flat(Tensor gap);",
                "    @Output @Linear(out = 10) Tensor logits(Tensor flat);",
                "    @Output @Argmax Tensor label(Tensor logits);",
                "}");
        Compilation c = compile(net);
        assertThat(c).succeededWithoutWarnings();
        assertThat(c).generatedSourceFile("test.SmallCnnJavaFull");
    }

    @Test
    void convolutionChannelMismatchIsAShapeMismatchOnItsLine() {
        JavaFileObject net = model("test.Net",
                "@Model",
                "public interface Net {",
                "    @Input(shape = {\"batch\", \"3\", \"8\", \"8\"}) Tensor x();",
                "    @Conv2d(out = 4, kernel = 3, groups = 2) Tensor conv(Tensor x);",
                "    @Output @Relu Tensor y(Tensor conv);",
                "}");
        Compilation c = compile(net);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("[MithrilShapeMismatch] conv2d 'conv' with groups = 2 needs input channels (3, from 'x' float32[batch, 3, 8, 8])")
                .inFile(net).onLine(7);
    }

    @Test
    void convolutionWindowLargerThanTheInputIsAShapeMismatchOnItsLine() {
        JavaFileObject net = model("test.Net",
                "@Model",
                "public interface Net {",
                "    @Input(shape = {\"batch\", \"3\", \"4\", \"4\"}) Tensor x();",
                "    @Output @Conv2d(out = 4, kernel = 7) Tensor conv(Tensor x);",
                "}");
        Compilation c = compile(net);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("[MithrilShapeMismatch] conv2d 'conv' window of 7 (dilation 1, padding 0) does not fit the height 4 of 'x' [batch, 3, 4, 4]")
                .inFile(net).onLine(7);
    }

    @Test
    void transformerPiecesCompile() {
        JavaFileObject net = model("test.TinyGpt",
                "@Model",
                "public interface TinyGpt {",
                "    @Hyper(2) int heads();",
                "    @Input(shape = {\"batch\", \"5\"}, dtype = \"int64\") Tensor idx();",
                "    @Embedding(vocab = 11, dim = 8) Tensor wte(Tensor idx);",
                "    @LayerNorm Tensor ln(Tensor wte);",
                "    @Linear(out = 24) Tensor c_attn(Tensor ln);",
                "    @CausalAttention(headsExpr = \"heads\") Tensor attn(Tensor c_attn);",
                "    @Split(parts = 3, index = 2) Tensor v(Tensor c_attn);",
                "    @Concat(axis = -1) Tensor both(Tensor attn, Tensor v);",
                "    @Slice(axis = -1, start = 4, end = 12) Tensor middle(Tensor both);",
                "    @Output @Linear(out = 11, bias = false) Tensor logits(Tensor middle);",
                "}");
        Compilation c = compile(net);
        assertThat(c).succeededWithoutWarnings();
        assertThat(c).generatedSourceFile("test.TinyGptJavaNone");
    }

    @Test
    void attentionHeadsThatDoNotDivideAreReportedOnTheLine() {
        JavaFileObject net = model("test.Net",
                "@Model",
                "public interface Net {",
                "    @Input(shape = {\"batch\", \"5\", \"24\"}) Tensor qkv();",
                "    @Output @CausalAttention(heads = 5) Tensor attn(Tensor qkv);",
                "}");
        Compilation c = compile(net);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("[MithrilShapeMismatch] causal_attention 'attn' needs the last dimension of 'qkv'")
                .inFile(net).onLine(7);
    }
}
