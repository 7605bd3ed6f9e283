package dev.mithril.runtime;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
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
     * Each worker has two padded records: a {@link HandOver}, written by the caller and read by that worker only (its
     * chunk of the region: range, body, and the generation that hands it over), and an {@link Answer}, written by the
     * worker and read by the caller (the generation it finished, its error). A region's start is then one line the
     * caller writes and the worker reads, and its end one line the worker writes and the caller reads, about one round
     * trip between the cores (280-290 ns on the 2-core VM the benchmarks ran on). The earlier design, a shared ticket
     * that every thread claimed chunks from by compare-and-set and a shared done counter, passed lines back and forth
     * four or five times: {@code ParallelBenchmark} (a region of two nearly empty chunks) took 830-1050 ns with it and
     * 520-565 ns with these records, in alternating runs. The caller keeps nothing that changes per region in the
     * pool's own fields, which every worker reads while it spins.
     *
     * <p>The padding (eight longs before and after the fields) keeps other objects' fields off these lines.
     */
    @SuppressWarnings("unused")
    private static class Padding { long p0, p1, p2, p3, p4, p5, p6, p7; }

    private static class HandOverFields extends Padding {
        /** The generation of the region whose chunk this holds; written last, after range, body and caller. */
        volatile long go;
        int from, to;
        RangeBody body;
        Thread caller;
        /** Set while the caller may be parked waiting for this chunk: the worker unparks it when the chunk is done. */
        volatile boolean callerAsleep;
        /** Set when the pool is shut down. */
        volatile boolean stopped;
    }

    /** A worker's chunk of the current region, written by the caller and read by the worker. */
    @SuppressWarnings("unused")
    private static final class HandOver extends HandOverFields { long q0, q1, q2, q3, q4, q5, q6, q7; }

    private static class AnswerFields extends Padding {
        /** The last generation whose chunk the worker ran; written after {@link #error}. */
        volatile long finished;
        /** Set while the worker may be parked, so that a region unparks only a worker that may be asleep. */
        volatile boolean asleep;
        Throwable error;
    }

    /** What a worker says back, written by the worker and read by the caller. */
    @SuppressWarnings("unused")
    private static final class Answer extends AnswerFields { long q0, q1, q2, q3, q4, q5, q6, q7; }

    /**
     * The pool's workers. A region of {@code chunks} chunks gives chunk 0 to the caller and chunk {@code i + 1} to
     * worker {@code i}, by writing the worker's {@link HandOver}. A chunk is taken by a compare-and-set of its worker's
     * claim word from an older generation to the region's: the worker sets it when it sees the hand-over; a caller
     * whose own chunk is done, and which has waited {@link #STEAL_NANOS} for a worker that has not claimed
     * (descheduled, or still waking from a park), sets it itself and runs the chunk. Exactly one of them runs it, and
     * the claim's generation keeps a late worker from running a chunk of a region that has ended. Each worker's claim
     * word is its own line (stride {@link #PAD}), which only the caller's rare take touches.
     */
    private static final class Pool {
        private static final int PAD = 16;

        /**
         * How long a worker spins after a region before parking (property {@code mithril.spin.us}, microseconds; 0
         * parks at once). Short next to a millisecond, so an idle pool goes to sleep almost at once.
         */
        static final long SPIN_NANOS = Math.max(0, Long.getLong("mithril.spin.us", 200)) * 1000;
        /**
         * How long a caller whose own chunk is done spins for the workers' before parking: a quarter of
         * {@link #SPIN_NANOS}, enough for the usual imbalance of a split GEMM; a longer wait is a large product,
         * which a wake-up's microseconds do not matter to.
         */
        static final long CALLER_SPIN_NANOS = SPIN_NANOS / 4;
        /**
         * How long a caller whose own chunk is done waits for a worker to claim its chunk before taking the chunk
         * itself (property {@code mithril.steal.ns}, nanoseconds): longer than a spinning worker takes to see a
         * region (one round trip, 0.3 µs), far shorter than a parked one takes to wake (5-50 µs) or a descheduled
         * one to get a core back. Under two CPU-bound threads beside a 3-thread pool on 2 cores, a stress of small
         * regions ran 1.21M regions in 15 s with 1 µs, 1.55M with 0.3 µs and 1.73M with 0 (the shared-ticket pool
         * before it: 1.42M); with 10 µs and a yielding wait it had run 23K in 20 s.
         */
        static final long STEAL_NANOS = Math.max(0, Long.getLong("mithril.steal.ns", 500));

        private final Thread[] workers;
        private final HandOver[] handOvers;
        private final Answer[] answers;
        private final AtomicLongArray claims;
        private final AtomicInteger busy = new AtomicInteger();

        Pool(int nWorkers) {
            workers = new Thread[nWorkers];
            handOvers = new HandOver[nWorkers];
            answers = new Answer[nWorkers];
            claims = new AtomicLongArray(Math.max(1, nWorkers) * PAD);
            for (int i = 0; i < nWorkers; i++) {
                int index = i;
                Thread t = new Thread(() -> workerLoop(index), "mithril-worker-" + i);
                t.setDaemon(true);
                workers[i] = t;
                handOvers[i] = new HandOver();
                answers[i] = new Answer();
            }
            for (Thread t : workers) t.start();
        }

        boolean tryBegin() { return busy.compareAndSet(0, 1); }

        void end() { busy.set(0); }

        void run(int n, int chunks, RangeBody body) {
            chunks = Math.min(chunks, workers.length + 1);
            // the last region's generation, read from a line this thread wrote (the pool's own fields are read by the
            // workers: a generation counter written there per region would pull those lines away from them)
            long gen = handOvers[0].go + 1;
            Thread me = Thread.currentThread();
            for (int i = 0; i + 1 < chunks; i++) {
                HandOver h = handOvers[i];
                h.from = (int) ((long) n * (i + 1) / chunks);
                h.to = (int) ((long) n * (i + 2) / chunks);
                h.body = body;
                h.caller = me;
                h.go = gen;
                // the worker sets asleep before it reads go again, and this reads asleep after writing go: either the
                // worker sees this region or it is unparked here
                if (answers[i].asleep) LockSupport.unpark(workers[i]);
            }
            Throwable error = runChunk(body, 0, (int) ((long) n / chunks), null);
            for (int i = 0; i + 1 < chunks; i++) {
                Answer a = answers[i];
                if (a.finished != gen) error = await(i, gen, error);
                else if (a.error != null && error == null) error = a.error;
                HandOver h = handOvers[i];
                h.body = null; // do not keep the region's captures alive
                h.caller = null;
            }
            if (error == null) return;
            if (error instanceof RuntimeException r) throw r;
            if (error instanceof Error e) throw e;
            throw new RuntimeException(error);
        }

        /** Runs {@code [from, to)} of {@code body} on the calling thread as part of a region; returns its first error. */
        private static Throwable runChunk(RangeBody body, int from, int to, Throwable error) {
            IN_REGION.set(true);
            try {
                body.run(from, to);
            } catch (Throwable t) {
                if (error == null) error = t;
            } finally {
                IN_REGION.set(false);
            }
            return error;
        }

        /**
         * Waits for worker {@code i}'s chunk of region {@code gen}. First it spins, without yielding, for up to
         * {@link #STEAL_NANOS}; if the worker has not claimed the chunk by then, it takes the chunk and runs it. Once
         * the worker has the chunk, it spins, yielding every 64 turns, until {@link #CALLER_SPIN_NANOS}, then parks.
         * Returns the region's first error.
         */
        private Throwable await(int i, long gen, Throwable error) {
            Answer answer = answers[i];
            long since = System.nanoTime();
            // a caller that yielded here, on a machine with more runnable threads than cores, lost the core for a
            // scheduler slice while the chunk it waited for was not even started: under two CPU-bound threads beside
            // a 3-thread pool on 2 cores, regions took 870 µs instead of 10
            for (int spins = 1; answer.finished != gen; spins++) {
                if ((spins & 7) != 0 || System.nanoTime() - since < STEAL_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                long c = claims.get(i * PAD);
                if (c < gen && claims.compareAndSet(i * PAD, c, gen)) {
                    HandOver h = handOvers[i];
                    return runChunk(h.body, h.from, h.to, error);
                }
                break; // the worker has it
            }
            for (int spins = 1; answer.finished != gen; spins++) {
                if ((spins & 63) != 0) {
                    Thread.onSpinWait();
                } else if (System.nanoTime() - since < CALLER_SPIN_NANOS) {
                    Thread.yield();
                } else {
                    // the flag is set before finished is read again, and the worker reads it after writing finished:
                    // one of the two sees the other's write, so the wake-up is not lost
                    HandOver h = handOvers[i];
                    h.callerAsleep = true;
                    while (answer.finished != gen) LockSupport.park(this);
                    h.callerAsleep = false;
                }
            }
            return answer.error != null && error == null ? answer.error : error;
        }

        void shutdown() {
            for (HandOver h : handOvers) h.stopped = true;
            for (Thread t : workers) LockSupport.unpark(t);
        }

        /**
         * Between regions a worker spins for up to {@link #SPIN_NANOS} before it parks: kernels run regions back to
         * back (a model's layers, the GEMMs of a training step), and waking a parked thread cost 5-50 us on the
         * 2-core VM the benchmarks ran on, as much as a batch-32 layer's whole share of the work. Both spins yield
         * every 64 turns: on a machine with more runnable threads than cores a pure spin keeps the core from the
         * thread being waited for (measured: regions of 100-300 us instead of 1-2 us under a load of 3).
         */
        private void workerLoop(int index) {
            IN_REGION.set(true);
            HandOver h = handOvers[index];
            Answer answer = answers[index];
            long seen = 0, spinSince = System.nanoTime();
            for (int spins = 0; !h.stopped; spins++) {
                long gen = h.go;
                if (gen != seen) {
                    seen = gen;
                    long c = claims.get(index * PAD);
                    if (c < gen && claims.compareAndSet(index * PAD, c, gen)) {
                        Throwable error = null;
                        try {
                            h.body.run(h.from, h.to);
                        } catch (Throwable t) {
                            error = t;
                        }
                        Thread caller = h.caller;
                        answer.error = error;
                        answer.finished = gen;
                        if (h.callerAsleep) LockSupport.unpark(caller);
                    } // else the caller took this chunk: it does not wait for this worker
                    spinSince = System.nanoTime();
                    spins = 0;
                } else if ((spins & 63) != 0) {
                    Thread.onSpinWait();
                } else if (System.nanoTime() - spinSince < SPIN_NANOS) {
                    Thread.yield();
                } else {
                    // as in await: the flag is set before go is read again, and a caller reads the flag after writing
                    // go, so a region that begins now is either seen here or unparks this worker
                    answer.asleep = true;
                    if (h.go == seen && !h.stopped) LockSupport.park(this);
                    answer.asleep = false;
                }
            }
        }
    }
}
