package dev.mithril.processor.backend.nd4j;

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
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import javax.lang.model.element.Modifier;

/**
 * Renders a program as a Java class over ND4J's {@code INDArray}. Parameters stay Mithril tensors and are
 * copied into INDArrays by {@code syncParameters()}; inputs are copied in, outputs are returned as tensors
 * viewing ND4J's memory ({@code dev.mithril.nd4j.Nd4jBridge}). Without a buffer plan every node is one
 * allocating ND4J call; with one, nodes write preallocated arrays (views of the planned buffers) through
 * ND4J's ops with an explicit output, in place where the plan says so; fused linear nodes put the bias
 * into the GEMM and apply the activation in place. ND4J is referenced only by name: the processor does not
 * depend on it, the generated class needs {@code dev.mithril:mithril-nd4j}.
 */
public final class Nd4jRenderer implements Renderer {
    /** The class generated ND4J code needs; its absence means {@code mithril-nd4j} is not on the class path. */
    public static final String BRIDGE_CLASS = "dev.mithril.nd4j.Nd4jBridge";
    /** The error for a model that asks for ND4J without it; the annotation processor and {@code Mithril.compile} both give it. */
    public static final String MISSING_BACKEND = "[MithrilMissingBackend] backend ND4J needs dev.mithril:mithril-nd4j on the classpath";

    static final ClassName TENSOR = ClassName.get("dev.mithril.runtime", "Tensor");
    static final ClassName INDARRAY = ClassName.get("org.nd4j.linalg.api.ndarray", "INDArray");
    static final ClassName ND4J = ClassName.get("org.nd4j.linalg.factory", "Nd4j");
    static final ClassName DATA_TYPE = ClassName.get("org.nd4j.linalg.api.buffer", "DataType");
    static final ClassName BRIDGE = ClassName.get("dev.mithril.nd4j", "Nd4jBridge");
    static final ClassName OPS = ClassName.get("dev.mithril.nd4j", "Nd4jOps");
    static final ClassName BASE = ClassName.get("dev.mithril.nd4j", "Nd4jModel");

    public Backend backend() { return Backend.ND4J; }

    public JavaFile render(Program program, String packageName, String className, ClassName modelInterface) {
        return new Writer(Nd4jLowering.lower(program), null, packageName, className, modelInterface).write();
    }

    /** The class with its training half ({@code Trainable}), rendered by {@link Nd4jTrainingWriter} from {@code training}. */
    @Override public JavaFile render(Program inference, Program training, String packageName, String className, ClassName modelInterface) {
        return new Writer(Nd4jLowering.lower(inference), training == null ? null : Nd4jLowering.lowerUnplanned(training),
                packageName, className, modelInterface).write();
    }

