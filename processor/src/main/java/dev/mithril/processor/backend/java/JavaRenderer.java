package dev.mithril.processor.backend.java;

import com.squareup.javapoet.ClassName;
import com.squareup.javapoet.CodeBlock;
import com.squareup.javapoet.FieldSpec;
import com.squareup.javapoet.JavaFile;
import com.squareup.javapoet.MethodSpec;
import com.squareup.javapoet.ParameterizedTypeName;
import com.squareup.javapoet.TypeName;
import com.squareup.javapoet.TypeSpec;
import dev.mithril.dsl.Backend;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.processor.BufferPlan;
import dev.mithril.processor.Program;
import dev.mithril.processor.backend.InputChecks;
import dev.mithril.processor.backend.ModelScaffold;
import dev.mithril.processor.backend.Renderer;
import dev.mithril.processor.ops.Expr;
import dev.mithril.runtime.DType;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.lang.model.element.Modifier;

/**
 * Renders a program as a Java class over the runtime's Vector API kernels. Without a buffer plan every
 * node is one allocating kernel call ({@code Kernels.relu(x)}); with one, nodes write their planned
 * buffers ({@code Kernels.reluInto(x, h1)}), allocated on the first call and again only when bound
 * dimensions change; fused nodes become GEMM epilogues and generated loops.
 */
public final class JavaRenderer implements Renderer {
    static final ClassName TENSOR = ClassName.get("dev.mithril.runtime", "Tensor");
    static final ClassName PACKED = ClassName.get("dev.mithril.runtime", "PackedWeights");
    static final ClassName BASE = ClassName.get("dev.mithril.runtime", "AbstractCompiledModel");
    static final ClassName VECTOR_SPECIES = ClassName.get("jdk.incubator.vector", "VectorSpecies");

    public Backend backend() { return Backend.JAVA; }

    public JavaFile render(Program program, String packageName, String className, ClassName modelInterface) {
        return new Writer(program, null, packageName, className, modelInterface).write();
    }

    @Override public JavaFile render(Program inference, Program training, String packageName, String className, ClassName modelInterface) {
        return new Writer(inference, training, packageName, className, modelInterface).write();
    }

    /** An expression as math over node names, for comments: {@code tanh(m * b + 1.0)}. */
    static String describe(Expr e, List<Node> inputs) {
        return switch (e) {
            case Expr.Leaf l -> inputs.get(l.index()).name();
            case Expr.Literal l -> Float.toString(l.value());
            case Expr.Apply a -> {
                List<String> x = a.args().stream().map(arg -> describe(arg, inputs)).toList();
                yield switch (a.kind()) {
                    case "add" -> "(" + x.get(0) + " + " + x.get(1) + ")";
                    case "sub" -> "(" + x.get(0) + " - " + x.get(1) + ")";
                    case "mul" -> "(" + x.get(0) + " * " + x.get(1) + ")";
                    case "div" -> "(" + x.get(0) + " / " + x.get(1) + ")";
                    default -> a.kind() + "(" + String.join(", ", x) + ")";
                };
            }
        };
    }

    /** {@link InputChecks#add} over the inputs' {@code Tensor} parameters. */
    static void inputChecks(MethodSpec.Builder m, List<Node> inputs, JavaNames names, List<String> dimSymbols, String model,
                            boolean checks) {
        InputChecks.add(m, inputs, names::of, names, dimSymbols, model, checks);
    }

    /**
     * The body of a plan method: one array per buffer, as large as its largest user, and each planned node a
     * prefix view of its buffer at the node's shape.
     */
    static void allocate(MethodSpec.Builder m, BufferPlan plan, Graph graph, JavaNames names) {
        for (int b = 0; b < plan.bufferCount(); b++) {
            String element = plan.dtypes().get(b) == DType.F64 ? "double" : "float";
            m.addStatement("$L[] buffer$L = new $L[$L]", element, b, element, names.code(plan.sizes().get(b)));
        }
        for (var e : plan.bufferOf().entrySet()) {
            Node n = graph.node(e.getKey());
            m.addStatement("$L = $T.view(buffer$L$L)", names.of(n), TENSOR, e.getValue(),
                    n.type().rank() == 0 ? "" : ", " + names.codes(n.type().dims()));
        }
    }

