package dev.mithril.processor.backend.nd4j;

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
 * Writes the {@code Trainable} half of an ND4J model class from a training program (forward and backward in
 * one graph, see {@link Differentiate}), as the Java backend's training writer does, over INDArrays:
 * {@code forwardTrain} copies the parameters into their arrays, runs the forward nodes and keeps in fields
 * what the backward nodes read; {@code backward} runs the backward nodes, each under a run-time guard naming
 * the gradients it feeds (frozen parameters and inputs that need no gradient cost nothing), and adds each
 * parameter's gradient into a heap tensor. Every node is one allocating ND4J call at every level: the level
 * still chooses the graph (folded constants, fused linear epilogues), but not a buffer plan.
 */
final class Nd4jTrainingWriter {
    private static final TypeName STRING_TENSOR_MAP = ParameterizedTypeName.get(ClassName.get(Map.class), ClassName.get(String.class), Nd4jRenderer.TENSOR);

    private final Graph graph;
    private final Graph inferenceGraph;
    private final Training training;
    private final Nd4jNames names;
    private final TypeSpec.Builder type;
    private final String className;
    private final Nd4jStatements statements;
    private final List<Node> forwardInputs = new ArrayList<>();
    private final Set<Node> backward = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Node, Set<String>> feeds = new IdentityHashMap<>(); // node -> flags of the gradients it feeds
    private final Map<String, String> flagOf = new LinkedHashMap<>();     // gradient output -> its guard flag field
    private final Map<String, String> gradField = new LinkedHashMap<>();  // parameter name -> accumulated gradient field
    private final Map<Set<String>, String> guardLocal = new LinkedHashMap<>(); // flags of a long guard -> the local computing it

    Nd4jTrainingWriter(Program program, Nd4jNames inference, Graph inferenceGraph, TypeSpec.Builder type, String className) {
        this.graph = program.graph();
        this.inferenceGraph = inferenceGraph;
        this.training = program.training();
        this.type = type;
        this.className = className;
        this.names = new Nd4jNames(inference, graph.nodes(), n -> n.op() instanceof Parameter || sharedConstant(n));
        this.statements = new Nd4jStatements(program, names);
        Set<String> gradInputs = new java.util.HashSet<>(training.outputGradients().values());
        for (Node n : graph.nodes()) {
            if (n.op() instanceof Input && !gradInputs.contains(n.name())) forwardInputs.add(n);
            if (gradInputs.contains(n.name()) || n.inputs().stream().anyMatch(backward::contains)) backward.add(n);
        }
        for (var e : training.parameterGradients().entrySet()) {
            String base = names.tensor(graph.node(e.getKey()));
            flagOf.put(e.getValue(), names.unique(base + "Trainable"));
            gradField.put(e.getKey(), names.unique(base + "Grad"));
        }
        for (var e : training.inputGradients().entrySet()) flagOf.put(e.getValue(), names.unique(names.tensor(graph.node(e.getKey())) + "RequiresGrad"));
        List<Node> nodes = graph.nodes();
        for (Node n : nodes) feeds.put(n, new TreeSet<>());
        for (var e : graph.outputs().entrySet()) if (flagOf.containsKey(e.getKey())) feeds.get(e.getValue()).add(flagOf.get(e.getKey()));
        for (int i = nodes.size() - 1; i >= 0; i--) for (Node in : nodes.get(i).inputs()) feeds.get(in).addAll(feeds.get(nodes.get(i)));
    }

    /**
     * Why ND4J cannot train {@code program} (the first node whose training form the ND4J statements do not
     * render, by a trial rendering that is thrown away), or null.
     */
    static String unsupported(Program program) {
        Nd4jNames names = new Nd4jNames(program.graph().nodes(), program.graph().dimensionNames());
        Nd4jStatements trial = new Nd4jStatements(program, names);
        MethodSpec.Builder scratch = MethodSpec.methodBuilder("trial");
        for (Node n : program.graph().nodes()) {
            try {
                trial.add(scratch, n);
            } catch (IllegalArgumentException e) {
                return e.getMessage() + "; it cannot train model '" + program.graph().name() + "'";
            }
        }
        return null;
    }

    void write() {
        fields();
        forwardTrain();
        backward();
        accessors();
    }

    /** A constant the inference half already declares (same name, same value). */
    private boolean sharedConstant(Node n) {
        Node same = inferenceGraph.node(n.name());
        return n.op() instanceof Constant && same != null && same.op().equals(n.op());
    }

