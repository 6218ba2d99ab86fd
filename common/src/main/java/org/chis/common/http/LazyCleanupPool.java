package org.chis.common.http;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.ConnectionPool;
import okhttp3.internal.concurrent.TaskRunner;
import okhttp3.internal.connection.RealConnectionPool;

/**
 * OkHttp's connection pool without a thread wake-up per call. OkHttp's pool asks its "OkHttp TaskRunner" thread to
 * run the idle-connection cleanup at once each time a call hands its connection back: a wake-up, a scan of the pool
 * and a sleep per upstream call (0.9 ms of that thread's CPU per 13-call form), only to find, nearly always, that no
 * connection has been idle long enough. Here the pool's runner is not woken early: it sleeps until the cleanup it had
 * already planned, or at most {@link #LATENESS_MS}, so an idle connection is closed at most that much after its
 * keep-alive, never before (callers keep their keep-alive that much below the upstream's idle timeout).
 *
 * <p>Built on OkHttp's internal task runner (public in the bytecode, not in the API): okhttp is pinned in the parent
 * pom, and {@code LazyCleanupPoolTest} fails if an upgrade changes it.
 */
final class LazyCleanupPool {
    /** How late the cleanup may run after the moment OkHttp asked for it. */
    static final long LATENESS_MS = 250;

    private LazyCleanupPool() {}

    static ConnectionPool create(int maxIdleConnections, long keepAliveMs) {
        return new ConnectionPool(new RealConnectionPool(new TaskRunner(new LazyBackend()), maxIdleConnections,
                keepAliveMs, TimeUnit.MILLISECONDS));
    }

    /** OkHttp's own backend (TaskRunner.RealBackend) except that a newly scheduled task does not wake the runner. */
    private static final class LazyBackend implements TaskRunner.Backend {
        private static final AtomicInteger threads = new AtomicInteger();
        private final ThreadPoolExecutor executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    // named like OkHttp's own runner, so it is counted with the other OkHttp threads
                    Thread t = new Thread(r, "OkHttp TaskRunner (lazy cleanup) " + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });

        @Override
        public void beforeTask(TaskRunner taskRunner) {}

        @Override
        public long nanoTime() { return System.nanoTime(); }

        @Override
        public void coordinatorNotify(TaskRunner taskRunner) {
            // not woken: the wait below ends by LATENESS_MS anyway and then picks up what was scheduled meanwhile
        }

        @Override
        public void coordinatorWait(TaskRunner taskRunner, long nanos) {
            // called holding taskRunner's monitor, as OkHttp's RealBackend waits on it
            long capped = Math.min(nanos, TimeUnit.MILLISECONDS.toNanos(LATENESS_MS));
            if (capped <= 0) return;
            try {
                taskRunner.wait(capped / 1_000_000, (int) (capped % 1_000_000));
            } catch (InterruptedException e) {
                throw LazyBackend.<RuntimeException>rethrow(e); // OkHttp's caller catches it and cancels its tasks
            }
        }

        /** Passes a checked exception through an interface (Kotlin's) that cannot declare it. */
        @SuppressWarnings("unchecked")
        private static <E extends Exception> E rethrow(Exception e) throws E { throw (E) e; }

        @Override
        public void execute(Runnable runnable) { executor.execute(runnable); }
    }
}
