package dev.mithril.bench;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;

/**
 * Heap use around a piece of work, from the platform MXBeans: after a {@code System.gc()} and a reset of
 * every heap pool's peak, the work runs; then the peak is the sum over heap pools of their peak usage (an
 * upper bound, as pools may peak at different moments), allocation is the JVM's count of bytes allocated by
 * all threads ({@code com.sun.management.ThreadMXBean.getTotalThreadAllocatedBytes}), and GC activity is the
 * change in the collectors' counts and times. Off-heap use is the sum of the JVM's buffer pools (direct and
 * mapped: {@code ByteBuffer.allocateDirect} and native {@code MemorySegment}s are counted there), which keep no
 * peak: a daemon thread samples them every millisecond while the work runs, so a shorter-lived allocation can
 * be missed.
 */
final class MemoryProbe {
    /** What one probe saw. {@code allocatedBytes} is -1 where the JVM cannot count allocations. */
    record Usage(long baselineBytes, long peakBytes, long allocatedBytes, long collections, long gcMillis, long offHeapPeakBytes) {}

    private MemoryProbe() {}

    static Usage around(Runnable work) {
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP && p.isValid()).toList();
        System.gc();
        long baseline = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long gcCount0 = gcCount(), gcTime0 = gcTime(), alloc0 = allocated();
        long offHeap0 = offHeap();
        long[] offHeapPeak = {offHeap0};
        Thread sampler = Thread.ofPlatform().daemon().name("memory-probe").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                offHeapPeak[0] = Math.max(offHeapPeak[0], offHeap());
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            work.run();
        } finally {
            sampler.interrupt();
            joinQuietly(sampler);
        }
        long alloc1 = allocated();
        long offHeapPeakBytes = Math.max(offHeapPeak[0], offHeap()) - offHeap0;
        long peak = heap.stream().mapToLong(p -> p.getPeakUsage() == null ? 0 : p.getPeakUsage().getUsed()).sum();
        return new Usage(baseline, peak, alloc0 < 0 || alloc1 < 0 ? -1 : alloc1 - alloc0, gcCount() - gcCount0, gcTime() - gcTime0,
                offHeapPeakBytes);
    }

    /** Bytes in use in the direct and mapped buffer pools. */
    static long offHeap() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream().mapToLong(BufferPoolMXBean::getMemoryUsed)
                .filter(b -> b > 0).sum();
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long allocated() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported()
                && t.isThreadAllocatedMemoryEnabled()) {
            return t.getTotalThreadAllocatedBytes();
        }
        return -1;
    }

    private static long gcCount() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionCount)
                .filter(c -> c >= 0).sum();
    }

    private static long gcTime() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionTime)
                .filter(c -> c >= 0).sum();
    }
}
