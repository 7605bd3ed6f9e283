package dev.mithril.processor.backend.java;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.CodeBlock;
import com.squareup.javapoet.FieldSpec;
import com.squareup.javapoet.MethodSpec;
import com.squareup.javapoet.ParameterizedTypeName;
import com.squareup.javapoet.TypeName;
import com.squareup.javapoet.TypeSpec;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.dsl.ops.Input;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.processor.BufferPlan;
import dev.mithril.processor.Program;
import dev.mithril.processor.Training;
import dev.mithril.processor.backend.ModelScaffold;
import dev.mithril.processor.passes.Differentiate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.lang.model.element.Modifier;

/**
 * Writes the {@code Trainable} half of a model class from a training program (forward and backward in
 * one graph, see {@link Differentiate}): {@code forwardTrain} runs the forward nodes and keeps what the
 * backward nodes read; {@code backward} runs the backward nodes, each under a run-time guard naming the
 * gradients it feeds (so frozen parameters and inputs that need no gradient cost nothing), then adds the
 * new gradients into the accumulated ones.
 */
final class TrainingWriter {
    private static final ClassName MAP = ClassName.get(Map.class);
    private static final TypeName STRING_TENSOR_MAP = ParameterizedTypeName.get(MAP, ClassName.get(String.class), JavaRenderer.TENSOR);

    private final Program program;
    private final Graph graph;
    private final Graph inferenceGraph;
    private final BufferPlan plan;
    private final Training training;
    private final JavaNames names;
    private final TypeSpec.Builder type;
    private final String className;
    private final Statements statements;
    private final List<String> dimSymbols;
    private final List<Node> forwardInputs = new ArrayList<>();
    private final Set<Node> backward = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Node, Set<String>> feeds = new IdentityHashMap<>(); // backward node -> flags of the gradients it feeds
    private final Map<String, String> flagOf = new LinkedHashMap<>();     // training output -> its guard flag field
    private final Map<String, String> gradField = new LinkedHashMap<>();  // parameter name -> accumulated gradient field
    private final Map<Set<String>, String> guardLocal = new LinkedHashMap<>(); // flags of a long guard -> the local computing it

    TrainingWriter(Program program, JavaNames inference, Graph inferenceGraph, TypeSpec.Builder type, String className) {
        this.program = program;
        this.graph = program.graph();
        this.plan = program.buffers();
        this.training = program.training();
        this.type = type;
        this.className = className;
        this.dimSymbols = graph.dimensionNames();
        this.inferenceGraph = inferenceGraph;
        this.names = new JavaNames(inference, graph.nodes(), n -> n.op() instanceof Parameter || sharedConstant(n));
        this.statements = new Statements(program, names, type);
        Set<String> gradInputs = new java.util.HashSet<>(training.outputGradients().values());
        for (Node n : graph.nodes()) {
            if (n.op() instanceof Input && !gradInputs.contains(n.name())) forwardInputs.add(n);
            if (gradInputs.contains(n.name()) || n.inputs().stream().anyMatch(backward::contains)) backward.add(n);
        }
        for (var e : training.parameterGradients().entrySet()) flagOf.put(e.getValue(), names.unique(names.of(e.getKey()) + "Trainable"));
        for (var e : training.inputGradients().entrySet()) flagOf.put(e.getValue(), names.unique(names.of(e.getKey()) + "RequiresGrad"));
        for (var e : training.parameterGradients().entrySet()) gradField.put(e.getKey(), names.unique(names.of(e.getKey()) + "Grad"));
        List<Node> nodes = graph.nodes();
        for (Node n : nodes) feeds.put(n, new TreeSet<>());
        for (var e : graph.outputs().entrySet()) if (flagOf.containsKey(e.getKey())) feeds.get(e.getValue()).add(flagOf.get(e.getKey()));
        for (int i = nodes.size() - 1; i >= 0; i--) for (Node in : nodes.get(i).inputs()) feeds.get(in).addAll(feeds.get(nodes.get(i)));
    }

