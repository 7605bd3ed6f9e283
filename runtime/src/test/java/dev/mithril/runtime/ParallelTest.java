package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test void coversRangeExactlyOnce() {
        for (int n : new int[] {1, 7, 97, 10_000}) {
            int[] hits = new int[n];
            Parallel.forRange(n, 3, (from, to) -> { for (int i = from; i < to; i++) hits[i]++; });
            for (int i = 0; i < n; i++) assertEquals(1, hits[i], "index " + i + " of " + n);
        }
    }

    @Test void chunksRespectMinGrainAndThreadCount() {
        AtomicInteger chunks = new AtomicInteger();
        Parallel.forRange(100, 40, (from, to) -> {
            chunks.incrementAndGet();
            assertTrue(to - from >= 40 || (from == 0 && to == 100), from + ".." + to);
        });
        assertTrue(chunks.get() <= Math.min(Parallel.threads(), 2));
    }

    @Test void exceptionsPropagate() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                Parallel.forRange(1000, 1, (from, to) -> { if (to == 1000) throw new IllegalStateException("boom at " + from); }));
        assertTrue(e.getMessage().startsWith("boom"));
        // the pool still works afterwards
        int[] sum = new int[1];
        Parallel.forRange(10, 100, (from, to) -> sum[0] += to - from);
        assertEquals(10, sum[0]);
    }

    @Test void nestedRegionsRunSerially() {
        int[] inner = new int[64 * 64];
        Parallel.forRange(64, 1, (f, t) -> {
            for (int i = f; i < t; i++) {
                int row = i;
                Parallel.forRange(64, 1, (f2, t2) -> { for (int j = f2; j < t2; j++) inner[row * 64 + j]++; });
            }
        });
        for (int v : inner) assertEquals(1, v);
    }

    /**
     * The pool reuses one region state: back-to-back regions of different sizes and bodies, with workers that may
     * still be leaving the previous region, must each cover their own range exactly once; and a region after a
     * failed one must neither see its exception nor lose chunks.
     */
    @Test void reusedRegionStateNeverMixesRegions() {
        int old = Parallel.threads();
        try {
            Parallel.setThreads(3);
            for (int r = 0; r < 20_000; r++) {
                int n = 1 + r % 13, region = r;
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                int[] owner = new int[n];
                if (r % 1000 == 999) {
                    assertThrows(ArithmeticException.class, () -> Parallel.forRange(n, 1, (f, t) -> { throw new ArithmeticException("region " + region); }));
                    continue;
                }
                Parallel.forRange(n, 1, (f, t) -> { for (int i = f; i < t; i++) { hits.incrementAndGet(i); owner[i] = region; } });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, hits.get(i), "region " + r + " index " + i + " of " + n);
                    assertEquals(r, owner[i], "region " + r + " index " + i);
                }
            }
        } finally {
            Parallel.setThreads(old);
        }
    }

    @Test void setThreadsChangesCount() {
        int old = Parallel.threads();
        try {
            Parallel.setThreads(3);
            assertEquals(3, Parallel.threads());
            long[] total = new long[1];
            Object lock = new Object();
            Parallel.forRange(3000, 1, (f, t) -> { synchronized (lock) { total[0] += t - f; } });
            assertEquals(3000, total[0]);
            assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
        } finally {
            Parallel.setThreads(old);
        }
    }

    /**
     * A worker that has parked (2 ms after its last region, far past its spin) takes 5-50 µs to wake: the caller, whose
     * own chunk is tiny, takes the worker's chunk itself rather than wait for it. Both chunks then run on the calling
     * thread, each exactly once; a pool that never took chunks would run the second on the worker every time.
     */
    @Test void callerTakesTheChunkOfASleepingWorker() {
        int old = Parallel.threads();
        try {
            Parallel.setThreads(2);
            Parallel.forRange(2, 1, (f, t) -> { }); // the pool and its worker exist
            int taken = 0;
            for (int r = 0; r < 20; r++) {
                Thread.sleep(2);
                Thread[] ranOn = new Thread[2];
                AtomicIntegerArray hits = new AtomicIntegerArray(2);
                Parallel.forRange(2, 1, (f, t) -> { for (int i = f; i < t; i++) { hits.incrementAndGet(i); ranOn[i] = Thread.currentThread(); } });
                assertEquals(1, hits.get(0));
                assertEquals(1, hits.get(1));
                if (ranOn[1] == Thread.currentThread()) taken++;
            }
            assertTrue(taken > 0, "in 20 regions after the worker parked, the caller never took its chunk");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            Parallel.setThreads(old);
        }
    }

    /**
     * Workers spin for a while after a region and then park: regions that come after the workers have parked (pauses
     * longer than the spin), and regions right behind each other (workers still spinning), must each run every index
     * once and return; a lost wake-up would hang here, which the timeout turns into a failure.
     */
    @Test void regionsAfterWorkersParkAndWhileTheySpin() {
        int old = Parallel.threads();
        try {
            Parallel.setThreads(2);
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> {
                for (int r = 0; r < 200; r++) {
                    if (r % 4 == 0) Thread.sleep(2); // 2 ms: far past the spin, so the worker has parked
                    int n = 2 + r % 5;
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    Parallel.forRange(n, 1, (f, t) -> { for (int i = f; i < t; i++) hits.incrementAndGet(i); });
                    for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "region " + r + " index " + i);
                }
            });
        } finally {
            Parallel.setThreads(old);
        }
    }
}
