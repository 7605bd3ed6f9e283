package dev.mithril.processor.apt;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static dev.mithril.processor.apt.Sources.compile;
import static dev.mithril.processor.apt.Sources.model;

import com.google.testing.compile.Compilation;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * Every error lands on the user's line with a stable tag. Sources start with three lines (package,
 * imports); the body's first line is line 4.
 */
class ProcessorErrorsTest {
    /**
     * {@code test.Net}: {@code @Model} on line 4, {@code public interface Net} on line 5, input {@code x} of shape
     * {@code [batch, 4]} on line 6, then {@code members} from line 7, and the closing brace.
     */
    private static JavaFileObject net(String... members) {
        String[] body = new String[members.length + 4];
        body[0] = "@Model";
        body[1] = "public interface Net {";
        body[2] = "    @Input(shape = {\"batch\", \"4\"}) Tensor x();";
        System.arraycopy(members, 0, body, 3, members.length);
        body[body.length - 1] = "}";
        return model("test.Net", body);
    }

    /** Compiling {@code file} alone gives exactly one error, containing {@code message}, on {@code line}. */
    private static void assertOnlyError(JavaFileObject file, String message, int line) {
        Compilation c = compile(file);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining(message).inFile(file).onLine(line);
    }
    @Test
    void unknownInputNameIsReportedOnTheReadingMethod() {
        assertOnlyError(net("    @Output @Linear(out = 2) Tensor y(Tensor hidden);"),
                "[MithrilUnknownInput] 'y' reads 'hidden', but Net has no node or input named 'hidden' (it has: x, y)", 7);
    }

    @Test
    void linearInFeaturesThatDoNotMatchAreAShapeMismatch() {
        JavaFileObject mlp = model("test.Mlp",
                "@Model",
                "public interface Mlp {",
                "    @Input(shape = {\"batch\", \"784\"}) Tensor x();",
                "    @Linear(out = 512) @Relu Tensor h1(Tensor x);",
                "    @Output @Linear(in = 1024, out = 10) Tensor h2(Tensor h1);",
                "}");
        assertOnlyError(mlp, "[MithrilShapeMismatch] linear 'h2' expects 1024 input features (@Linear(in = 1024)); 'h1' gives 512 (float32[batch, 512])", 8);
    }

    @Test
    void shapeRuleErrorsOfTheGraphLandOnTheNodesMethod() {
        assertOnlyError(net(
                        "    @Input(shape = {\"batch\", \"3\"}) Tensor z();",
                        "    @Output @Add Tensor s(Tensor x, Tensor z);"),
                "[MithrilShapeMismatch] add 's' cannot broadcast 'x' [batch, 4] with 'z' [batch, 3]", 8);
    }

    @Test
    void cycleIsReportedOnceWithItsPath() {
        assertOnlyError(net(
                        "    @Relu Tensor a(Tensor b);",
                        "    @Relu Tensor b(Tensor a);",
                        "    @Output @Relu Tensor c(Tensor a);"),
                "[MithrilCycle] 'b' reads 'a', which depends on it: cycle a -> b -> a", 8);
    }

    @Test
    void modelWithoutOutputIsReportedOnTheInterface() {
        assertOnlyError(net("    @Relu Tensor y(Tensor x);"), "[MithrilMissingOutput] model 'Net' has no output", 5);
    }

    @Test
    void invalidAttributesPointAtTheirAnnotation() {
        JavaFileObject net = net(
                "    @Linear(out = 0) Tensor y(Tensor x);",
                "    @Output @Softmax(axis = 2) Tensor p(Tensor x);");
        Compilation c = compile(net);
        assertThat(c).hadErrorCount(2);
        assertThat(c).hadErrorContaining("[MithrilInvalidAttribute] linear 'y' has out = 0; output features must be positive")
                .inFile(net).onLine(7);
        assertThat(c).hadErrorContaining("[MithrilInvalidAttribute] softmax 'p' axis 2 is out of range for 'x' float32[batch, 4]")
                .inFile(net).onLine(8);
    }

    @Test
    void parameterNamesUsedTwiceAreDuplicateNodes() {
        JavaFileObject net = net(
                "    @Name(\"fc\") @Linear(out = 4) Tensor a(Tensor x);",
                "    @Output @Name(\"fc\") @Linear(out = 4) Tensor b(Tensor a);");
        Compilation c = compile(net);
        assertThat(c).hadErrorContaining("[MithrilDuplicateNode] node 'fc.weight' is defined twice").inFile(net).onLine(8);
    }

    @Test
    void overloadedNodeNamesAreDuplicateNodes() {
        assertOnlyError(net(
                        "    @Output @Relu Tensor y(Tensor x);",
                        "    @Add Tensor y(Tensor x, Tensor x2);"),
                "[MithrilDuplicateNode] node 'y' is declared twice in Net", 8);
    }

    @Test
    void nodesReturnTensors() {
        assertOnlyError(net("    @Output @Relu float[] y(Tensor x);"), "[MithrilUnsupportedReturnType] node 'y' returns float[]", 7);
    }

