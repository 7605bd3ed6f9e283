package dev.mithril.runtime;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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

    /**
     * Workers wait on a generation counter. A region's state lives in the pool and is reused, so that a region
     * allocates nothing. The caller publishes a region by writing {@link Pool#ticket}: its generation, its chunk
     * count and the next chunk to claim, in one word. A chunk is claimed by a compare-and-set of that word, so the
     * bound and the generation it is checked against are the ones of the region claimed from: a worker still
     * leaving an earlier region can never claim a chunk of the next one. The rest of the state (range, body) is read
     * only after a successful claim, and the caller rewrites it only after every claimed chunk is done.
     */
    private static final class Pool {
        private static final int INDEX_BITS = 20, CHUNK_BITS = 20;
        private static final long INDEX_MASK = (1L << INDEX_BITS) - 1, CHUNK_MASK = (1L << CHUNK_BITS) - 1;
        private static final int GENERATION_SHIFT = INDEX_BITS + CHUNK_BITS;

        /**
         * How long a worker spins after a region before parking (property {@code mithril.spin.us}, microseconds; 0
         * parks at once). Short next to a millisecond, so an idle pool goes to sleep almost at once.
         */
        static final long SPIN_NANOS = Math.max(0, Long.getLong("mithril.spin.us", 200)) * 1000;
        /**
         * How long a caller whose own chunks are done spins for the workers' before parking: a quarter of
         * {@link #SPIN_NANOS}, enough for the usual imbalance of a split GEMM; a longer wait is a large product,
         * which a wake-up's microseconds do not matter to.
         */
        static final long CALLER_SPIN_NANOS = SPIN_NANOS / 4;

        private final Thread[] workers;
        private final AtomicInteger busy = new AtomicInteger();
        /** generation (upper 24 bits, wrapping) | chunks | next chunk index. */
        private final AtomicLong ticket = new AtomicLong();
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicReference<Throwable> error = new AtomicReference<>();
        // the current region, written by its caller before the ticket publishes it
        private int n;
        private RangeBody body;
        private Thread caller;
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
            chunks = (int) Math.min(chunks, CHUNK_MASK); // the ticket's field; far more than any pool's threads
            this.n = n;
            this.body = body;
            this.caller = Thread.currentThread();
            done.set(0);
            error.set(null);
            long generation = ((ticket.get() >>> GENERATION_SHIFT) + 1) << GENERATION_SHIFT;
            ticket.set(generation | (long) chunks << INDEX_BITS);
            for (Thread w : workers) LockSupport.unpark(w);
            IN_REGION.set(true);
            try {
                work(generation);
            } finally {
                IN_REGION.set(false);
            }
            awaitDone(chunks);
            this.body = null; // do not keep the region's captures alive
            this.caller = null;
            Throwable t = error.getAndSet(null);
            if (t == null) return;
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
            throw new RuntimeException(t);
        }

        /** Claims and runs chunks of the region of {@code generation} (the ticket's upper bits) until none is left. */
        private void work(long generation) {
            while (true) {
                long t = ticket.get();
                int c = (int) (t & INDEX_MASK), total = (int) (t >>> INDEX_BITS & CHUNK_MASK);
                if ((t & -(1L << GENERATION_SHIFT)) != generation || c >= total) return;
                if (!ticket.compareAndSet(t, t + 1)) continue;
                // the claimed chunk is not done, so the caller cannot have moved on: these fields are this region's
                int from = (int) ((long) n * c / total), to = (int) ((long) n * (c + 1) / total);
                Thread waiting = caller;
                try {
                    if (error.get() == null) body.run(from, to);
                } catch (Throwable e) {
                    error.compareAndSet(null, e);
                } finally {
                    if (done.incrementAndGet() == total) LockSupport.unpark(waiting);
                }
            }
        }

        void shutdown() {
            stopped = true;
            for (Thread w : workers) LockSupport.unpark(w);
        }

        /**
         * Waits until all {@code chunks} of the region are done: spins for up to {@link #CALLER_SPIN_NANOS} first,
         * since the last chunk usually finishes within microseconds of the caller's own, and being woken from a park
         * costs as much again.
         */
        private void awaitDone(int chunks) {
            long since = System.nanoTime();
            for (int spins = 1; done.get() < chunks; spins++) {
                if ((spins & 63) != 0) {
                    Thread.onSpinWait();
                } else if (System.nanoTime() - since < CALLER_SPIN_NANOS) {
                    Thread.yield();
                } else {
                    while (done.get() < chunks) LockSupport.park(this);
                    return;
                }
            }
        }

        /**
         * Between regions a worker spins for up to {@link #SPIN_NANOS} before it parks: kernels run regions back to
         * back (a model's layers, the GEMMs of a training step), and waking a parked thread cost 5-50 us on the
         * 2-core VM the benchmarks ran on, as much as a batch-32 layer's whole share of the work. Both spins yield
         * every 64 turns: on a machine with more runnable threads than cores a pure spin keeps the core from the
         * thread being waited for (measured: regions of 100-300 us instead of 1-2 us under a load of 3).
         */
        private void workerLoop() {
            IN_REGION.set(true);
            long seen = 0, spinSince = 0;
            for (int spins = 0; !stopped; spins++) {
                long generation = ticket.get() & -(1L << GENERATION_SHIFT);
                if (generation != seen) {
                    seen = generation;
                    work(generation);
                    spinSince = System.nanoTime();
                    spins = 0;
                } else if ((spins & 63) != 0) {
                    Thread.onSpinWait();
                } else if (System.nanoTime() - spinSince < SPIN_NANOS) {
                    Thread.yield();
                } else {
                    // returns at once on the permit left by a region that began while this worker spun; the loop then
                    // parks again, since the spin is over
                    LockSupport.park(this);
                }
            }
        }
    }
}
