package dev.mithril.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The build-time compile benchmark compiles what the build compiles, one level at a time. */
class BuildTimeCompilerTest {
    @Test
    void oneLevelIsGeneratedAndCompiled() {
        List<String> written = BuildTimeCompiler.of(Workload.MLP).compile(Level.BASIC, false);
        assertTrue(written.contains("dev.mithril.examples.MlpJavaBasic.java"), written.toString());
        assertTrue(written.contains("dev.mithril.examples.MlpJavaBasic.class"), written.toString());
        assertTrue(written.contains("dev.mithril.examples.MlpModel.class"), written.toString());
        assertFalse(written.stream().anyMatch(f -> f.contains("MlpJavaFull") || f.contains("MlpJavaNone")), written.toString());
        assertTrue(written.contains("META-INF/mithril/dev.mithril.examples.Mlp.ir"), "the processor's resource, kept in memory: " + written);
        assertFalse(Files.exists(Path.of("dev.mithril.examples.Mlp.ir")), "nothing written into the working directory");
    }

    @Test
    void processorOnlyWritesSourcesButNoClasses() {
        List<String> written = BuildTimeCompiler.of(Workload.RESNET18).compile(Level.NONE, true);
        assertTrue(written.contains("dev.mithril.examples.zoo.ResNet18JavaNone.java"), written.toString());
        assertTrue(written.stream().noneMatch(f -> f.endsWith(".class")), written.toString());
    }

    @Test
    void everyWorkloadHasItsAnnotatedSourcesAndTheLevelIsRewritten() {
        for (Workload w : Workload.values()) {
            BuildTimeCompiler c = BuildTimeCompiler.of(w);
            String full = c.sourceAt(Level.FULL);
            assertTrue(full.contains("@Model(backends = dev.mithril.dsl.Backend.JAVA, levels = dev.mithril.dsl.Level.FULL)"), w + ": " + full);
            assertEquals(1, full.split("@Model\\(", -1).length - 1, w + ": one @Model");
        }
        assertEquals(List.of("dev/mithril/examples/zoo/ResNet50.java", "dev/mithril/examples/zoo/Bottleneck.java",
                "dev/mithril/examples/zoo/BottleneckDownsample.java"), BuildTimeCompiler.of(Workload.RESNET50).files());
    }
}
