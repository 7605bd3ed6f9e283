package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;

/**
 * Packed float32 panels placed on 64-byte cache lines ({@link CacheLines}): the address found is right, the blocked
 * product is right for panels at any of the 16 float offsets a line can start at and with either k-block depth, and
 * pre-packed weights that the collector moved off a line are shifted back onto one, within their array and never
 * under a product that is reading them, without changing a result.
 * The tests run with {@code --enable-native-access=ALL-UNNAMED} (the build's JVM flags), where addresses are known.
 */
class GemmLinedPanelsTest {
    /** libc's {@code memchr}, an independent way to see where an element of an array lies. */
    private static final MethodHandle MEMCHR;

    static {
        Linker linker = Linker.nativeLinker();
        MEMCHR = linker.downcallHandle(linker.defaultLookup().find("memchr").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
                Linker.Option.critical(true));
    }

    @Test void theElementSkippedToStartsACacheLine() throws Throwable {
        assertTrue(CacheLines.available(), "panel addresses are known with native access enabled");
        int seen = 0;
        for (int size = 20; size < 60; size++) { // arrays of several sizes land at several offsets
            float[] a = new float[size];
            int skip = CacheLines.skip(a);
            assertTrue(skip >= 0 && skip <= CacheLines.SLACK, "skip " + skip);
            a[skip] = Float.intBitsToFloat(0x3f3f3f3f); // the only bytes 0x3f in the array
            long marked = ((MemorySegment) MEMCHR.invokeExact(MemorySegment.ofArray(a), 0x3f, 4L * size)).address();
            if (CacheLines.skip(a) != skip) continue; // moved by the collector between the two calls
            assertEquals(0, marked % CacheLines.LINE_BYTES, "a[" + skip + "] of a float[" + size + "] at " + marked);
            seen |= 1 << skip;
        }
        assertNotEquals(1, Integer.bitCount(seen), "40 arrays all at the same offset: the answer does not depend on the array");
    }

    /** The same for double arrays ({@link CacheLines.Tracked64}, which {@code GemmDot64} lines A's rows up with). */
    @Test void theDoubleSkippedToStartsACacheLine() throws Throwable {
        int seen = 0;
        for (int size = 20; size < 60; size++) {
            CacheLines.Tracked64 t = new CacheLines.Tracked64(new double[size]);
            int skip = t.line();
            assertTrue(skip >= 0 && skip <= CacheLines.SLACK64, "skip " + skip);
            t.data()[skip] = Double.longBitsToDouble(0x3f3f3f3f3f3f3f3fL);
            long marked = ((MemorySegment) MEMCHR.invokeExact(MemorySegment.ofArray(t.data()), 0x3f, 8L * size)).address();
            if (t.line() != skip) continue;
            assertEquals(0, marked % CacheLines.LINE_BYTES, "a[" + skip + "] of a double[" + size + "] at " + marked);
            seen |= 1 << skip;
        }
        assertNotEquals(1, Integer.bitCount(seen), "40 arrays all at the same offset: the answer does not depend on the array");
    }

    @Test void blockedProductIsRightWithPanelsAtEveryOffsetAndEitherDepth() {
        // several row tiles, panels (the last partial) and k blocks at either depth
        int m = 70, n = 100, k = 2 * Math.max(GemmTuning.KC, GemmTuning.KC_LINED) + 18;
        float[] a = Ref.randomArray(21, m * k), b = Ref.randomArray(22, n * k);
        double[] exp = Ref.gemm(false, true, m, n, k, a, 0, k, b, 0, k);
        float[] expF = new float[exp.length];
        for (int i = 0; i < exp.length; i++) expF[i] = (float) exp[i];
        int size = GemmPacking.packedSize(k, n, GemmKernel.NR), before = Parallel.threads();
        try {
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                for (boolean lined : new boolean[] {false, true}) {
                    float[] first = null;
                    for (int off = 0; off <= CacheLines.SLACK; off++) {
                        float[] bp = new float[off + size], c = new float[m * n];
                        GemmPacking.packB(true, k, n, b, 0, k, bp, off);
                        GemmBlocks.run(GemmKernel.Out.reuse(c, 0, n, 1f, 0f, null, Epilogue.NONE, null, 0, 0), false, a, 0, k,
                                bp, off, lined, m, n, k);
                        String what = "threads " + threads + ", lined " + lined + ", panels at " + off;
                        Ref.assertClose(expF, c, 1e-5, what);
                        if (first == null) first = c;
                        else assertArrayEquals(first, c, what + ": same sums as at offset 0");
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test void packedWeightsMovedOffALineAreMovedBackOntoOneWhenNobodyReadsThem() {
        int m = 100, n = 96, k = 300; // past GemmDot's batches and GemmNarrow's width: the blocked path; whole panels
        float[] x = Ref.randomArray(31, m * k), w = Ref.randomArray(32, n * k);
        PackedWeights fresh = null;
        boolean packedOnLine = false; // as below: a look counts only when the collector left the array in place
        for (int attempt = 0; attempt < 8 && !packedOnLine; attempt++) {
            fresh = Gemm.pack(w, 0, n, k);
            int before = CacheLines.skip(fresh.panels()), after = CacheLines.skip(fresh.panels());
            packedOnLine = before == after && fresh.panelOff() == before;
        }
        assertTrue(packedOnLine, "packed onto a line (8 tries)");
        int size = GemmPacking.packedSize(k, n, GemmKernel.NR);
        float[] want = new float[m * n];
        Gemm.linear(x, 0, m, fresh, null, Epilogue.NONE, want, 0);

        // the same panels one float off the line, as after a move by the collector
        float[] shifted = new float[fresh.panels().length];
        int line = CacheLines.skip(shifted), off = (line + 1) % (CacheLines.SLACK + 1);
        System.arraycopy(fresh.panels(), fresh.panelOff(), shifted, off, size);
        PackedWeights moved = PackedWeights.f32(n, k, new CacheLines.Tracked(shifted), off, size, -1, w, 0);

        // while a product reads them, they stay where they are
        long reading = moved.readPanels(false);
        long second = moved.readPanels(true);
        assertEquals(off, moved.panelOff(), "not moved under a reader");
        moved.release(second);
        moved.release(reading);

        // the collector may move the array again between the product's relayout and the look at it (CI saw this once):
        // a look counts only when the array stayed put across it, and a move after the relayout earns another product
        boolean onLine = false;
        String last = "";
        for (int attempt = 0; attempt < 8 && !onLine; attempt++) {
            float[] got = new float[m * n];
            Gemm.linear(x, 0, m, moved, null, Epilogue.NONE, got, 0);
            assertArrayEquals(want, got, "same product after the move");
            assertSame(shifted, moved.panels(), "moved within the same array");
            int before = CacheLines.skip(shifted), at = moved.panelOff(), after = CacheLines.skip(shifted);
            onLine = before == after && at == before;
            last = "panels at " + at + ", line at " + before + " then " + after;
        }
        assertTrue(onLine, "on a line again after a product (8 tries; last: " + last + ")");
        for (int i = 0; i < size; i++) {
            assertEquals(fresh.panels()[fresh.panelOff() + i], shifted[moved.panelOff() + i], "panel element " + i);
        }
    }
}