    /** Whether the statements used the vector species. */
    boolean species() { return statements.species(); }

    /** Whether the statements used the float64 vector species. */
    boolean species64() { return statements.species64(); }

    void write() {
        fields();
        forwardTrain();
        backward();
        if (plan != null && !plan.bufferOf().isEmpty()) planMethod();
        accessors();
        outputGradientMethod();
    }

    private static boolean computed(Node n) {
        return !(n.op() instanceof Input || n.op() instanceof Parameter || n.op() instanceof Constant);
    }

    private boolean planned(Node n) { return plan != null && plan.isPlanned(n.name()); }

    /** Forward nodes whose values backward or the caller reads after forwardTrain returns. */
    private List<Node> saved() {
        Set<Node> read = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : backward) read.addAll(n.inputs());
        read.addAll(graph.outputs().values());
        return graph.nodes().stream().filter(n -> !backward.contains(n) && computed(n) && read.contains(n) && !planned(n)).toList();
    }

    private void fields() {
        for (Node n : graph.nodes()) {
            if (n.op() instanceof Constant c && !sharedConstant(n)) {
                type.addField(FieldSpec.builder(JavaRenderer.TENSOR, names.of(n), Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                        .initializer(JavaRenderer.constant(n, c)).build());
            }
        }
        for (Node in : forwardInputs) type.addField(FieldSpec.builder(JavaRenderer.TENSOR, names.of(in), Modifier.PRIVATE)
                .addJavadoc("Input $S of the last forwardTrain, kept for backward.\n", in.name()).build());
        for (Node n : saved()) type.addField(JavaRenderer.TENSOR, names.of(n), Modifier.PRIVATE);
        statements.assignOnly(saved().stream().map(Node::name).toList());
        if (plan != null) {
            for (String s : plannedDims()) type.addField(FieldSpec.builder(TypeName.INT, plannedField(s), Modifier.PRIVATE).initializer("-1").build());
            if (plannedDims().isEmpty() && !plan.bufferOf().isEmpty())
                type.addField(FieldSpec.builder(TypeName.BOOLEAN, "plannedTrain", Modifier.PRIVATE).build());
            for (String n : plan.bufferOf().keySet()) type.addField(FieldSpec.builder(JavaRenderer.TENSOR, names.of(n), Modifier.PRIVATE).build());
        }
        CodeBlock.Builder register = CodeBlock.builder();
        for (var e : gradField.entrySet()) {
            Node p = graph.node(e.getKey());
            String shape = p.type().dims().stream().map(d -> Long.toString(d.value())).collect(Collectors.joining(", "));
            type.addField(FieldSpec.builder(JavaRenderer.TENSOR, e.getValue(), Modifier.PRIVATE, Modifier.FINAL)
                    .initializer(p.type().dtype() == dev.mithril.runtime.DType.F64
                            ? CodeBlock.of("$T.zeros($T.F64, $L)", JavaRenderer.TENSOR, dev.mithril.runtime.DType.class, shape)
                            : CodeBlock.of("$T.zeros($L)", JavaRenderer.TENSOR, shape)).build());
            register.addStatement("gradients.put($S, $L)", e.getKey(), e.getValue());
        }
        ModelScaffold.trainingState(type, flagOf, register.build());
    }

    /** A constant the inference half already declares as a field (same name, same value). */
    private boolean sharedConstant(Node n) {
        Node same = inferenceGraph.node(n.name());
        return n.op() instanceof Constant && same != null && same.op().equals(n.op());
    }

    private void forwardTrain() {
        MethodSpec.Builder m = MethodSpec.methodBuilder("forwardTrain").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                .returns(STRING_TENSOR_MAP).addParameter(STRING_TENSOR_MAP, "inputs")
                .addStatement("checkInputs(inputs)");
        for (Node in : forwardInputs) {
            String shape = in.type().dims().stream().map(d -> d.isFixed() ? Long.toString(d.value()) : "-1").collect(Collectors.joining(", "));
            // The expected shape is a constant: a varargs array per call would be the step's only allocation.
            String shapeField = names.unique(names.of(in) + "Shape");
            type.addField(FieldSpec.builder(int[].class, shapeField, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                    .initializer("{$L}", shape).build());
            m.addStatement("$L = input(inputs, $S$L, $L)", names.of(in), in.name(),
                    in.type().dtype() == dev.mithril.runtime.DType.F32 ? "" : ", " + dev.mithril.runtime.DType.class.getName() + "." + in.type().dtype().name(),
                    shapeField);
        }
        JavaRenderer.inputChecks(m, forwardInputs, names, dimSymbols, graph.name(), true);
        planCall(m);
        for (Node n : graph.nodes()) if (!backward.contains(n)) statements.add(m, n);
        m.addStatement("trained = true");
        // One map for every call, refilled: a training step allocates nothing once its buffers are planned.
        for (var e : graph.outputs().entrySet()) {
            if (e.getKey().startsWith(Differentiate.PARAMETER_GRADIENT) || e.getKey().startsWith(Differentiate.INPUT_GRADIENT)) continue;
            m.addStatement("trainOutputs.put($S, $L)", e.getKey(), names.of(e.getValue()));
        }
        m.addStatement("return trainOutputsView");
        type.addField(FieldSpec.builder(STRING_TENSOR_MAP, "trainOutputs", Modifier.PRIVATE, Modifier.FINAL)
                .initializer("new $T<>()", LinkedHashMap.class).build());
        type.addField(FieldSpec.builder(STRING_TENSOR_MAP, "trainOutputsView", Modifier.PRIVATE, Modifier.FINAL)
                .addJavadoc("The outputs of the last forwardTrain, read-only; the tensors are planned buffers, valid until the next step.\n")
                .initializer("$T.unmodifiableMap(trainOutputs)", Collections.class).build());
        type.addMethod(m.build());
    }

    private void planCall(MethodSpec.Builder m) {
        if (plan == null || plan.bufferOf().isEmpty()) return;
        List<String> pd = plannedDims();
        if (pd.isEmpty()) m.addStatement("if (!plannedTrain) planTrain()");
        else m.addStatement("if ($L) planTrain($L)", pd.stream().map(s -> names.dim(s) + " != " + plannedField(s)).collect(Collectors.joining(" || ")),
                pd.stream().map(names::dim).collect(Collectors.joining(", ")));
    }

    private void backward() {
        MethodSpec.Builder m = MethodSpec.methodBuilder("backward").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                .addParameter(STRING_TENSOR_MAP, "outputGradients")
                .addStatement("if (!trained) throw new $T($S)", IllegalStateException.class, className + ".backward: call forwardTrain first");
        JavaRenderer.inputChecks(m, forwardInputs, names, dimSymbols, graph.name(), false);
        for (var e : training.outputGradients().entrySet()) {
            Node g = graph.node(e.getValue());
            m.addStatement("$T $L = outputGradient(outputGradients, $S, $L)", JavaRenderer.TENSOR, names.of(g), e.getKey(),
                    names.of(graph.outputs().get(e.getKey())));
        }
        // Looked for only when some given name is not an output: iterating the map's keys each step would allocate.
        String known = training.outputGradients().keySet().stream().map(o -> CodeBlock.of("(outputGradients.containsKey($S) ? 1 : 0)", o).toString())
                .collect(Collectors.joining(" + "));
        m.beginControlFlow("if (outputGradients.size() != $L)", known.isEmpty() ? "0" : known)
                .addStatement("for (String name : outputGradients.keySet()) if (!outputNames().contains(name)) throw new $T($S + name + $S + outputNames())",
                        IllegalArgumentException.class, className + ".backward: no output named \"", "\"; outputs are ")
                .endControlFlow();
        List<Node> steps = graph.nodes().stream().filter(n -> backward.contains(n) && computed(n)).toList();
        guardLocals(m, steps);
        // Locals read outside the guarded block that computes them are declared before the first block.
        Map<Node, String> guardOf = new IdentityHashMap<>();
        Map<Node, Integer> blockOf = new IdentityHashMap<>();
        for (Node n : steps) guardOf.put(n, guard(n));
        int block = 0;
        String last = null;
        for (Node n : steps) {
            if (last != null && !guardOf.get(n).equals(last)) block++;
            blockOf.put(n, block);
            last = guardOf.get(n);
        }
        Set<Node> results = Collections.newSetFromMap(new IdentityHashMap<>());
        results.addAll(graph.outputs().values());
        List<String> early = new ArrayList<>();
        for (Node n : steps) {
            if (planned(n)) continue;
            boolean crosses = results.contains(n);
            for (Node u : steps) if (u.inputs().contains(n) && !blockOf.get(u).equals(blockOf.get(n))) crosses = true;
            if (crosses) early.add(n.name());
        }
        for (String n : early) m.addStatement("$T $L = null", JavaRenderer.TENSOR, names.of(n));
        statements.assignOnly(early);
        // A parameter's gradient is added into its accumulator as soon as it is computed, so that its buffer is free
        // for the rest of the pass (PlanBuffers ends its life there).
        Map<Node, List<String>> accumulateAfter = new IdentityHashMap<>();
        Set<Node> stepSet = Collections.newSetFromMap(new IdentityHashMap<>());
        stepSet.addAll(steps);
        List<String> atEnd = new ArrayList<>();
        for (var e : training.parameterGradients().entrySet()) {
            Node g = graph.outputs().get(e.getValue());
            if (stepSet.contains(g)) accumulateAfter.computeIfAbsent(g, k -> new ArrayList<>()).add(e.getKey());
            else atEnd.add(e.getKey());
        }
        BackwardFusion fusion = program.level() == dev.mithril.dsl.Level.FULL
                ? new BackwardFusion(program, names, steps, gradField, training.parameterGradients()) : null;
        String open = null;
        for (Node n : steps) {
            if (fusion != null && fusion.absorbed(n)) continue;
            String g = guardOf.get(n);
            if (!g.equals(open)) {
                if (open != null) m.endControlFlow();
                m.beginControlFlow("if ($L)", g);
                open = g;
            }
            if (fusion == null || !fusion.render(m, n)) statements.add(m, n);
            String added = fusion == null ? null : fusion.accumulator(n);
            for (String p : accumulateAfter.getOrDefault(n, List.of())) if (!gradField.get(p).equals(added)) accumulate(m, p, g);
        }
        if (open != null) m.endControlFlow();
        for (String p : atEnd) accumulate(m, p, null);
        m.addStatement("inputGradients.clear()");
        for (var e : training.inputGradients().entrySet()) {
            String out = e.getValue();
            m.addStatement("if ($L) inputGradients.put($S, $L)", flagOf.get(out), e.getKey(), names.of(graph.outputs().get(out)));
        }
        type.addMethod(m.build());
    }

    /** {@code if (wTrainable) Kernels.addInto(wGrad, d_w, wGrad)}; no {@code if} when the enclosing {@code guard} is that flag. */
    private void accumulate(MethodSpec.Builder m, String parameter, String guard) {
        String out = training.parameterGradients().get(parameter);
        CodeBlock add = CodeBlock.of("$T.addInto($L, $L, $L)", Statements.KERNELS, gradField.get(parameter), names.of(graph.outputs().get(out)),
                gradField.get(parameter));
        if (flagOf.get(out).equals(guard)) m.addStatement("$L", add);
        else m.addStatement("if ($L) $L", flagOf.get(out), add);
    }

    /** The run-time condition under which backward node {@code n} is needed: any gradient it feeds is wanted. */
    private String guard(Node n) {
        String local = guardLocal.get(feeds.get(n));
        return local != null ? local : String.join(" || ", feeds.get(n));
    }

    /** Declares the locals of the long guards (see {@link ModelScaffold#guardLocals}). */
    private void guardLocals(MethodSpec.Builder m, List<Node> steps) {
        guardLocal.putAll(ModelScaffold.guardLocals(m, steps.stream().map(feeds::get).toList(), names::unique));
    }

    private void planMethod() {
        List<String> pd = plannedDims();
        MethodSpec.Builder m = MethodSpec.methodBuilder("planTrain").addModifiers(Modifier.PRIVATE)
                .addJavadoc("Allocates the $L buffers of the training pass (forward and backward) and the tensors that view them.\n", plan.bufferCount());
        for (String s : pd) m.addParameter(TypeName.INT, names.dim(s));
        JavaRenderer.allocate(m, plan, graph, names);
        statements.layers().allocateHolders(m);
        for (String s : pd) m.addStatement("this.$L = $L", plannedField(s), names.dim(s));
        if (pd.isEmpty()) m.addStatement("plannedTrain = true");
        type.addMethod(m.build());
    }

    private List<String> plannedDims() { return ModelScaffold.plannedDims(plan, graph, dimSymbols, List.of()); }

    private String plannedField(String symbol) {
        String d = names.dim(symbol);
        return "plannedTrain" + Character.toUpperCase(d.charAt(0)) + d.substring(1);
    }

    private void accessors() {
        ModelScaffold.gradientMaps(type);
        MethodSpec.Builder zero = MethodSpec.methodBuilder("zeroGrad").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC);
        for (var e : gradField.entrySet()) {
            boolean f64 = graph.node(e.getKey()).type().dtype() == dev.mithril.runtime.DType.F64;
            zero.addStatement(f64 ? "$T.fill($L.doubles(), 0.0)" : "$T.fill($L.data(), 0f)", java.util.Arrays.class, e.getValue());
        }
        type.addMethod(zero.build());
        ModelScaffold.trainableSwitches(type, training, flagOf, forwardInputs, className);
    }

    /** The given gradient in the output's element type; no test at run time unless outputs of both types exist. */
    private CodeBlock convert() {
        Set<dev.mithril.runtime.DType> types = new java.util.HashSet<>();
        for (String o : training.outputGradients().keySet()) types.add(graph.outputs().get(o).type().dtype());
        if (!types.contains(dev.mithril.runtime.DType.F64)) return CodeBlock.of("return g.toF32()");
        if (types.size() == 1) return CodeBlock.of("return g.toF64()");
        return CodeBlock.of("return output.dtype() == $T.F64 ? g.toF64() : g.toF32()", dev.mithril.runtime.DType.class);
    }

    private void outputGradientMethod() {
        type.addMethod(MethodSpec.methodBuilder("outputGradient").addModifiers(Modifier.PRIVATE, Modifier.STATIC).returns(JavaRenderer.TENSOR)
                .addJavadoc("The gradient given for output {@code name}, checked against the output's shape; zeros when none is given.\n")
                .addParameter(STRING_TENSOR_MAP, "gradients").addParameter(String.class, "name").addParameter(JavaRenderer.TENSOR, "output")
                .addStatement("$T g = gradients.get(name)", JavaRenderer.TENSOR)
                .addStatement("if (g == null) return $T.zeros(output.shape())", JavaRenderer.TENSOR)
                .addStatement("if (!g.sameShape(output)) throw new $T($S + name + $S + $T.shapeString(g.shape()) + $S + $T.shapeString(output.shape()))",
                        IllegalArgumentException.class, className + ".backward: gradient of \"", "\" has shape ", JavaRenderer.TENSOR,
                        " but the output has shape ", JavaRenderer.TENSOR)
                .addStatement(convert()).build());
    }
}