    /**
     * Whether {@code loader} can load the ND4J bridge. @throws IllegalStateException with
     * {@link #MISSING_BACKEND} when it cannot
     */
    public static void requireBridge(ClassLoader loader) {
        try {
            Class.forName(BRIDGE_CLASS, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalStateException(MISSING_BACKEND, e);
        }
    }

    /** {@link InputChecks#add} over the inputs' {@code Tensor} parameters. */
    static void inputChecks(MethodSpec.Builder m, List<Node> inputs, Nd4jNames names, List<String> dimSymbols, String model, boolean check) {
        InputChecks.add(m, inputs, names::tensor, names, dimSymbols, model, check);
    }

    /** The field holding constant node {@code n}. */
    static FieldSpec constantField(Nd4jNames names, Node n, Constant c) {
        float[] v = c.values();
        String values = java.util.stream.IntStream.range(0, v.length).mapToObj(i -> Nd4jNames.literal(v[i])).collect(Collectors.joining(", "));
        return FieldSpec.builder(INDARRAY, names.array(n), Modifier.PRIVATE, Modifier.FINAL)
                .initializer("$T.constant(new float[] {$L}, $L)", BRIDGE, values, names.shape(n.type().dims())).build();
    }

    /** The state of rendering one class. */
    private static final class Writer {
        private final Program program;
        private final Program training;
        private final String untrainable; // why the training half is not rendered, or null
        private final Graph graph;
        private final BufferPlan plan;
        private final String packageName, className;
        private final ClassName modelInterface, self;
        private final Nd4jNames names;
        private final List<String> dimSymbols;
        private final TypeSpec.Builder type;

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
            this.names = new Nd4jNames(graph.nodes(), dimSymbols);
            requireF32(graph);
            if (training != null) requireF32(training.graph());
            this.untrainable = training == null ? null : Nd4jTrainingWriter.unsupported(training);
            this.type = TypeSpec.classBuilder(className);
        }

        private static void requireF32(Graph g) {
            for (Node n : g.nodes()) {
                if (n.type().dtype() != DType.F32 && n.type().dtype() != DType.I64) throw new IllegalArgumentException(
                        "backend ND4J renders float32 models (with int64 ids) only; node '" + n.name() + "' of model '" + g.name() + "' is " + n.type());
            }
        }

        private boolean planned() { return plan != null; }

        /** Whether the class gets its training half. */
        private boolean trains() { return training != null && untrainable == null; }

        JavaFile write() {
            ModelScaffold.declare(type, BASE, modelInterface, classDoc());
            fields();
            type.addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE).build());
            ModelScaffold.factories(type, self);
            sync();
            forward();
            if (planned()) planMethod();
            ModelScaffold.evaluate(type, graph, modelInterface);
            names();
            if (!graph.inputs().isEmpty()) ModelScaffold.shapeError(type, className);
            if (untrainable != null) {
                type.addMethod(MethodSpec.methodBuilder("whyNotTrainable").addAnnotation(Override.class).addModifiers(Modifier.PROTECTED)
                        .returns(String.class).addStatement("return $S", untrainable).build());
            } else if (training != null) {
                // An optimizer writes the parameter tensors in place; forward copies them again once told so.
                type.addField(FieldSpec.builder(TypeName.BOOLEAN, "parametersStale", Modifier.PRIVATE).build());
                type.addMethod(MethodSpec.methodBuilder("parametersChanged").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                        .addJavadoc("Marks the ND4J copies of the parameters stale; the next {@link #forward} copies them again.\n")
                        .addStatement("parametersStale = true").build());
                new Nd4jTrainingWriter(training, names, graph, type, className).write();
            }
            return ModelScaffold.file(packageName, type.build(), graph);
        }

        private CodeBlock classDoc() {
            CodeBlock.Builder d = ModelScaffold.classDoc(program, "nd4j");
            if (planned()) d.add("<p>$L buffers (ND4J arrays), allocated on the first call$L; outputs view them, valid until the next call.\n",
                    plan.bufferCount(), plannedDims().isEmpty() ? "" : " and again when " + String.join(" or ", plannedDims().stream().toList()) + " changes");
            d.add("<p>Parameters are copied into ND4J arrays on {@link #initialize} and {@code load}; after writing "
                    + "{@link #parameters()} directly, call {@link #syncParameters()}.\n");
            return d.build();
        }

        private void fields() {
            for (Node n : graph.nodes()) {
                if (n.op() instanceof Parameter p) {
                    String dims = n.type().dims().stream().map(names::code).collect(Collectors.joining(", "));
                    // The Java backend's initializers, so that create(seed) gives the same model on both backends.
                    CodeBlock init = ModelScaffold.parameterInitializer(p, dims);
                    type.addField(FieldSpec.builder(TENSOR, names.tensor(n), Modifier.PRIVATE, Modifier.FINAL).initializer(init).build());
                    type.addField(FieldSpec.builder(INDARRAY, names.array(n), Modifier.PRIVATE).build());
                } else if (n.op() instanceof Constant c) {
                    type.addField(constantField(names, n, c));
                }
            }
            if (planned()) {
                for (String s : plannedDims()) type.addField(FieldSpec.builder(TypeName.INT, plannedField(s), Modifier.PRIVATE).initializer("-1").build());
                if (plannedDims().isEmpty()) type.addField(FieldSpec.builder(TypeName.BOOLEAN, "planned", Modifier.PRIVATE).build());
                for (Node in : graph.inputs()) type.addField(FieldSpec.builder(INDARRAY, names.array(in), Modifier.PRIVATE).build());
                for (String n : plan.bufferOf().keySet()) type.addField(FieldSpec.builder(INDARRAY, names.array(n), Modifier.PRIVATE).build());
            }
        }

        private void sync() {
            MethodSpec.Builder m = MethodSpec.methodBuilder("syncParameters").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC);
            for (Node n : graph.parameters()) m.addStatement("$L = $T.toNd4j($L)", names.array(n), BRIDGE, names.tensor(n));
            if (trains()) m.addStatement("parametersStale = false");
            type.addMethod(m.build());
        }

        private void forward() {
            MethodSpec.Builder m = MethodSpec.methodBuilder("forward").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC);
            List<Node> inputs = graph.inputs();
            for (Node in : inputs) m.addParameter(TENSOR, names.tensor(in));
            boolean single = graph.outputs().size() == 1;
            m.returns(single ? TENSOR : modelInterface.nestedClass("Outputs"));
            inputChecks(m, inputs, names, dimSymbols, graph.name(), true);
            if (trains()) m.addStatement("if (parametersStale) syncParameters()");
            if (planned()) {
                List<String> pd = plannedDims();
                if (pd.isEmpty()) m.addStatement("if (!planned) plan()");
                else m.addStatement("if ($L) plan($L)", pd.stream().map(s -> names.dim(s) + " != " + plannedField(s)).collect(Collectors.joining(" || ")),
                        pd.stream().map(names::dim).collect(Collectors.joining(", ")));
                for (Node in : inputs) {
                    if (in.type().dtype() == DType.F32) m.addStatement("$T.copyInto($L, $L)", BRIDGE, names.tensor(in), names.array(in));
                    else m.addStatement("$L = $T.toNd4j($L)", names.array(in), BRIDGE, names.tensor(in));
                }
            } else {
                for (Node in : inputs) m.addStatement("$T $L = $T.toNd4j($L)", INDARRAY, names.array(in), BRIDGE, names.tensor(in));
            }
            Nd4jStatements statements = new Nd4jStatements(program, names);
            for (Node n : graph.nodes()) statements.add(m, n);
            CodeBlock outs = CodeBlock.join(graph.outputs().values().stream().map(n -> CodeBlock.of("$T.view($L)", BRIDGE, names.array(n))).toList(), ", ");
            if (single) m.addStatement("return $L", outs);
            else m.addStatement("return new $T($L)", modelInterface.nestedClass("Outputs"), outs);
            type.addMethod(m.build());
        }

        /** Allocates one ND4J array per buffer and one per input; every planned node is a view of its buffer with its own shape. */
        private void planMethod() {
            List<String> pd = plannedDims();
            MethodSpec.Builder m = MethodSpec.methodBuilder("plan").addModifiers(Modifier.PRIVATE)
                    .addJavadoc("Allocates the $L planned buffers, the input arrays, and the arrays that view the buffers.\n", plan.bufferCount());
            for (String s : pd) m.addParameter(TypeName.INT, names.dim(s));
            List<String> buffers = new ArrayList<>();
            for (int b = 0; b < plan.bufferCount(); b++) {
                String local = names.unique("buffer" + b);
                buffers.add(local);
                m.addStatement("$T $L = $T.createUninitialized($T.FLOAT, $L)", INDARRAY, local, ND4J, DATA_TYPE,
                        names.shape(List.of(plan.sizes().get(b))));
            }
            for (Node in : graph.inputs()) {
                if (in.type().dtype() == DType.F32)
                    m.addStatement("$L = $T.createUninitialized($T.FLOAT, $L)", names.array(in), ND4J, DATA_TYPE, names.shape(in.type().dims()));
            }
            for (var e : plan.bufferOf().entrySet()) {
                Node n = graph.node(e.getKey());
                String over = plan.inPlace().get(n.name());
                // A node written in place of its operand is the operand's array itself, so ops see the aliasing.
                if (over != null && graph.node(over).type().dims().equals(n.type().dims())) m.addStatement("$L = $L", names.array(n), names.array(over));
                else m.addStatement("$L = view($L, $L)", names.array(n), buffers.get(e.getValue()), names.shape(n.type().dims()));
            }
            for (String s : pd) m.addStatement("this.$L = $L", plannedField(s), names.dim(s));
            if (pd.isEmpty()) m.addStatement("planned = true");
            type.addMethod(m.build());
        }

        private void names() {
            TypeName listOfString = ParameterizedTypeName.get(List.class, String.class);
            type.addMethod(MethodSpec.methodBuilder("inputNames").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(listOfString).addStatement("return $T.of($L)", List.class, ModelScaffold.quoted(graph.inputs().stream().map(Node::name).toList())).build());
            type.addMethod(MethodSpec.methodBuilder("outputNames").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(listOfString).addStatement("return $T.of($L)", List.class, ModelScaffold.quoted(List.copyOf(graph.outputs().keySet()))).build());
            type.addMethod(MethodSpec.methodBuilder("backend").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(String.class).addStatement("return $S", "nd4j").build());
            type.addMethod(MethodSpec.methodBuilder("level").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
                    .returns(String.class).addStatement("return $S", program.level().name().toLowerCase()).build());
        }

        /** Dimension names the planned arrays' shapes depend on (inputs' arrays included). */
        private List<String> plannedDims() { return ModelScaffold.plannedDims(plan, graph, dimSymbols, graph.inputs()); }

        private String plannedField(String symbol) {
            String d = names.dim(symbol);
            return "planned" + Character.toUpperCase(d.charAt(0)) + d.substring(1);
        }
    }
}
