package dev.mithril.examples.cli;

import dev.mithril.dsl.Backend;
import dev.mithril.runtime.Parallel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import jdk.incubator.vector.FloatVector;

/** Facts about the machine and the software that every report names, read once per call. */
public final class SystemInfo {
    private SystemInfo() {}

    /** The CPU's model name from {@code /proc/cpuinfo}, or the architecture where that file is missing. */
    public static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim().replaceAll("\\s+", " ");
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: fall back below
        }
        return System.getProperty("os.arch") + " (model unknown)";
    }

    /** Processors this JVM may use. */
    public static int cores() { return Runtime.getRuntime().availableProcessors(); }

    /** e.g. {@code Intel(R) Xeon(R) Processor, 2 cores}. */
    public static String hardware() { return cpuModel() + ", " + cores() + " cores"; }

    /** e.g. {@code 25.0.1+8-LTS (Eclipse Adoptium)}. */
    public static String jdk() { return Runtime.version() + " (" + System.getProperty("java.vendor") + ")"; }

    /** e.g. {@code Species[float, 16, S_512_BIT]}: the widest float vector the JIT uses here. */
    public static String vectorSpecies() {
        return FloatVector.SPECIES_PREFERRED + " = " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit";
    }

    /** The Mithril version recorded by Maven in the runtime jar, or "dev" when running from class folders. */
    public static String mithrilVersion() {
        try (InputStream in = Parallel.class.getResourceAsStream("/META-INF/maven/dev.mithril/mithril-runtime/pom.properties")) {
            if (in == null) return "dev (not run from a jar)";
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /**
     * Backends and whether this build can generate code for them: a backend is available when its
     * renderer ({@code dev.mithril.processor.backend.<name>.<Name>Renderer}) is on the class path.
     */
    public static List<String> backends() {
        List<String> out = new ArrayList<>();
        for (Backend b : Backend.values()) {
            String renderer = "dev.mithril.processor.backend." + b.name().toLowerCase(Locale.ROOT) + "." + b.classToken() + "Renderer";
            boolean present;
            try {
                Class.forName(renderer, false, SystemInfo.class.getClassLoader());
                present = true;
            } catch (ClassNotFoundException | LinkageError e) {
                present = false;
            }
            out.add(b.name().toLowerCase(Locale.ROOT) + (present ? " (available)" : " (no renderer in this build)"));
        }
        return out;
    }

    /** What multiplies matrices: the runtime's pure-Java kernels, or OpenBLAS when asked for ({@code -Dmithril.blas=openblas}). */
    public static String gemm() { return dev.mithril.runtime.Gemm.implementation(); }

    /** Threads a parallel kernel uses (system property {@code mithril.threads}, else the core count). */
    public static int threads() { return Parallel.threads(); }
}
