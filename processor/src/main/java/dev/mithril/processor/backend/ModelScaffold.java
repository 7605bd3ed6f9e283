package dev.mithril.processor.backend;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.CodeBlock;
import com.squareup.javapoet.FieldSpec;
import com.squareup.javapoet.MethodSpec;
import com.squareup.javapoet.ParameterizedTypeName;
import com.squareup.javapoet.TypeName;
import com.squareup.javapoet.TypeSpec;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.processor.Training;
import dev.mithril.processor.backend.java.ModelNames;
import dev.mithril.processor.passes.Differentiate;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.lang.model.element.Modifier;

/**
 * The methods every backend's model class writes the same way, whatever computes its forward and backward
 * passes: the {@code create} factories, {@code evaluate} over {@code forward}, the shape error, and the
 * {@code Trainable} accessors over the flag and map fields a training writer declares ({@code gradients},
 * {@code inputGradients}, one boolean per parameter and per input that can get a gradient).
 */
public final class ModelScaffold {
    /** Mithril's tensor, as generated code names it. */
    public static final ClassName TENSOR = ClassName.get("dev.mithril.runtime", "Tensor");
    private static final TypeName STRING_TENSOR_MAP = ParameterizedTypeName.get(ClassName.get(Map.class), ClassName.get(String.class), TENSOR);

    private ModelScaffold() {}

    /** {@code create()} and {@code create(seed)}: a model of class {@code self} initialized like PyTorch's defaults. */
    public static void factories(TypeSpec.Builder type, ClassName self) {
        type.addMethod(MethodSpec.methodBuilder("create").addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(self)
                .addJavadoc("A model with parameters initialized like PyTorch's defaults, from seed 0.\n")
                .addStatement("return create(0)").build());
        type.addMethod(MethodSpec.methodBuilder("create").addModifiers(Modifier.PUBLIC, Modifier.STATIC).returns(self)
                .addParameter(TypeName.LONG, "seed")
                .addJavadoc("A model with parameters initialized like PyTorch's defaults, from {@code seed}.\n")
                .addStatement("$T model = new $T()", self, self)
                .addStatement("model.initialize(seed)")
                .addStatement("return model").build());
    }

    /** {@code shapeError(input, t, expected)}: the error naming an input whose shape does not match, prefixed by {@code className}. */
    public static void shapeError(TypeSpec.Builder type, String className) {
        type.addMethod(MethodSpec.methodBuilder("shapeError").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .returns(IllegalArgumentException.class)
                .addParameter(String.class, "input").addParameter(TENSOR, "t").addParameter(String.class, "expected")
                .addStatement("return new $T($S + input + $S + $T.shapeString(t.shape()) + $S + expected)",
                        IllegalArgumentException.class, className + ": input '", "' has shape ", TENSOR, " but the model expects ")
                .build());
    }

    /** {@code evaluate(inputs)}: the inputs by name (checked, converted), {@code forward}, and the outputs by name. */
    public static void evaluate(TypeSpec.Builder type, Graph graph, ClassName modelInterface) {
        MethodSpec.Builder m = MethodSpec.methodBuilder("evaluate").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                .returns(STRING_TENSOR_MAP)
                .addParameter(STRING_TENSOR_MAP, "inputs")
                .addStatement("checkInputs(inputs)");
        List<String> args = new ArrayList<>();
        for (Node in : graph.inputs()) args.add(CodeBlock.of("input(inputs, $S$L$L)", in.name(), dtypeArgument(in), shapeArgument(in)).toString());
        String call = "forward(" + String.join(", ", args) + ")";
        if (graph.outputs().size() == 1) {
            m.addStatement("return $T.of($S, $L)", Map.class, graph.outputs().keySet().iterator().next(), call);
        } else {
            ClassName outputs = modelInterface.nestedClass("Outputs");
            m.addStatement("$T outputs = $L", outputs, call);
            m.addStatement("$T<String, $T> result = new $T<>()", Map.class, TENSOR, java.util.LinkedHashMap.class);
            for (String o : graph.outputs().keySet()) m.addStatement("result.put($S, outputs.$L())", o, ModelNames.outputName(graph, o));
            m.addStatement("return result");
        }
        type.addMethod(m.build());
    }

