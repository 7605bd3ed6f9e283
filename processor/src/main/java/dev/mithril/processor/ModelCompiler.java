package dev.mithril.processor;

import com.squareup.javapoet.AnnotationSpec;
import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.JavaFile;
import com.squareup.javapoet.MethodSpec;
import com.squareup.javapoet.ParameterSpec;
import com.squareup.javapoet.TypeSpec;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.processor.backend.Renderer;
import dev.mithril.processor.backend.java.ModelNames;
import java.util.List;
import java.util.Map;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Modifier;

/**
 * Graph to generated sources: the model's interface, and one class per backend and level.
 *
 * <pre>{@code
 * JavaFile api = ModelCompiler.modelInterface(graph, "com.example");          // com.example.MlpModel
 * JavaFile full = ModelCompiler.compile(graph, "com.example", Backend.JAVA, Level.FULL); // MlpJavaFull
 * }</pre>
 */
public final class ModelCompiler {
    static final ClassName TRAINABLE = ClassName.get("dev.mithril.runtime", "Trainable");
    static final ClassName TENSOR = ClassName.get("dev.mithril.runtime", "Tensor");
    static final ClassName GENERATED = ClassName.get("javax.annotation.processing", "Generated");

    private ModelCompiler() {}

    /** The simple name of the model interface, e.g. {@code MlpModel}. */
    public static String interfaceName(Graph graph) { return checkedName(graph) + "Model"; }

    /** The simple name of a generated class, e.g. {@code MlpJavaFull}. */
    public static String className(Graph graph, Backend backend, Level level) {
        return checkedName(graph) + backend.classToken() + level.classToken();
    }

    /**
     * The interface {@code <Name>Model extends Trainable} (so every generated class can be trained; {@code CompiledModel}
     * for a model with an inference-only op) with a typed {@code forward}: one {@code Tensor} parameter per input, returning
     * the output, or a nested record {@code Outputs} when there are several.
     */
    public static JavaFile modelInterface(Graph graph, String packageName) {
        ClassName self = ClassName.get(packageName, interfaceName(graph));
        List<String> outs = ModelNames.outputNames(graph);
        List<String> ins = ModelNames.inputNames(graph);
        MethodSpec.Builder forward = MethodSpec.methodBuilder("forward").addModifiers(Modifier.PUBLIC, Modifier.ABSTRACT)
                .addJavadoc("Runs the model on $L.\n\n", graph.inputs().stream().map(n -> "{@code " + n.name() + "} " + n.type().shapeString())
                        .reduce((a, b) -> a + ", " + b).orElse("no inputs"))
                .addJavadoc("<p>At level None every call returns new tensors. At levels Basic and Full the returned tensors are\n"
                        + "the model's own buffers: valid until the next call of {@code forward} or {@code evaluate}, which\n"
                        + "overwrites them; {@code copy()} them to keep them.\n\n"
                        + "@throws IllegalArgumentException naming the input whose shape does not match\n");
        for (int i = 0; i < graph.inputs().size(); i++) forward.addParameter(ParameterSpec.builder(TENSOR, ins.get(i)).build());
        TypeSpec.Builder type = TypeSpec.interfaceBuilder(self).addModifiers(Modifier.PUBLIC)
                .addSuperinterface(differentiable(graph) ? TRAINABLE : ClassName.get("dev.mithril.runtime", "CompiledModel"))
                .addAnnotation(AnnotationSpec.builder(GENERATED).addMember("value", "$S", "dev.mithril.processor").build())
                .addJavadoc("Model {@code $L}: $L in, $L out. Implemented by the generated {@code $L<Backend><Level>} classes.\n",
                        graph.name(), String.join(", ", graph.inputs().stream().map(Node::name).toList()),
                        String.join(", ", graph.outputs().keySet()), graph.name());
        if (graph.outputs().size() == 1) {
            forward.returns(TENSOR);
        } else {
            // JavaPoet 1.13 cannot write records: Outputs is a final class shaped like one (constructor, accessors, toString).
            ClassName record = self.nestedClass("Outputs");
            MethodSpec.Builder ctor = MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC);
            TypeSpec.Builder outputs = TypeSpec.classBuilder(record).addModifiers(Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
                    .addJavadoc("The outputs of {@code forward}, in declaration order.\n");
            StringBuilder text = new StringBuilder();
            for (String o : outs) {
                outputs.addField(TENSOR, o, Modifier.PRIVATE, Modifier.FINAL);
                ctor.addParameter(TENSOR, o).addStatement("this.$L = $L", o, o);
                outputs.addMethod(MethodSpec.methodBuilder(o).addModifiers(Modifier.PUBLIC).returns(TENSOR).addStatement("return $L", o).build());
                text.append(text.isEmpty() ? "" : " + \", ").append(o).append("=\" + ").append(o);
            }
            outputs.addMethod(ctor.build());
            outputs.addMethod(MethodSpec.methodBuilder("toString").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(String.class).addStatement("return \"Outputs[$L + \"]\"", text).build());
            type.addType(outputs.build());
            forward.returns(record);
        }
        type.addMethod(forward.build());
        return JavaFile.builder(packageName, type.build()).addFileComment("Generated by Mithril from model $L; do not edit.", graph.name())
                .skipJavaLangImports(true).indent("    ").build();
    }

    /** The class of {@code graph} for {@code backend} at {@code level}, with every dimension symbolic. */
    public static JavaFile compile(Graph graph, String packageName, Backend backend, Level level) {
        return compile(graph, packageName, backend, level, Map.of());
    }

    /**
     * The class of {@code graph} for {@code backend} at {@code level}, with {@code dims} (e.g. {@code batch=32})
     * bound at compile time. @throws IllegalArgumentException for a backend without a renderer, or unknown dims
     */
    public static JavaFile compile(Graph graph, String packageName, Backend backend, Level level, Map<String, Integer> dims) {
        Renderer renderer = Renderer.of(backend);
        Program program = Pipeline.run(graph, level, dims);
        // A model with an inference-only op (a cached decode step) gets no training half.
        Program training = differentiable(graph) ? Pipeline.runTraining(graph, level, dims) : null;
        return renderer.render(program, training, packageName, className(graph, backend, level),
                ClassName.get(packageName, interfaceName(graph)));
    }

    /** Whether every op of {@code graph} has a gradient rule, so that its classes get a training half. */
    static boolean differentiable(Graph graph) { return graph.nodes().stream().allMatch(n -> n.op().isDifferentiable()); }

    private static String checkedName(Graph graph) {
        String n = graph.name();
        if (n == null || !SourceVersion.isIdentifier(n) || SourceVersion.isKeyword(n))
            throw new IllegalArgumentException("model name '" + n + "' is not a Java identifier; generated class names start with it");
        return n;
    }
}
