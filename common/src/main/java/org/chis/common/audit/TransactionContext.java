package org.chis.common.audit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What one OpenHIM transaction collects while a mediator works on it: the orchestrations (every upstream
 * call, every rollback) and the properties shown in the console. Thread-safe: saga steps may run in parallel.
 */
public final class TransactionContext {
    private final String transactionId;
    private final List<Orchestration> orchestrations = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, String> properties = Collections.synchronizedMap(new LinkedHashMap<>());

    public TransactionContext(String transactionId) {
        this.transactionId = transactionId == null || transactionId.isBlank() ? "local-" + localId() : transactionId;
    }

    /**
     * A random UUID for a request that came without core's transaction id (a direct call): it only tells log lines
     * apart, so it needs no SecureRandom (whose /dev/urandom read under a lock was 5% of the inbound thread's CPU).
     */
    private static UUID localId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        // version 4, IETF variant, as UUID.randomUUID() makes them
        return new UUID((r.nextLong() & ~0xF000L) | 0x4000L, (r.nextLong() & ~(0xC000L << 48)) | (0x8000L << 48));
    }

    /** A context outside any OpenHIM transaction (start-up recovery, scheduled work); still recorded in logs. */
    public static TransactionContext detached(String purpose) { return new TransactionContext(purpose + "-" + UUID.randomUUID()); }

    public String transactionId() { return transactionId; }

    public void record(Orchestration o) { orchestrations.add(o); }

    public List<Orchestration> orchestrations() {
        synchronized (orchestrations) { return List.copyOf(orchestrations); }
    }

    public TransactionContext property(String name, Object value) {
        properties.put(name, String.valueOf(value));
        return this;
    }

    public Map<String, String> properties() {
        synchronized (properties) { return Map.copyOf(properties); }
    }
}