    /** The dtype argument of {@code input(...)} for a non-float32 input ({@code , dev.mithril.runtime.DType.I64}), else nothing. */
    public static String dtypeArgument(Node in) {
        return in.type().dtype() == DType.F32 ? "" : ", " + DType.class.getName() + "." + in.type().dtype().name();
    }

    /** The expected shape argument of {@code input(...)}: {@code , -1, 784} (-1 for a symbolic size), nothing for a scalar. */
    private static String shapeArgument(Node in) {
        String shape = in.type().dims().stream().map(d -> d.isFixed() ? Long.toString(d.value()) : "-1").collect(Collectors.joining(", "));
        return shape.isEmpty() ? "" : ", " + shape;
    }

    /** The initializer of parameter {@code p}'s field, {@code dims} its shape as Java code: PyTorch's default initialization. */
    public static CodeBlock parameterInitializer(Parameter p, String dims) {
        return switch (p.init()) {
            case ONES -> p.type().dtype() == DType.F64 ? CodeBlock.of("paramFilled($S, $T.F64, 1, $L)", p.paramName(), DType.class, dims)
                    : CodeBlock.of("paramFilled($S, 1f, $L)", p.paramName(), dims);
            case NORMAL -> CodeBlock.of("paramNormal($S, $L)", p.paramName(), dims);
            case FAN_IN, ZEROS -> p.init() == Parameter.Init.FAN_IN && p.fanIn() > 0
                    ? (p.type().dtype() == DType.F64 ? CodeBlock.of("paramFanIn($S, $T.F64, $L, $L)", p.paramName(), DType.class, p.fanIn(), dims)
                            : CodeBlock.of("paramFanIn($S, $L, $L)", p.paramName(), p.fanIn(), dims))
                    : CodeBlock.of("param($S, $T.$L$L)", p.paramName(), DType.class, p.type().dtype().name(), dims.isEmpty() ? "" : ", " + dims);
        };
    }

    /**
     * The state a training writer's methods share: one boolean per gradient output ({@code flagOf}, parameters'
     * true, inputs' false), the {@code gradients} and {@code inputGradients} maps, {@code trained}, and the
     * initializer {@code register} that puts the gradient accumulators into {@code gradients} (none when empty).
     */
    public static void trainingState(TypeSpec.Builder type, Map<String, String> flagOf, CodeBlock register) {
        for (var e : flagOf.entrySet()) {
            boolean param = e.getKey().startsWith(Differentiate.PARAMETER_GRADIENT);
            FieldSpec.Builder f = FieldSpec.builder(TypeName.BOOLEAN, e.getValue(), Modifier.PRIVATE);
            type.addField((param ? f.initializer("true") : f).build());
        }
        type.addField(FieldSpec.builder(STRING_TENSOR_MAP, "gradients", Modifier.PRIVATE, Modifier.FINAL)
                .initializer("new $T<>()", java.util.LinkedHashMap.class).build());
        type.addField(FieldSpec.builder(STRING_TENSOR_MAP, "inputGradients", Modifier.PRIVATE, Modifier.FINAL)
                .initializer("new $T<>()", java.util.LinkedHashMap.class).build());
        type.addField(FieldSpec.builder(TypeName.BOOLEAN, "trained", Modifier.PRIVATE).build());
        if (!register.isEmpty()) type.addInitializerBlock(register);
    }

    /** Guards over more flags than this get a local of their own (see {@link #guardLocals}). */
    public static final int INLINE_GUARD_FLAGS = 8;