    /** {@code Tensor.of(new float[] {...}, shape)}, or {@code new double[]} for a float64 constant (its float values widened). */
    static CodeBlock constant(Node n, Constant c) {
        float[] v = c.values();
        boolean f64 = n.type().dtype() == DType.F64;
        String values = java.util.stream.IntStream.range(0, v.length).mapToObj(i -> f64 ? doubleLiteral(v[i]) : JavaNames.literal(v[i]))
                .collect(Collectors.joining(", "));
        String shape = n.type().dims().stream().map(d -> Long.toString(d.value())).collect(Collectors.joining(", "));
        return CodeBlock.of("$T.of(new $L[] {$L}$L)", TENSOR, f64 ? "double" : "float", values, shape.isEmpty() ? "" : ", " + shape);
    }

    /** A Java double literal of exactly the value of float {@code v}. */
    static String doubleLiteral(float v) {
        if (Float.isNaN(v)) return "Double.NaN";
        if (Float.isInfinite(v)) return v > 0 ? "Double.POSITIVE_INFINITY" : "Double.NEGATIVE_INFINITY";
        return Double.toString(v);
    }

    /** The state of rendering one class. */
    private static final class Writer {
        private final Program program;
        private final Graph graph;
        private final BufferPlan plan;
        private final String packageName, className;
        private final ClassName modelInterface, self;
        private final JavaNames names;
        private final List<String> dimSymbols;
        private final TypeSpec.Builder type;
        private final Statements statements;

        private final Program training;

        Writer(Program program, Program training, String packageName, String className, ClassName modelInterface) {
            this.program = program;
            this.training = training;
            this.graph = program.graph();
            this.plan = program.buffers();
            this.packageName = packageName;
            this.className = className;
            this.modelInterface = modelInterface;
            this.self = ClassName.get(packageName, className);
            this.dimSymbols = graph.dimensionNames();
            this.names = new JavaNames(graph.nodes(), dimSymbols);
            for (Node n : graph.nodes()) {
                if (n.type().dtype() != DType.F32 && n.type().dtype() != DType.F64 && !(n.type().dtype() == DType.I64 && LayerStatements.rendersInt64(n))) throw new IllegalArgumentException("backend JAVA renders float32 and float64 models only; node '"
                        + n.name() + "' of model '" + graph.name() + "' is " + n.type());
            }
            this.type = TypeSpec.classBuilder(className);
            this.statements = new Statements(program, names, type);
        }

