package org.chis.common.openhim;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads handlers run on (they block on upstream calls and the database): up to {@code size}, each ended after
 * a minute idle. A plain {@link ThreadPoolExecutor} starts a new thread for every task until {@code size} threads
 * live, even while others sit idle; with idle ones timing out, a mediator at a few requests a second made a thread
 * for nearly every request (2 388 thread starts in 2 000 forms, JFR). Here a task goes to an idle thread when there
 * is one, and a thread is started only when all are busy.
 */
final class WorkerPool extends ThreadPoolExecutor {
    /** Tasks handed over and not finished yet. */
    private final AtomicInteger unfinished = new AtomicInteger();

    WorkerPool(int size, String namePrefix) {
        super(size, size, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), new NamedDaemons(namePrefix));
        allowCoreThreadTimeOut(true);
    }

    @Override
    public void execute(Runnable task) {
        // an idle thread exists when fewer tasks are unfinished than threads live: queue it for that thread. A thread
        // timing out meanwhile leaves the task to the others (the last thread never ends while tasks wait)
        if (unfinished.incrementAndGet() <= getPoolSize() && getQueue().offer(task)) return;
        try {
            super.execute(task);
        } catch (RuntimeException e) {
            unfinished.decrementAndGet();
            throw e;
        }
    }

    @Override
    protected void afterExecute(Runnable task, Throwable thrown) {
        unfinished.decrementAndGet();
    }

    private static final class NamedDaemons implements ThreadFactory {
        private final String prefix;
        private final AtomicInteger n = new AtomicInteger();

        NamedDaemons(String prefix) { this.prefix = prefix; }

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
