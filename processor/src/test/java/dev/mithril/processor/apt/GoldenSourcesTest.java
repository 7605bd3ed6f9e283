package dev.mithril.processor.apt;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.testing.compile.Compilation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The MLP's generated classes, one per level, equal the golden files in
 * {@code src/test/resources/golden/} byte for byte (and compile, which compile-testing checks).
 *
 * <p>After an intended change to the generated code, regenerate the goldens and read the diff before
 * committing it:
 * <pre>{@code
 * ./mvnw -o -pl processor test -Dtest=GoldenSourcesTest -Dmithril.updateGolden=true
 * git diff processor/src/test/resources/golden
 * }</pre>
 */
class GoldenSourcesTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    private static Compilation mlp;

    @BeforeAll
    static void compileMlp() {
        mlp = Sources.compile(ProcessorModelsTest.MLP);
    }

    @ParameterizedTest
    @ValueSource(strings = {"MlpModel", "MlpJavaNone", "MlpJavaBasic", "MlpJavaFull"})
    void generatedSourceEqualsGolden(String simpleName) throws IOException {
        assertThat(mlp).succeeded();
        String generated = mlp.generatedSourceFile("test." + simpleName)
                .orElseThrow(() -> new AssertionError("test." + simpleName + " was not generated"))
                .getCharContent(true).toString();
        Path golden = GOLDEN.resolve(simpleName + ".java");
        if (Boolean.getBoolean("mithril.updateGolden")) Files.writeString(golden, generated);
        assertTrue(Files.exists(golden), golden.toAbsolutePath() + " is missing; run with -Dmithril.updateGolden=true to write it");
        assertEquals(Files.readString(golden), generated, "generated " + simpleName + " differs from " + golden);
    }
}
