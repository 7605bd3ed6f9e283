package dev.mithril.runtime;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import jdk.incubator.vector.FloatVector;

/** Machine facts the GEMM blocking is derived from. Sizes are in bytes so float32 and float64 share them. */
final class GemmTuning {
    /**
     * 32 architectural vector registers: AVX-512 and AArch64. Plain AVX2 has 16, which fits only the 3-row tile
     * ({@link GemmKernel}) and the dot path's 4 x 2 blocks ({@link GemmDot}). On x86 a 512-bit preferred species means
     * AVX-512. With narrower vectors the JVM's {@code UseAVX} level tells: 3 is AVX-512 run with
     * {@code -XX:MaxVectorSize=32}, which keeps 32 registers. There the 32-register kernels ran 32 x 1024 x 1024 1.24x,
     * 32 x 64 x 512 1.43x and the classifier 32 x 10 x 256 1.14x as fast as the 16-register ones (docs/BENCHMARKS.md).
     * Property {@code mithril.gemm.wideRegisters} ({@code true} or {@code false}) overrides the guess.
     */
    static final boolean WIDE_REGISTER_FILE = wideRegisters(System.getProperty("mithril.gemm.wideRegisters"));

    static boolean wideRegisters(String property) {
        if (property != null && !property.isBlank()) {
            if (!property.equals("true") && !property.equals("false")) {
                throw new IllegalArgumentException(
                        "mithril.gemm.wideRegisters must be true or false, not '" + property + "'");
            }
            return property.equals("true");
        }
        if (FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512) return true;
        String arch = System.getProperty("os.arch", "");
        return arch.equals("aarch64") || (arch.equals("amd64") || arch.equals("x86_64")) && avxLevel() >= 3;
    }

    /** HotSpot's {@code UseAVX} (3 with AVX-512), or 0 where the VM does not say. */
    static int avxLevel() {
        try {
            var vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return vm == null ? 0 : Integer.parseInt(vm.getVMOption("UseAVX").getValue());
        } catch (RuntimeException | LinkageError e) {
            return 0;
        }
    }

    /**
     * Depth of one k block (property {@code mithril.gemm.kc}). A packed B panel slice (KC x NR elements, 24 KiB in
     * either precision since a double panel has half the columns) stays in a 48 KiB L1 next to the A sliver and the
     * C tile streaming past it; deeper blocks, which touch C less often, measured no faster (192: 36 KiB).
     */
    static final int KC = Math.max(16, Integer.getInteger("mithril.gemm.kc", 128));

    /**
     * Bytes of one core's level-2 cache as Linux reports it ({@code /sys/devices/system/cpu/cpu0/cache}); 0 where it
     * is not known (another system, or the files are not readable).
     */
    static final long L2_BYTES = l2Bytes(Path.of("/sys/devices/system/cpu/cpu0/cache"));

    /**
     * Depth of one k block where the packed B panels start on a cache line ({@link CacheLines}; property
     * {@code mithril.gemm.kcLined}), from the size of L2 ({@link #kcLined(long)}). Every k block reads and writes each
     * tile of C once more, so the deepest blocks whose B slice ({@code KC_LINED x NR} floats) and packed A block (at
     * least 64 rows of that depth) still stay in L2 beside the block's rows of C are the fastest. The slice no longer
     * fits L1 beside the A sliver from 256 on; with panels on a line that measured better than 128 (tenth session:
     * 150-153 against 141-147 GFLOP/s at 1024 cubed), and deeper still better again on this machine's 2 MiB L2
     * (eighteenth session, {@code GemmBenchmark}, medians of 5-6 alternating JVMs, {@code sgemm} / packed against OpenBLAS):
     * 1024 cubed, one thread, 0.90 / 0.95 at 256, 0.92 / 0.97 at 512, 0.94 / 0.98 at 1024; two threads 0.90 / 0.94,
     * 0.95 / 1.01, 0.96 / 1.00; 128 x 1024 x 1024 0.97 / 1.12 at 256, 1.04 / 1.15 at 1024; 1024 x 512 x 1024 0.91 / 0.97,
     * 0.96 / 1.00. Products whose panels cannot be put on a line (no native access; the convolutions' own panels) keep
     * {@link #KC}.
     */
    static final int KC_LINED = Math.max(16, Integer.getInteger("mithril.gemm.kcLined", kcLined(L2_BYTES)));

    /**
     * The lined k depth for {@code l2} bytes of L2: 1024 from 2 MiB, 512 from 1 MiB (a 1024-deep slice, 192 KiB,
     * with 64 rows of A, 256 KiB, and the block's 256 KiB of C would fill most of it), 256 below; 512 where the size
     * is not known (0).
     */
    static int kcLined(long l2) {
        if (l2 <= 0) return 512;
        return l2 >= 2L << 20 ? 1024 : l2 >= 1L << 20 ? 512 : 256;
    }

