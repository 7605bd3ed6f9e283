package dev.mithril.examples.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.runtime.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The project's own ResNet fixtures ({@code src/test/fixtures}, written by the shared PyTorch generator through
 * {@code make_zoo_fixtures.py}): 4 images at 64x64, where batch norm in training mode is well conditioned, so every
 * group (training output, loss, all gradients, running statistics) is held to its tolerance at every level — what the
 * shared 2-image 32x32 fixtures cannot tell (see {@link VerifyCommandTest}).
 */
class ZooFixturesTest {
    private static final List<String> ALL_GROUPS = List.of("output.eval", "output.train", "loss.train", "grad.*", "after_train.*");

    static ReferenceFixture own(String name) {
        Path p = Path.of("src/test/fixtures", name + ".safetensors");
        assertTrue(Files.isRegularFile(p), "missing fixture " + p.toAbsolutePath());
        return ReferenceFixture.read(p);
    }

    @Test
    void resnet18TrainsLikePyTorchInFloat32AtEveryLevel() {
        check(own("resnet18_w8_b4_64"), DType.F32, 62, 40, FixtureCheck.TOLERANCE);
    }

    @Test
    void resnet50TrainsLikePyTorchInFloat64AtEveryLevel() {
        check(own("resnet50_w4_b4_64_f64"), DType.F64, 161, 106, FixtureCheck.TOLERANCE_F64);
    }

    private static void check(ReferenceFixture f, DType dtype, int grads, int runningStats, double tolerance) {
        assertEquals(dtype, FixtureCheck.floatTypeOf(f));
        for (Level level : Level.values()) {
            List<FixtureCheck.Result> results = FixtureCheck.run(f, Backend.JAVA, level);
            assertEquals(ALL_GROUPS, results.stream().map(FixtureCheck.Result::group).toList(), level.toString());
            for (FixtureCheck.Result r : results) {
                assertEquals(tolerance, r.tolerance());
                assertTrue(r.passed(), f.path().getFileName() + " " + level + " " + r);
            }
            assertEquals(grads, results.get(3).tensors(), "gradient tensors compared");
            assertEquals(runningStats, results.get(4).tensors(), "running statistics compared");
        }
    }
}
