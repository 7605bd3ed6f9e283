package dev.mithril.processor.apt;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static com.google.testing.compile.Compiler.javac;
import static dev.mithril.processor.apt.Sources.compile;
import static dev.mithril.processor.apt.Sources.model;
import static dev.mithril.processor.apt.Sources.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.testing.compile.Compilation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.TypeElement;
import javax.tools.JavaFileObject;
import javax.tools.StandardLocation;
import org.junit.jupiter.api.Test;

/** Valid models compile, and the IR the processor writes is the expected graph. */
class ProcessorModelsTest {
    static final JavaFileObject MLP = model("test.Mlp",
            "@Model",
            "public interface Mlp {",
            "    @Input(shape = {\"batch\", \"784\"}) Tensor x();",
            "    @Linear(out = 1024) @Relu Tensor h1(Tensor x);",
            "    @Linear(out = 512) @Relu Tensor h2(Tensor h1);",
            "    @Linear(out = 256) @Relu Tensor h3(Tensor h2);",
            "    @Output @Linear(out = 10) Tensor logits(Tensor h3);",
            "}");

    @Test
    void mlpIrIsTheExpectedGraph() {
        Compilation c = compile(MLP);
        assertThat(c).succeeded();
        assertEquals("""
                graph Mlp {
                  %x = input(type=float32[batch, 784]) : float32[batch, 784]
                  %h1.weight = parameter(name=h1.weight, type=float32[1024, 784]) : float32[1024, 784]
                  %h1.bias = parameter(name=h1.bias, type=float32[1024]) : float32[1024]
                  %h1_linear = linear(%x, %h1.weight, %h1.bias) : float32[batch, 1024]
                  %h1 = relu(%h1_linear) : float32[batch, 1024]
                  %h2.weight = parameter(name=h2.weight, type=float32[512, 1024]) : float32[512, 1024]
                  %h2.bias = parameter(name=h2.bias, type=float32[512]) : float32[512]
                  %h2_linear = linear(%h1, %h2.weight, %h2.bias) : float32[batch, 512]
                  %h2 = relu(%h2_linear) : float32[batch, 512]
                  %h3.weight = parameter(name=h3.weight, type=float32[256, 512]) : float32[256, 512]
                  %h3.bias = parameter(name=h3.bias, type=float32[256]) : float32[256]
                  %h3_linear = linear(%h2, %h3.weight, %h3.bias) : float32[batch, 256]
                  %h3 = relu(%h3_linear) : float32[batch, 256]
                  %logits.weight = parameter(name=logits.weight, type=float32[10, 256]) : float32[10, 256]
                  %logits.bias = parameter(name=logits.bias, type=float32[10]) : float32[10]
                  %logits = linear(%h3, %logits.weight, %logits.bias) : float32[batch, 10]
                  output logits = %logits
                }
                """, resource(c, "META-INF/mithril/test.Mlp.ir"));
    }

    @Test
    void float64InputsMakeAFloat64ModelThatCompilesAtEveryLevel() {
        Compilation c = compile(model("test.Mlp64",
                "@Model",
                "public interface Mlp64 {",
                "    @Input(shape = {\"batch\", \"6\"}, dtype = \"float64\") Tensor x();",
                "    @Linear(out = 5) @Gelu Tensor h(Tensor x);",
                "    @Output @Linear(out = 3) Tensor y(Tensor h);",
                "}"));
        assertThat(c).succeeded();
        assertEquals("""
                graph Mlp64 {
                  %x = input(type=float64[batch, 6]) : float64[batch, 6]
                  %h.weight = parameter(name=h.weight, type=float64[5, 6]) : float64[5, 6]
                  %h.bias = parameter(name=h.bias, type=float64[5]) : float64[5]
                  %h_linear = linear(%x, %h.weight, %h.bias) : float64[batch, 5]
                  %h = gelu(%h_linear) : float64[batch, 5]
                  %y.weight = parameter(name=y.weight, type=float64[3, 5]) : float64[3, 5]
                  %y.bias = parameter(name=y.bias, type=float64[3]) : float64[3]
                  %y = linear(%h, %y.weight, %y.bias) : float64[batch, 3]
                  output y = %y
                }
                """, resource(c, "META-INF/mithril/test.Mlp64.ir"));
        for (String level : new String[] {"None", "Basic", "Full"}) assertThat(c).generatedSourceFile("test.Mlp64Java" + level);
    }

