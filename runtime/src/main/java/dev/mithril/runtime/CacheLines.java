package dev.mithril.runtime;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Where a float array's elements lie against 64-byte cache lines, so that packed GEMM panels can start on one.
 * <p>
 * Java does not say where an array is. A Java array's elements start 16 bytes into an object that is only 8-byte
 * aligned, so a panel written from element 0 starts on a line one time in eight, and then every 16-float load of the
 * micro-kernel straddles two lines. At 1024 cubed, with k blocks of 256, panels on a line run about 10% faster
 * (docs/BENCHMARKS.md, "Tenth session"). The address comes from libc's {@code memset} called with length 0, which
 * writes nothing and returns the pointer it was given: a critical downcall with heap access passes the array itself,
 * not a copy. That needs native access ({@code --enable-native-access=ALL-UNNAMED}, which the {@code mithril}
 * launcher passes); without it, or with {@code -Dmithril.gemm.align=false}, no address is known, nothing native is
 * called and no warning is printed.
 * <p>
 * The answer holds until the garbage collector next moves the array, so callers ask again before each large product
 * and treat a changed answer as a cost (a misaligned panel is slower, never wrong). A caller that asks often about
 * one array keeps it as a {@link Tracked}, so that asking allocates nothing.
 */
final class CacheLines {
    static final int LINE_BYTES = 64;
    /** Floats of room a buffer needs so that a line-aligned start exists among its first elements. */
    static final int SLACK = LINE_BYTES / Float.BYTES - 1;

    private static final MethodHandle MEMSET = link();

    private CacheLines() {}

    private static MethodHandle link() {
        if (!Boolean.parseBoolean(System.getProperty("mithril.gemm.align", "true"))) return null;
        if (!CacheLines.class.getModule().isNativeAccessEnabled()) return null;
        try {
            Linker linker = Linker.nativeLinker();
            // the pointer returned is read as a 64-bit integer (the same register on every 64-bit ABI), so that no
            // segment is allocated for it
            if (ValueLayout.ADDRESS.byteSize() != Long.BYTES) return null;
            FunctionDescriptor memset = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG);
            return linker.defaultLookup().find("memset")
                    .map(f -> linker.downcallHandle(f, memset, Linker.Option.critical(true))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** Whether {@link #skip} can answer here. */
    static boolean available() { return MEMSET != null; }

    /**
     * An array asked about often, with the segment it is asked with (null where nothing is known), so that asking
     * allocates nothing.
     */
    record Tracked(float[] data, MemorySegment segment) {
        Tracked(float[] data) { this(data, MEMSET == null ? null : MemorySegment.ofArray(data)); }

        /** {@link CacheLines#skip(float[])} for {@code data}. */
        int line() { return skip(segment, Float.BYTES); }

        /** Where panels written now should start in {@code data}: on a line where that is known, else at 0. */
        int start() { return Math.max(0, line()); }
    }

    /** {@link Tracked} for a double array: {@code line()} counts doubles, 0 to {@link #SLACK64}. */
    record Tracked64(double[] data, MemorySegment segment) {
        Tracked64(double[] data) { this(data, MEMSET == null ? null : MemorySegment.ofArray(data)); }

        int line() { return skip(segment, Double.BYTES); }

        int start() { return Math.max(0, line()); }
    }

    /** Doubles of room a buffer needs so that a line-aligned start exists among its first elements. */
    static final int SLACK64 = LINE_BYTES / Double.BYTES - 1;

    /**
     * The number of elements, 0 to {@link #SLACK}, from {@code a[0]} to the first element that starts a cache line
     * right now; -1 where that is not known.
     */
    static int skip(float[] a) { return new Tracked(a).line(); }

    /** {@link #skip(float[])} for the array under {@code segment} (null: -1), in elements of {@code bytes}. */
    private static int skip(MemorySegment segment, int bytes) {
        if (MEMSET == null || segment == null) return -1;
        long address;
        try {
            address = (long) MEMSET.invokeExact(segment, 0, 0L);
        } catch (Throwable t) {
            return -1;
        }
        if (address % bytes != 0) return -1;
        return (int) ((LINE_BYTES - address % LINE_BYTES) % LINE_BYTES / bytes);
    }
}
