package org.chis.common.saga;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Resource kind -> how to undo it. Mediators register theirs at start-up, before recovery runs. */
public final class Compensators {
    private final Map<String, Compensator> byKind = new ConcurrentHashMap<>();

    public Compensators register(String kind, Compensator compensator) {
        byKind.put(kind, compensator);
        return this;
    }

    public Optional<Compensator> find(String kind) { return Optional.ofNullable(byKind.get(kind)); }
}