    /**
     * Declares in {@code m} a boolean local (named by {@code unique}) for each distinct guard of {@code guards} over more
     * than {@link #INLINE_GUARD_FLAGS} flags, built from the largest such local whose flags it contains plus the rest:
     * written out in full, the guards of a deep network's backward pass (every parameter below a layer) grow with the
     * square of its depth and overflow the JVM's 64 KiB method limit. Returns each long guard's flags to its local.
     */
    public static Map<Set<String>, String> guardLocals(MethodSpec.Builder m, List<Set<String>> guards, java.util.function.UnaryOperator<String> unique) {
        Map<Set<String>, String> guardLocal = new java.util.LinkedHashMap<>();
        List<Set<String>> sets = guards.stream().filter(f -> f.size() > INLINE_GUARD_FLAGS).distinct()
                .sorted(java.util.Comparator.<Set<String>>comparingInt(Set::size).thenComparing(f -> String.join(",", f))).toList();
        for (Set<String> f : sets) {
            Set<String> covered = Set.of();
            String base = null;
            for (var e : guardLocal.entrySet()) {
                if (e.getKey().size() > covered.size() && f.containsAll(e.getKey())) {
                    covered = e.getKey();
                    base = e.getValue();
                }
            }
            List<String> terms = new ArrayList<>();
            if (base != null) terms.add(base);
            for (String flag : f) if (!covered.contains(flag)) terms.add(flag);
            String local = unique.apply("gradientsWanted");
            m.addStatement("boolean $L = $L", local, String.join(" || ", terms));
            guardLocal.put(f, local);
        }
        return guardLocal;
    }

    /** {@code gradients()} and {@code inputGradients()}: read-only views of the maps the training writer fills. */
    public static void gradientMaps(TypeSpec.Builder type) {
        type.addMethod(MethodSpec.methodBuilder("gradients").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                .returns(STRING_TENSOR_MAP).addStatement("return $T.unmodifiableMap(gradients)", Collections.class).build());
        type.addMethod(MethodSpec.methodBuilder("inputGradients").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                .returns(STRING_TENSOR_MAP).addStatement("return $T.unmodifiableMap(inputGradients)", Collections.class).build());
    }

    /**
     * {@code setTrainable}, {@code trainableParameters} and {@code setInputRequiresGrad} over the guard flags:
     * {@code flagOf} maps each gradient output of {@code training} to its flag field; {@code forwardInputs} are the
     * model's inputs (those without a gradient accept {@code requiresGrad} when floating point, as a no-op).
     */
    public static void trainableSwitches(TypeSpec.Builder type, Training training, Map<String, String> flagOf, List<Node> forwardInputs,
                                         String className) {
        MethodSpec.Builder set = MethodSpec.methodBuilder("setTrainable").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                .addParameter(String.class, "parameter").addParameter(TypeName.BOOLEAN, "trainable")
                .beginControlFlow("switch (parameter)");
        for (var e : training.parameterGradients().entrySet()) set.addStatement("case $S -> $L = trainable", e.getKey(), flagOf.get(e.getValue()));
        set.addCode("default -> {\n$>if (!parameters().containsKey(parameter)) throw new $T($S + parameter + $S + parameters().keySet());\n$<}\n",
                IllegalArgumentException.class, className + ".setTrainable: no parameter \"", "\"; parameters are ");
        type.addMethod(set.endControlFlow().build());

        MethodSpec.Builder list = MethodSpec.methodBuilder("trainableParameters").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                .returns(ParameterizedTypeName.get(Set.class, String.class))
                .addStatement("$T<String> names = new $T<>()", Set.class, LinkedHashSet.class);
        for (var e : training.parameterGradients().entrySet()) list.addStatement("if ($L) names.add($S)", flagOf.get(e.getValue()), e.getKey());
        type.addMethod(list.addStatement("return names").build());

        MethodSpec.Builder req = MethodSpec.methodBuilder("setInputRequiresGrad").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                .addParameter(String.class, "input").addParameter(TypeName.BOOLEAN, "requiresGrad")
                .beginControlFlow("switch (input)");
        for (var e : training.inputGradients().entrySet()) req.addStatement("case $S -> $L = requiresGrad", e.getKey(), flagOf.get(e.getValue()));
        for (Node in : forwardInputs) {
            // No output depends on it: its gradient is zero, nothing to compute and nothing listed.
            if (!training.inputGradients().containsKey(in.name()) && in.type().dtype().isFloatingPoint())
                req.addCode("case $S -> { }\n", in.name());
        }
        req.addCode("default -> {\n$>if (!inputNames().contains(input)) throw new $T($S + input + $S + inputNames());\n"
                        + "if (requiresGrad) throw new $T($S + input + $S);\n$<}\n",
                IllegalArgumentException.class, className + ".setInputRequiresGrad: no input \"", "\"; inputs are ",
                IllegalArgumentException.class, className + ".setInputRequiresGrad: input \"", "\" is not floating point; it has no gradient");
        type.addMethod(req.endControlFlow().build());
    }
}
