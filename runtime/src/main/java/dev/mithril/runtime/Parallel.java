package dev.mithril.runtime;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The process-wide pool that kernels split their work over: a fixed set of daemon threads, sized by
 * {@link #setThreads(int)}, the system property {@code mithril.threads}, or the number of processors.
 *
 * <p>Parallel regions do not nest: {@link #forRange} called from inside a worker (or while another
 * region is running on the pool) runs its body serially on the calling thread, so kernels may call
 * each other freely without deadlock or oversubscription.
 *
 * <pre>{@code
 * float[] y = new float[n];
 * Parallel.forRange(n, 4096, (from, to) -> { for (int i = from; i < to; i++) y[i] = f(i); });
 * }</pre>
 */
public final class Parallel {
    /** Body of a parallel loop over the half-open index range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final ThreadLocal<Boolean> IN_REGION = ThreadLocal.withInitial(() -> false);
    private static final Object LOCK = new Object();
    private static volatile Pool pool;
    private static volatile int threads = initialThreads();

    private Parallel() {}

    private static int initialThreads() {
        String p = System.getProperty("mithril.threads");
        if (p != null && !p.isBlank()) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the processor count: a bad property must not stop models from running
            }
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** Number of threads a parallel region uses (the caller counts as one of them). */
    public static int threads() { return threads; }

    /** Sets the number of threads; takes effect for the next region. */
    public static void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("Parallel.setThreads: need at least 1 thread, got " + n);
        synchronized (LOCK) {
            threads = n;
            Pool old = pool;
            pool = null;
            if (old != null) old.shutdown();
        }
    }

    /**
     * Splits {@code [0, n)} into at most {@link #threads()} contiguous chunks of at least {@code minGrain}
     * indices, runs {@code body} on each (one on the calling thread), and returns when all are done. The
     * first exception thrown by any chunk is rethrown here (errors as they are, checked ones wrapped).
     */
    public static void forRange(int n, int minGrain, RangeBody body) {
        if (n <= 0) return;
        int grain = Math.max(1, minGrain);
        int chunks = (int) Math.min(threads, Math.max(1, n / grain));
        if (chunks <= 1 || IN_REGION.get()) {
            runSerial(n, body);
            return;
        }
        Pool p = pool();
        if (!p.tryBegin()) { // another thread's region is using the pool
            runSerial(n, body);
            return;
        }
        try {
            p.run(n, chunks, body);
        } finally {
            p.end();
        }
    }

    private static void runSerial(int n, RangeBody body) {
        boolean outer = !IN_REGION.get();
        if (outer) IN_REGION.set(true);
        try {
            body.run(0, n);
        } finally {
            if (outer) IN_REGION.set(false);
        }
    }

    private static Pool pool() {
        Pool p = pool;
        if (p != null) return p;
        synchronized (LOCK) {
            if (pool == null) pool = new Pool(threads - 1);
            return pool;
        }
    }

    /** Workers wait on a generation counter; each region publishes a job and bumps the generation. */
    private static final class Pool {
        private final Thread[] workers;
        private final AtomicInteger busy = new AtomicInteger();
        private volatile Job job;
        private volatile boolean stopped;

        Pool(int nWorkers) {
            workers = new Thread[nWorkers];
            for (int i = 0; i < nWorkers; i++) {
                Thread t = new Thread(this::workerLoop, "mithril-worker-" + i);
                t.setDaemon(true);
                workers[i] = t;
                t.start();
            }
        }

        boolean tryBegin() { return busy.compareAndSet(0, 1); }

        void end() { busy.set(0); }

        void run(int n, int chunks, RangeBody body) {
            Job j = new Job(n, chunks, body);
            job = j;
            for (Thread w : workers) LockSupport.unpark(w);
            IN_REGION.set(true);
            try {
                j.work();
            } finally {
                IN_REGION.set(false);
            }
            j.awaitDone();
            job = null;
            j.rethrow();
        }

        void shutdown() {
            stopped = true;
            for (Thread w : workers) LockSupport.unpark(w);
        }

        private void workerLoop() {
            IN_REGION.set(true);
            Job last = null;
            while (!stopped) {
                Job j = job;
                if (j == null || j == last) {
                    LockSupport.park(this);
                    continue;
                }
                last = j;
                j.work();
            }
        }
    }

    /** One region: chunks are claimed by index so that every chunk runs exactly once. */
    private static final class Job {
        final int n, chunks;
        final RangeBody body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final Thread caller = Thread.currentThread();

        Job(int n, int chunks, RangeBody body) {
            this.n = n;
            this.chunks = chunks;
            this.body = body;
        }

        void work() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                int from = (int) ((long) n * c / chunks), to = (int) ((long) n * (c + 1) / chunks);
                try {
                    if (error.get() == null) body.run(from, to);
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                } finally {
                    if (done.incrementAndGet() == chunks) LockSupport.unpark(caller);
                }
            }
        }

        void awaitDone() {
            while (done.get() < chunks) LockSupport.park(this);
        }

        void rethrow() {
            Throwable t = error.get();
            if (t == null) return;
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
            throw new RuntimeException(t);
        }
    }
}