    @Test
    void composedModelExpandsHyperparametersRepeatsAndNames() {
        JavaFileObject block = model("test.Block",
                "@Model(generate = false)",
                "public interface Block {",
                "    @Hyper int hidden();",
                "    @Hyper(4) int width();",
                "    @Input(shape = {\"batch\", \"width\"}) Tensor x();",
                "    @Linear(outExpr = \"(hidden + 2) * 2 / 3\") @Gelu Tensor up(Tensor x);",
                "    @Name(\"proj\") @Linear(outExpr = \"width\", bias = false) Tensor down(Tensor up);",
                "    @Output @Add Tensor out(Tensor x, Tensor down);",
                "}");
        JavaFileObject net = model("test.Net",
                "@Model",
                "public interface Net {",
                "    @Hyper(8) int dim();",
                "    @Input(shape = {\"batch\", \"dim\"}) Tensor x();",
                "    @With({\"width=dim\", \"hidden=4*dim-1\"}) Block first(Tensor x);",
                "    @Repeat(2) @With({\"width = dim\", \"hidden = dim - 4\"}) Block stack(Tensor first);",
                "    @Output @Softmax Tensor probs(Tensor stack);",
                "}");
        Compilation c = compile(block, net);
        assertThat(c).succeeded();
        assertFalse(c.generatedFile(StandardLocation.CLASS_OUTPUT, "META-INF/mithril/test.Block.ir").isPresent(),
                "a model with generate = false writes nothing of its own");
        assertEquals("""
                graph Net {
                  %x = input(type=float32[batch, 8]) : float32[batch, 8]
                  %first.up.weight = parameter(name=first.up.weight, type=float32[22, 8]) : float32[22, 8]
                  %first.up.bias = parameter(name=first.up.bias, type=float32[22]) : float32[22]
                  %first.up_linear = linear(%x, %first.up.weight, %first.up.bias) : float32[batch, 22]
                  %first.up = gelu(%first.up_linear) : float32[batch, 22]
                  %first.proj.weight = parameter(name=first.proj.weight, type=float32[8, 22]) : float32[8, 22]
                  %first.down = linear(%first.up, %first.proj.weight) : float32[batch, 8]
                  %first.out = add(%x, %first.down) : float32[batch, 8]
                  %stack.0.up.weight = parameter(name=stack.0.up.weight, type=float32[4, 8]) : float32[4, 8]
                  %stack.0.up.bias = parameter(name=stack.0.up.bias, type=float32[4]) : float32[4]
                  %stack.0.up_linear = linear(%first.out, %stack.0.up.weight, %stack.0.up.bias) : float32[batch, 4]
                  %stack.0.up = gelu(%stack.0.up_linear) : float32[batch, 4]
                  %stack.0.proj.weight = parameter(name=stack.0.proj.weight, type=float32[8, 4]) : float32[8, 4]
                  %stack.0.down = linear(%stack.0.up, %stack.0.proj.weight) : float32[batch, 8]
                  %stack.0.out = add(%first.out, %stack.0.down) : float32[batch, 8]
                  %stack.1.up.weight = parameter(name=stack.1.up.weight, type=float32[4, 8]) : float32[4, 8]
                  %stack.1.up.bias = parameter(name=stack.1.up.bias, type=float32[4]) : float32[4]
                  %stack.1.up_linear = linear(%stack.0.out, %stack.1.up.weight, %stack.1.up.bias) : float32[batch, 4]
                  %stack.1.up = gelu(%stack.1.up_linear) : float32[batch, 4]
                  %stack.1.proj.weight = parameter(name=stack.1.proj.weight, type=float32[8, 4]) : float32[8, 4]
                  %stack.1.down = linear(%stack.1.up, %stack.1.proj.weight) : float32[batch, 8]
                  %stack.1.out = add(%stack.0.out, %stack.1.down) : float32[batch, 8]
                  %probs = softmax(%stack.1.out, axis=-1) : float32[batch, 8]
                  output probs = %probs
                }
                """, resource(c, "META-INF/mithril/test.Net.ir"));
    }

    @Test
    void modelsUsingATypeGeneratedLaterAreDeferredToTheNextRound() {
        JavaFileObject net = model("test.Net",
                "@Model",
                "public interface Net {",
                "    @Input(shape = {\"batch\", \"4\"}) Tensor x();",
                "    @Output Generated g(Tensor x);",
                "}");
        Compilation c = javac().withProcessors(new MithrilProcessor(), new GeneratesAModel()).compile(net);
        assertThat(c).succeeded();
        assertEquals("""
                graph Net {
                  %x = input(type=float32[batch, 4]) : float32[batch, 4]
                  %g.y = tanh(%x) : float32[batch, 4]
                  output g = %g.y
                }
                """, resource(c, "META-INF/mithril/test.Net.ir"));
    }

    /** Writes the embedded model {@code test.Generated} in the first round, as another processor would. */
    static final class GeneratesAModel extends AbstractProcessor {
        private boolean written;

        @Override public Set<String> getSupportedAnnotationTypes() { return Set.of("*"); }

        @Override public SourceVersion getSupportedSourceVersion() { return SourceVersion.latestSupported(); }

        @Override public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
            if (written) return false;
            written = true;
            try (Writer w = processingEnv.getFiler().createSourceFile("test.Generated").openWriter()) {
                w.write("""
                        package test;
                        import dev.mithril.dsl.*;
                        import dev.mithril.runtime.Tensor;
                        @Model(generate = false)
                        public interface Generated {
                            @Input(shape = {"batch", "4"}) Tensor x();
                            @Output @Tanh Tensor y(Tensor x);
                        }
                        """);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return false;
        }
    }
}