        JavaFile write() {
            ModelScaffold.declare(type, BASE, modelInterface, classDoc());
            fields();
            type.addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE).build());
            factories();
            // fold() is written while rendering forward, so the methods that call it come after it.
            if (!program.packedWeights().isEmpty() && !folds()) packing();
            forward();
            if (folds()) packing();
            if (plan != null && !plan.bufferOf().isEmpty()) planMethod();
            evaluate();
            names();
            if (!graph.inputs().isEmpty()) shapeError();
            boolean trainingSpecies = false, trainingSpecies64 = false;
            if (training != null) {
                TrainingWriter t = new TrainingWriter(training, names, graph, type, className);
                t.write();
                trainingSpecies = t.species();
                trainingSpecies64 = t.species64();
            }
            statements.finish(trainingSpecies, trainingSpecies64);
            return ModelScaffold.file(packageName, type.build(), graph);
        }

        private CodeBlock classDoc() {
            CodeBlock.Builder d = ModelScaffold.classDoc(program, Backend.JAVA.name().toLowerCase());
            if (plan != null) d.add("<p>$L buffers, allocated on the first call$L; outputs are these buffers, valid until the next call.\n",
                    plan.bufferCount(), dimSymbols.isEmpty() ? "" : " and again when " + String.join(" or ", dimSymbols) + " changes");
            if (!program.packedWeights().isEmpty()) d.add("<p>Weights are packed for the GEMM kernel on {@link #initialize} and "
                    + "{@code load}; after writing {@link #parameters()} directly, call {@link #repack()}.\n");
            if (folds()) d.add("<p>Batch norms are folded into the convolutions before them on {@link #initialize}, {@code load} and "
                    + "{@code parametersChanged()}, and again when {@code forwardTrain} has moved their running statistics.\n");
            return d.build();
        }

        private void fields() {
            for (Node n : graph.nodes()) {
                if (n.op() instanceof Parameter p) {
                    int[] shape = fixedShape(n);
                    String dims = join(shape);
                    CodeBlock init = ModelScaffold.parameterInitializer(p, dims);
                    type.addField(FieldSpec.builder(TENSOR, names.of(n), Modifier.PRIVATE, Modifier.FINAL).initializer(init).build());
                } else if (n.op() instanceof Constant c) {
                    CodeBlock init = constant(n, c);
                    type.addField(FieldSpec.builder(TENSOR, names.of(n), Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                            .initializer(init).build());
                }
            }
            for (String w : program.packedWeights()) {
                type.addField(FieldSpec.builder(LayerStatements.isConvolution(graph.node(w)) ? LayerStatements.PACKED_CONV : PACKED,
                        names.of(w) + "Packed", Modifier.PRIVATE).build());
            }
            if (plan != null) {
                for (String s : plannedDims()) type.addField(FieldSpec.builder(TypeName.INT, planned(s), Modifier.PRIVATE).initializer("-1").build());
                if (plannedDims().isEmpty() && !plan.bufferOf().isEmpty())
                    type.addField(FieldSpec.builder(TypeName.BOOLEAN, "planned", Modifier.PRIVATE).build());
                for (String n : plan.bufferOf().keySet())
                    type.addField(FieldSpec.builder(TENSOR, names.of(n), Modifier.PRIVATE).build());
            }
        }

        private void factories() { ModelScaffold.factories(type, self); }

        /** Whether parameters have derived copies (packed weights, folded batch norms) that {@code repack()} rebuilds. */
        private boolean hasPacking() { return !program.packedWeights().isEmpty() || folds(); }

        private void packing() {
            MethodSpec.Builder repack = MethodSpec.methodBuilder("repack").addModifiers(Modifier.PUBLIC)
                    .addJavadoc(folds() ? "Folds batch norms into convolutions$L; needed after writing parameters directly.\n"
                            : "Packs the layers' weights for the GEMM kernel; needed after writing parameters directly.\n",
                            program.packedWeights().isEmpty() ? "" : " and packs the layers' weights for the GEMM kernel");
            for (String w : program.packedWeights()) {
                Node n = graph.node(w);
                if (LayerStatements.isConvolution(n)) {
                    // A weight folded from a batch norm is prepacked by fold(), right after it is computed.
                    if (!LayerStatements.foldsNorm(n)) {
                        repack.addStatement("$LPacked = $T.prepack($L, $L)", names.of(w), LayerStatements.CONV, names.of(n.input(1)),
                                LayerStatements.groups(n));
                    }
                    continue;
                }
                int[] s = fixedShape(n);
                repack.addStatement("$LPacked = $T.pack($L.$L(), 0, $L, $L)", names.of(w), Statements.GEMM, names.of(w),
                        graph.node(w).type().dtype() == DType.F64 ? "doubles" : "data", s[0], s[1]);
            }
            MethodSpec fold = statements.layers().foldMethod();
            if (fold != null) {
                repack.addStatement("fold()");
                type.addMethod(fold);
            }
            if (training != null) repack.addStatement("packingStale = false");
            type.addMethod(repack.build());
            type.addMethod(MethodSpec.methodBuilder("initialize").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .addParameter(TypeName.LONG, "seed")
                    .addStatement("super.initialize(seed)").addStatement("repack()").build());
            type.addMethod(MethodSpec.methodBuilder("load").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .addParameter(ParameterizedTypeName.get(ClassName.get(Map.class), ClassName.get(String.class), TENSOR), "tensors")
                    .addParameter(String.class, "prefix")
                    .addStatement("super.load(tensors, prefix)").addStatement("repack()").build());
            if (training != null) {
                // An optimizer step writes the parameters in place: the packed copies must follow, but only
                // when inference next needs them (training reads the parameters themselves), so a training
                // loop does not pay for packing on every step.
                type.addField(FieldSpec.builder(TypeName.BOOLEAN, "packingStale", Modifier.PRIVATE).build());
                type.addMethod(MethodSpec.methodBuilder("parametersChanged").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                        .addJavadoc("Marks the packed weights stale; the next {@link #forward} packs them again.\n")
                        .addStatement("packingStale = true").build());
            }
        }

        private void forward() {
            MethodSpec.Builder m = MethodSpec.methodBuilder("forward").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC);
            List<Node> inputs = graph.inputs();
            for (Node in : inputs) m.addParameter(TENSOR, names.of(in));
            boolean single = graph.outputs().size() == 1;
            m.returns(single ? TENSOR : modelInterface.nestedClass("Outputs"));
            inputChecks(m, inputs);
            if (training != null && hasPacking()) m.addStatement("if (packingStale) repack()");
            if (plan != null && !plan.bufferOf().isEmpty()) {
                List<String> pd = plannedDims();
                if (pd.isEmpty()) m.addStatement("if (!planned) plan()");
                else m.addStatement("if ($L) plan($L)",
                        pd.stream().map(s -> names.dim(s) + " != " + planned(s)).collect(Collectors.joining(" || ")),
                        pd.stream().map(names::dim).collect(Collectors.joining(", ")));
            }
            for (Node n : graph.nodes()) statements.add(m, n);
            List<String> outs = graph.outputs().values().stream().map(names::of).toList();
            if (single) m.addStatement("return $L", outs.get(0));
            else m.addStatement("return new $T($L)", modelInterface.nestedClass("Outputs"), String.join(", ", outs));
            type.addMethod(m.build());
        }

        private void inputChecks(MethodSpec.Builder m, List<Node> inputs) {
            JavaRenderer.inputChecks(m, inputs, names, dimSymbols, graph.name(), true);
        }

        private void shapeError() { ModelScaffold.shapeError(type, className); }

        private void planMethod() {
            List<String> pd = plannedDims();
            MethodSpec.Builder m = MethodSpec.methodBuilder("plan").addModifiers(Modifier.PRIVATE)
                    .addJavadoc("Allocates the $L planned buffers and the tensors that view them.\n", plan.bufferCount());
            for (String s : pd) m.addParameter(TypeName.INT, names.dim(s));
            allocate(m, plan, graph, names);
            statements.layers().allocateHolders(m);
            for (String s : pd) m.addStatement("this.$L = $L", planned(s), names.dim(s));
            if (pd.isEmpty()) m.addStatement("planned = true");
            type.addMethod(m.build());
        }

        private void evaluate() { ModelScaffold.evaluate(type, graph, modelInterface); }

        private void names() {
            TypeName listOfString = ParameterizedTypeName.get(List.class, String.class);
            // Constants, not List.of per call: the training step checks names every call and must allocate nothing.
            type.addField(FieldSpec.builder(listOfString, "INPUT_NAMES", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                    .initializer("$T.of($L)", List.class, ModelScaffold.quoted(graph.inputs().stream().map(Node::name).toList())).build());
            type.addField(FieldSpec.builder(listOfString, "OUTPUT_NAMES", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                    .initializer("$T.of($L)", List.class, ModelScaffold.quoted(List.copyOf(graph.outputs().keySet()))).build());
            type.addMethod(MethodSpec.methodBuilder("inputNames").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(listOfString).addStatement("return INPUT_NAMES").build());
            type.addMethod(MethodSpec.methodBuilder("outputNames").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(listOfString).addStatement("return OUTPUT_NAMES").build());
            type.addMethod(MethodSpec.methodBuilder("backend").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(String.class).addStatement("return $S", Backend.JAVA.name().toLowerCase()).build());
            type.addMethod(MethodSpec.methodBuilder("level").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(String.class).addStatement("return $S", program.level().name().toLowerCase()).build());
        }

        /** Whether the program folds batch norms into convolutions (see {@link LayerStatements}). */
        private boolean folds() {
            return graph.nodes().stream().anyMatch(n -> n.op() instanceof dev.mithril.processor.ops.FusedConv2d f && f.norm() != null);
        }

        /** Dimension names the buffer sizes depend on. */
        private List<String> plannedDims() { return ModelScaffold.plannedDims(plan, graph, dimSymbols, List.of()); }

        private String planned(String symbol) {
            String d = names.dim(symbol);
            return "planned" + Character.toUpperCase(d.charAt(0)) + d.substring(1);
        }

        private static int[] fixedShape(Node n) {
            return n.type().dims().stream().mapToInt(d -> Math.toIntExact(d.value())).toArray();
        }

        private static String join(int[] shape) {
            return java.util.Arrays.stream(shape).mapToObj(Integer::toString).collect(Collectors.joining(", "));
        }

    }
}
