package dev.mithril.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** What the memory probe counts, on work whose allocations are known. */
class MemoryProbeTest {
    private static volatile Object keep;

    @Test
    void countsHeapAllocationAndOffHeapPeak() {
        int mib = 1 << 20;
        MemoryProbe.Usage u = MemoryProbe.around(() -> {
            keep = new float[8 * mib / 4];
            ByteBuffer direct = ByteBuffer.allocateDirect(16 * mib);
            keep = direct;
            // hold the buffer across several of the sampler's 1 ms periods
            long until = System.nanoTime() + 50_000_000L;
            while (System.nanoTime() < until) Thread.onSpinWait();
        });
        assertTrue(u.allocatedBytes() < 0 || u.allocatedBytes() >= 8L * mib, "allocated " + u.allocatedBytes());
        assertTrue(u.peakBytes() >= 8L * mib, "peak heap " + u.peakBytes());
        assertTrue(u.offHeapPeakBytes() >= 16L * mib, "off-heap peak " + u.offHeapPeakBytes());
        keep = null;
    }
}