    /**
     * The size of the unified or data level-2 cache described under {@code dir} (directories {@code index*} with files
     * {@code level}, {@code type} and {@code size}, as in Linux's sysfs); 0 if none is found or a file cannot be read.
     */
    static long l2Bytes(Path dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "index*")) {
            for (Path e : entries) {
                if (!Files.readString(e.resolve("level")).strip().equals("2")) continue;
                if (Files.readString(e.resolve("type")).strip().equals("Instruction")) continue;
                return cacheBytes(Files.readString(e.resolve("size")));
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    /** A cache size as sysfs writes it ({@code 2048K}, {@code 1M}, {@code 512}) in bytes; 0 if it is not one. */
    static long cacheBytes(String size) {
        String s = size.strip();
        long unit = 1;
        if (s.endsWith("K")) unit = 1L << 10;
        else if (s.endsWith("M")) unit = 1L << 20;
        else if (s.endsWith("G")) unit = 1L << 30;
        if (unit != 1) s = s.substring(0, s.length() - 1);
        if (s.isEmpty() || !s.chars().allMatch(Character::isDigit) || s.length() > 12) return 0;
        return Long.parseLong(s) * unit;
    }

    /**
     * Rows of A per packed block (a number of micro-kernel slivers, property {@code mithril.gemm.mc}): MC x KC elements
     * live in L2 while every B panel of the task streams past. Both sizes may be overridden to tune another machine.
     */
    static final int MC_ROWS = Math.max(1, Integer.getInteger("mithril.gemm.mc", 30) ) * (WIDE_REGISTER_FILE ? 8 : 4);

    /**
     * Bytes of C one block of rows may cover (property {@code mithril.gemm.cblock}, in KiB): every k block of a row
     * block reads and writes those rows of C again, so they must stay in L2 next to the packed A block and the B
     * panel slices streaming through, or each tile's first touch of C misses to L3. With wide outputs this, not
     * {@link #MC_ROWS}, limits the rows per block.
     */
    static final int C_BLOCK_BYTES = Math.max(16, Integer.getInteger("mithril.gemm.cblock", 256)) * 1024;

    /**
     * Depth of one k block in float64 (property {@code mithril.gemm.kc64}), and the bytes of C one of its row blocks
     * may cover (property {@code mithril.gemm.cblock64}, in KiB). A float64 tile does half the float32 tile's flops
     * on the same bytes of C, so deeper blocks and longer row blocks pay: 1024 cubed went from 0.72 to 0.80-0.82 of
     * OpenBLAS's {@code dgemm} on one core and from 0.76-0.79 to 0.82 on two ({@code GemmBenchmark ... f64},
     * alternating JVMs against the float32 sizes, 128 and 256 KiB; docs/BENCHMARKS.md).
     */
    static final int KC64 = Math.max(16, Integer.getInteger("mithril.gemm.kc64", 192));
    static final int C_BLOCK_BYTES_64 = Math.max(16, Integer.getInteger("mithril.gemm.cblock64", 512)) * 1024;

    /** The bytes of C a row block may cover for elements of {@code elemBytes}. */
    static int cBlockBytes(int elemBytes) { return elemBytes == Double.BYTES ? C_BLOCK_BYTES_64 : C_BLOCK_BYTES; }

    /**
     * The fewest rows a row block should have: each row block streams its panels of packed B once per k block, so B is
     * read from L3 once per this many rows (at 16 rows, 2 bytes per multiply-add at one core's FMA rate: more than
     * L3 delivers). Tasks whose rows of C are too wide for it go by groups of {@link #panelGroup} panels.
     */
    static final int GROUP_ROWS = 64;

    /** Column panels of {@code nr} elements whose rows of C fit {@link #cBlockBytes} for {@link #GROUP_ROWS} rows. */
    static int panelGroup(int nr, int elemBytes) { return Math.max(1, cBlockBytes(elemBytes) / (GROUP_ROWS * nr * elemBytes)); }

    /**
     * Panels per group for a task of {@code panels} column panels: all of them up to two groups of {@link #panelGroup},
     * else balanced groups of at most one.
     */
    static int groupPanels(int panels, int nr, int elemBytes) {
        int group = panelGroup(nr, elemBytes);
        return panels <= 2 * group ? panels : GemmDriver.blockSize(panels, group, 1);
    }

    /**
     * Whether a product that packs B as it goes takes all its {@code rows} as one row block: they fit the A packing
     * buffer, and their rows of C cover at most four times {@link #cBlockBytes}. One row block packs each slice of B
     * into a small buffer that stays in L1 ({@code GemmBlocks.runPackingB}); several pack all of B into a buffer that
     * goes out to memory. float64 64 x 1024 x 1024 went from 0.74-0.75 to 0.97-1.04 of OpenBLAS on one core, 128 rows
     * from 0.73-0.74 to 0.90-0.98, and float32 128 x 1024 x 1024 from 0.94-0.95 to 1.00-1.02. A product that reads
     * pre-packed panels keeps {@link #blockRows}: 128 float64 rows in one block took it from 60-67 to 21-22 GFLOP/s.
     */
    static boolean oneRowBlock(int rows, int cols, int elemBytes) {
        return rows <= MC_ROWS && (long) rows * cols * elemBytes <= 4L * cBlockBytes(elemBytes);
    }

    /** Rows per block of an A x B task whose C rows are {@code cols} elements of {@code elemBytes} each. */
    static int blockRows(int cols, int elemBytes, int mr) {
        int fit = cBlockBytes(elemBytes) / Math.max(1, cols * elemBytes) / mr * mr;
        return Math.min(MC_ROWS, Math.max(2 * mr, fit));
    }

    private GemmTuning() {}
}
