package org.chis.common.work;

import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.chis.common.store.StateStore;

/**
 * A job (a poll, a pull, an import) that runs once at a time: in this process (a lock) and across replicas (a lock
 * row in the state store, held by a transaction that lasts as long as the job; the job writes on other connections).
 */
public final class OneAtATime {
    private final StateStore store;
    private final ReentrantLock running = new ReentrantLock();

    public OneAtATime(StateStore store) { this.store = store; }

    /** Runs {@code job} holding {@code lock}; empty, having run nothing, when another run here or on a replica holds it. */
    public <T> Optional<T> run(String lock, Supplier<T> job) {
        if (!running.tryLock()) return Optional.empty();
        try {
            return store.inTransaction(c -> {
                if (!store.feedMarkers().tryLock(c, lock)) return Optional.<T>empty();
                return Optional.of(job.get());
            });
        } finally {
            running.unlock();
        }
    }
}
