package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The machine facts {@link GemmTuning} reads: the L2 size from a sysfs-like tree, and the k depth chosen from it. */
class GemmTuningTest {
    @Test void cacheSizesAsSysfsWritesThem() {
        assertEquals(2L << 20, GemmTuning.cacheBytes("2048K\n"));
        assertEquals(1L << 20, GemmTuning.cacheBytes("1M"));
        assertEquals(48L << 10, GemmTuning.cacheBytes(" 48K"));
        assertEquals(512, GemmTuning.cacheBytes("512"));
        assertEquals(0, GemmTuning.cacheBytes(""));
        assertEquals(0, GemmTuning.cacheBytes("K"));
        assertEquals(0, GemmTuning.cacheBytes("2,048K"));
        assertEquals(0, GemmTuning.cacheBytes("-1M"));
        assertEquals(0, GemmTuning.cacheBytes("99999999999999999K"), "too many digits for a cache");
    }

    @Test void theLevelTwoDataOrUnifiedCacheIsTheOneRead(@TempDir Path dir) throws IOException {
        cache(dir, 0, "1", "Data", "48K");
        cache(dir, 1, "1", "Instruction", "32K");
        cache(dir, 2, "2", "Instruction", "64K"); // a split L2's instruction half is not the one
        cache(dir, 3, "2", "Unified", "1280K");
        cache(dir, 4, "3", "Unified", "491520K");
        assertEquals(1280L << 10, GemmTuning.l2Bytes(dir));
    }

    @Test void noLevelTwoOrUnreadableFilesMeanUnknown(@TempDir Path dir) throws IOException {
        assertEquals(0, GemmTuning.l2Bytes(dir.resolve("missing")));
        cache(dir, 0, "1", "Data", "32K");
        assertEquals(0, GemmTuning.l2Bytes(dir), "no level 2 described");
        Path broken = Files.createDirectories(dir.resolve("index1"));
        Files.writeString(broken.resolve("level"), "2");
        assertEquals(0, GemmTuning.l2Bytes(dir), "a level 2 without its type and size");
    }

    @Test void deeperKBlocksWithMoreL2() {
        assertEquals(1024, GemmTuning.kcLined(2L << 20));
        assertEquals(1024, GemmTuning.kcLined(4L << 20));
        assertEquals(512, GemmTuning.kcLined((2L << 20) - 1));
        assertEquals(512, GemmTuning.kcLined(1L << 20));
        assertEquals(256, GemmTuning.kcLined(512L << 10));
        assertEquals(512, GemmTuning.kcLined(0), "unknown");
    }

    @Test void theDepthInUseFollowsTheProperty() {
        String set = System.getProperty("mithril.gemm.kcLined");
        int want = set != null ? Math.max(16, Integer.parseInt(set)) : GemmTuning.kcLined(GemmTuning.L2_BYTES);
        assertEquals(want, GemmTuning.KC_LINED);
        assertTrue(Gemm.implementation().contains("k blocks of " + (CacheLines.available() ? GemmTuning.KC_LINED : GemmTuning.KC)),
                Gemm.implementation());
    }

    /**
     * The build runs the GEMM and convolution tests a second time with {@code -XX:UseAVX=2} (runtime/pom.xml): there
     * the 16-register tiles must be the ones in use, or that run would test nothing new.
     */
    @Test void sixteenVectorRegistersTakeTheThreeRowTile() {
        boolean narrowRun = ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:UseAVX=2")
                && System.getProperty("os.arch", "").matches("amd64|x86_64");
        if (narrowRun) {
            assertEquals(256, FloatVector.SPECIES_PREFERRED.vectorBitSize());
            assertFalse(GemmTuning.WIDE_REGISTER_FILE);
        }
        assertEquals(GemmTuning.WIDE_REGISTER_FILE ? 8 : 3, GemmKernel.MR);
        assertEquals(GemmKernel.MR, GemmKernel64.MR);
        assertTrue(Gemm.implementation().startsWith("pure Java: " + GemmKernel.MR + "x" + GemmKernel.NR), Gemm.implementation());
    }

    /**
     * And with {@code -XX:MaxVectorSize=32} (runtime/pom.xml's wide-registers-256 run): 8 lanes, yet the 32-register
     * kernels, whose 4 x 5 dot blocks then sum through a tile as AArch64's do.
     */
    @Test void narrowerVectorsKeepTheWideKernelsWhereThereAre32Registers() {
        var args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        if (args.contains("-XX:MaxVectorSize=32") && !args.contains("-XX:UseAVX=2")
                && System.getProperty("os.arch", "").matches("amd64|x86_64")) {
            assertEquals(256, FloatVector.SPECIES_PREFERRED.vectorBitSize());
            assertTrue(GemmTuning.WIDE_REGISTER_FILE);
            assertEquals(8, GemmKernel.MR);
        }
        // the guess, where no property is given: 512-bit vectors, AArch64, or AVX-512 with narrower vectors
        boolean x86 = System.getProperty("os.arch", "").matches("amd64|x86_64");
        boolean guess = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512
                || System.getProperty("os.arch", "").equals("aarch64") || x86 && GemmTuning.avxLevel() >= 3;
        assertEquals(guess, GemmTuning.wideRegisters(null));
        assertEquals(guess, GemmTuning.wideRegisters(" "));
        if (x86 && args.contains("-XX:UseAVX=2")) assertEquals(2, GemmTuning.avxLevel());
    }

    @Test void theRegisterPropertyOverridesTheGuessAndRejectsOtherWords() {
        assertTrue(GemmTuning.wideRegisters("true"));
        assertFalse(GemmTuning.wideRegisters("false"));
        var e = assertThrows(IllegalArgumentException.class, () -> GemmTuning.wideRegisters("yes"));
        assertTrue(e.getMessage().contains("mithril.gemm.wideRegisters") && e.getMessage().contains("'yes'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GemmTuning.wideRegisters("TRUE"));
    }

    private static void cache(Path dir, int index, String level, String type, String size) throws IOException {
        Path d = Files.createDirectories(dir.resolve("index" + index));
        Files.writeString(d.resolve("level"), level + "\n");
        Files.writeString(d.resolve("type"), type + "\n");
        Files.writeString(d.resolve("size"), size + "\n");
    }
}
