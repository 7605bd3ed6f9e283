package dev.mithril.runtime;

import java.lang.management.ManagementFactory;

/** Bytes a kernel allocates per call once compiled, on the calling thread: the allocation tests' measurement. */
final class Allocations {
    static final int WARMUP = 3000, CALLS = 200;
    static final long PATIENCE_NANOS = 20_000_000_000L;

    private Allocations() {}

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Bytes allocated by {@code CALLS} calls of {@code body}, on this thread. */
    private static long window(Runnable body) {
        long a0 = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < CALLS; i++) body.run();
        return THREADS.getCurrentThreadAllocatedBytes() - a0;
    }

    /**
     * Bytes allocated per call of {@code body} once compiled, on this thread, less what the measurement itself
     * allocates (the bean's bookkeeping, measured around an empty body). Any object is at least 16 bytes, so an
     * allocation in every call shows as 16 or more, while a one-off allocation somewhere in the window (the JIT
     * installing code, a class initialised) rounds down to 0.
     *
     * <p>A fixed number of warm-up calls does not guarantee compiled code: C2 compiles in the background, and on a
     * busy machine the small products here (a few microseconds a call) can finish thousands of calls before their
     * methods are installed, while the interpreter and C1 box every vector. So a window that allocates is followed by
     * more warm-up and another window, for up to {@code PATIENCE_NANOS}; the best window counts. A real regression
     * allocates in every window, however long the wait.
     */
    static long perCall(Runnable body) { return perCall(body, PATIENCE_NANOS); }

    static long perCall(Runnable body, long patienceNanos) {
        for (int i = 0; i < WARMUP; i++) body.run();
        Runnable empty = () -> { };
        long best = Long.MAX_VALUE, deadline = System.nanoTime() + patienceNanos;
        for (int attempt = 0; best > 0 && (attempt < 3 || System.nanoTime() < deadline); attempt++) {
            long overhead = window(empty);
            best = Math.min(best, Math.max(0, window(body) - overhead) / CALLS);
            if (best > 0 && attempt >= 2) for (int i = 0; i < WARMUP; i++) body.run();
        }
        return best;
    }
}