    private static boolean computed(Node n) {
        return !(n.op() instanceof Input || n.op() instanceof Parameter || n.op() instanceof Constant);
    }

    /** Forward outputs: the training graph's outputs that are not gradients. */
    private Map<String, Node> forwardOutputs() {
        Map<String, Node> out = new LinkedHashMap<>();
        for (var e : graph.outputs().entrySet()) {
            if (!e.getKey().startsWith(Differentiate.PARAMETER_GRADIENT) && !e.getKey().startsWith(Differentiate.INPUT_GRADIENT)) out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    /** Forward nodes whose values backward or the caller reads after forwardTrain returns: fields, not locals. */
    private List<Node> saved() {
        Set<Node> read = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : backward) read.addAll(n.inputs());
        read.addAll(forwardOutputs().values());
        return graph.nodes().stream().filter(n -> !backward.contains(n) && computed(n) && read.contains(n)).toList();
    }

    private void fields() {
        for (Node n : graph.nodes()) if (n.op() instanceof Constant c && !sharedConstant(n)) type.addField(Nd4jRenderer.constantField(names, n, c));
        for (Node in : forwardInputs) {
            type.addField(FieldSpec.builder(Nd4jRenderer.TENSOR, names.tensor(in), Modifier.PRIVATE)
                    .addJavadoc("Input $S of the last forwardTrain, kept for backward's dimensions.\n", in.name()).build());
            type.addField(Nd4jRenderer.INDARRAY, names.array(in), Modifier.PRIVATE);
        }
        for (Node n : saved()) type.addField(Nd4jRenderer.INDARRAY, names.array(n), Modifier.PRIVATE);
        statements.assignOnly(saved().stream().map(names::array).toList());
        CodeBlock.Builder register = CodeBlock.builder();
        for (var e : gradField.entrySet()) {
            String shape = graph.node(e.getKey()).type().dims().stream().map(names::code).collect(Collectors.joining(", "));
            type.addField(FieldSpec.builder(Nd4jRenderer.TENSOR, e.getValue(), Modifier.PRIVATE, Modifier.FINAL)
                    .initializer("$T.zeros($L)", Nd4jRenderer.TENSOR, shape).build());
            register.addStatement("gradients.put($S, $L)", e.getKey(), e.getValue());
        }
        ModelScaffold.trainingState(type, flagOf, register.build());
    }

    private void forwardTrain() {
        MethodSpec.Builder m = MethodSpec.methodBuilder("forwardTrain").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                .returns(STRING_TENSOR_MAP).addParameter(STRING_TENSOR_MAP, "inputs")
                .addStatement("checkInputs(inputs)");
        for (Node in : forwardInputs) {
            m.addStatement("$L = input(inputs, $S$L$L)", names.tensor(in), in.name(), ModelScaffold.dtypeArgument(in), ModelScaffold.shapeArgument(in));
        }
        Nd4jRenderer.inputChecks(m, forwardInputs, names, graph.dimensionNames(), graph.name(), true);
        for (Node in : forwardInputs) m.addStatement("$L = $T.toNd4j($L)", names.array(in), Nd4jRenderer.BRIDGE, names.tensor(in));
        m.addComment("the parameters as they are now: an optimizer step wrote the tensors");
        for (Node p : graph.parameters()) {
            if (p.type().dtype() == dev.mithril.runtime.DType.F32) m.addStatement("$T.copyInto($L, $L)", Nd4jRenderer.BRIDGE, names.tensor(p), names.array(p));
        }
        for (Node n : graph.nodes()) if (!backward.contains(n)) statements.add(m, n);
        m.addStatement("trained = true");
        m.addStatement("$T outputs = new $T<>()", STRING_TENSOR_MAP, LinkedHashMap.class);
        for (var e : forwardOutputs().entrySet()) m.addStatement("outputs.put($S, $T.view($L))", e.getKey(), Nd4jRenderer.BRIDGE, names.array(e.getValue()));
        m.addStatement("return $T.unmodifiableMap(outputs)", Collections.class);
        type.addMethod(m.build());
    }

    private void backward() {
        MethodSpec.Builder m = MethodSpec.methodBuilder("backward").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                .addParameter(STRING_TENSOR_MAP, "outputGradients")
                .addStatement("if (!trained) throw new $T($S)", IllegalStateException.class, className + ".backward: call forwardTrain first")
                .addStatement("checkOutputGradients(outputGradients)");
        Nd4jRenderer.inputChecks(m, forwardInputs, names, graph.dimensionNames(), graph.name(), false);
        for (var e : training.outputGradients().entrySet()) {
            m.addStatement("$T $L = outputGradient(outputGradients, $S, $L)", Nd4jRenderer.INDARRAY, names.array(e.getValue()), e.getKey(),
                    names.array(graph.outputs().get(e.getKey())));
        }
        List<Node> steps = graph.nodes().stream().filter(n -> backward.contains(n) && computed(n)).toList();
        guardLocal.putAll(ModelScaffold.guardLocals(m, steps.stream().map(feeds::get).toList(), names::unique));
        // Consecutive steps under the same guard share one block; a value read outside its block is declared before the first.
        Map<Node, Integer> blockOf = new IdentityHashMap<>();
        int block = 0;
        String last = null;
        for (Node n : steps) {
            if (last != null && !guard(n).equals(last)) block++;
            blockOf.put(n, block);
            last = guard(n);
        }
        Set<Node> results = Collections.newSetFromMap(new IdentityHashMap<>());
        results.addAll(graph.outputs().values());
        List<String> early = new ArrayList<>();
        for (Node n : steps) {
            boolean crosses = results.contains(n);
            for (Node u : steps) if (u.inputs().contains(n) && !blockOf.get(u).equals(blockOf.get(n))) crosses = true;
            if (crosses) early.add(names.array(n));
        }
        for (String a : early) m.addStatement("$T $L = null", Nd4jRenderer.INDARRAY, a);
        statements.assignOnly(early);
        // A parameter's gradient is added into its accumulator as soon as it is computed; one that is an output gradient
        // itself (nothing computed on the way) at the end.
        Map<Node, List<String>> accumulateAfter = new IdentityHashMap<>();
        List<String> atEnd = new ArrayList<>();
        for (var e : training.parameterGradients().entrySet()) {
            Node g = graph.outputs().get(e.getValue());
            if (steps.contains(g)) accumulateAfter.computeIfAbsent(g, k -> new ArrayList<>()).add(e.getKey());
            else atEnd.add(e.getKey());
        }
        String open = null;
        for (Node n : steps) {
            String g = guard(n);
            if (!g.equals(open)) {
                if (open != null) m.endControlFlow();
                m.beginControlFlow("if ($L)", g);
                open = g;
            }
            statements.add(m, n);
            for (String p : accumulateAfter.getOrDefault(n, List.of())) accumulate(m, p, g);
        }
        if (open != null) m.endControlFlow();
        for (String p : atEnd) accumulate(m, p, null);
        m.addStatement("inputGradients.clear()");
        for (var e : training.inputGradients().entrySet()) {
            String out = e.getValue();
            m.addStatement("if ($L) inputGradients.put($S, $T.view($L))", flagOf.get(out), e.getKey(), Nd4jRenderer.BRIDGE,
                    names.array(graph.outputs().get(out)));
        }
        type.addMethod(m.build());
    }

    /** {@code if (wTrainable) Nd4jBridge.addInto(wGrad, d_w)}; no {@code if} when the enclosing {@code guard} is that flag. */
    private void accumulate(MethodSpec.Builder m, String parameter, String guard) {
        String out = training.parameterGradients().get(parameter);
        CodeBlock add = CodeBlock.of("$T.addInto($L, $L)", Nd4jRenderer.BRIDGE, gradField.get(parameter), names.array(graph.outputs().get(out)));
        if (flagOf.get(out).equals(guard)) m.addStatement("$L", add);
        else m.addStatement("if ($L) $L", flagOf.get(out), add);
    }

    /** The run-time condition under which backward node {@code n} is needed: any gradient it feeds is wanted. */
    private String guard(Node n) {
        String local = guardLocal.get(feeds.get(n));
        return local != null ? local : String.join(" || ", feeds.get(n));
    }

    private void accessors() {
        ModelScaffold.gradientMaps(type);
        MethodSpec.Builder zero = MethodSpec.methodBuilder("zeroGrad").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC);
        for (String f : gradField.values()) zero.addStatement("$T.fill($L.data(), 0f)", java.util.Arrays.class, f);
        type.addMethod(zero.build());
        ModelScaffold.trainableSwitches(type, training, flagOf, forwardInputs, className);
    }
}
