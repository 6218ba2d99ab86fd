package org.chis.common.store;

import java.time.Duration;

/**
 * Test helper run in a child JVM: opens the state store at {@code args[0]}, claims the keys {@code args[1..]} in the
 * ledger (each claim a commit), then dies at once as kill -9 would (no shutdown hooks, nothing flushed or closed).
 */
public final class KilledProcessCommits {
    private KilledProcessCommits() {}

    public static void main(String[] args) {
        StateStore store = StateStore.open(args[0], "", "", null, "storetest");
        for (int i = 1; i < args.length; i++) store.ledger().claim(args[i], "test", Duration.ofMinutes(5));
        Runtime.getRuntime().halt(9);
    }
}