    @Test
    void elementTypesMustFitTheOperation() {
        JavaFileObject net = model("test.Net",
                "@Model",
                "public interface Net {",
                "    @Input(shape = {\"batch\", \"4\"}, dtype = \"int32\") Tensor ids();",
                "    @Output @Relu Tensor y(Tensor ids);",
                "}");
        assertOnlyError(net, "[MithrilDTypeMismatch] relu 'y' needs a floating-point input; 'ids' is int32[batch, 4]", 7);
    }

    @Test
    void errorsInsideAnEmbeddedModelLandOnTheEmbeddingMethod() {
        JavaFileObject block = model("test.Block",
                "@Model(generate = false)",
                "public interface Block {",
                "    @Hyper int width();",
                "    @Input(shape = {\"batch\", \"width\"}) Tensor x();",
                "    @Linear(outExpr = \"2*width\") @Relu Tensor fc1(Tensor x);",
                "    @Output @Linear(in = 16, out = 4) Tensor fc2(Tensor fc1);",
                "}");
        JavaFileObject net = net("    @Output @With({\"width=4\"}) Block block(Tensor x);");
        Compilation c = compile(block, net);
        assertThat(c).hadErrorCount(1);
        assertThat(c).hadErrorContaining("[MithrilShapeMismatch] linear 'block.fc2' expects 16 input features (@Linear(in = 16)); "
                + "'block.fc1' gives 8 (float32[batch, 8]) (in Block.fc2, embedded as 'block')").inFile(net).onLine(7);
    }

    @Test
    void embeddedInputsAreCheckedAgainstWhatIsBound() {
        JavaFileObject block = model("test.Block",
                "@Model(generate = false)",
                "public interface Block {",
                "    @Hyper int width();",
                "    @Input(shape = {\"batch\", \"width\"}) Tensor x();",
                "    @Output @Linear(outExpr = \"width\") Tensor fc(Tensor x);",
                "}");
        JavaFileObject net = net(
                "    @With({\"width=5\"}) Block first(Tensor x);",
                "    @Output Block second(Tensor x);");
        Compilation c = compile(block, net);
        assertThat(c).hadErrorCount(2);
        assertThat(c).hadErrorContaining("[MithrilShapeMismatch] 'first' binds 'x' float32[batch, 4] to Block's input 'x' float32[batch, 5]")
                .inFile(net).onLine(7);
        assertThat(c).hadErrorContaining("[MithrilInvalidModel] 'second' gives Block's hyperparameter 'width' no value")
                .inFile(net).onLine(8);
    }

    @Test
    void hyperparametersOfAGeneratedModelNeedDefaults() {
        JavaFileObject net = model("test.Net",
                "@Model",
                "public interface Net {",
                "    @Hyper int width();",
                "    @Input(shape = {\"batch\", \"4\"}) Tensor x();",
                "    @Output @Linear(outExpr = \"width + wdith\") Tensor y(Tensor x);",
                "}");
        Compilation c = compile(net);
        assertThat(c).hadErrorCount(2);
        assertThat(c).hadErrorContaining("[MithrilInvalidModel] hyperparameter 'width' of Net has no value").inFile(net).onLine(6);
        assertThat(c).hadErrorContaining("[MithrilInvalidAttribute] linear 'y' outExpr: cannot evaluate 'width + wdith': "
                + "'wdith' is not a hyperparameter (known: width)").inFile(net).onLine(8);
    }

    @Test
    void independentErrorsOfOneModelAreAllReported() {
        JavaFileObject net = net(
                "    @Linear(out = 8) @Relu Tensor h(Tensor hx);",
                "    @Linear(out = 8) @Add Tensor g(Tensor x);",
                "    @Output @Linear(out = 2) Tensor y(Tensor x);");
        Compilation c = compile(net);
        assertThat(c).hadErrorCount(2);
        assertThat(c).hadErrorContaining("[MithrilUnknownInput] 'h' reads 'hx'").inFile(net).onLine(7);
        assertThat(c).hadErrorContaining("[MithrilInvalidModel] node 'g' has more than one operation: @Linear, @Add").inFile(net).onLine(8);
    }

    @Test
    void aModelIsAnInterface() {
        JavaFileObject net = model("test.Net",
                "@Model",
                "public abstract class Net {",
                "    @Input(shape = {\"batch\", \"4\"}) abstract Tensor x();",
                "}");
        assertOnlyError(net, "[MithrilInvalidModel] @Model Net is a class", 5);
    }

    @Test
    void backendsWithoutARendererAreReportedOnTheModelAnnotation() {
        JavaFileObject net = model("test.Net",
                "@Model(backends = Backend.CUDA)",
                "public interface Net {",
                "    @Input(shape = {\"batch\", \"4\"}) Tensor x();",
                "    @Output @Relu Tensor y(Tensor x);",
                "}");
        assertOnlyError(net, "[MithrilInvalidAttribute] model Net: backend CUDA has no renderer yet", 4);
    }
}
