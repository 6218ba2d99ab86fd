package org.chis.common.store;

import java.time.Duration;

/**
 * Test helper run in a child JVM: opens the state store at {@code args[0]}, writes forms so old chunks hold little
 * live data, then claims the keys {@code args[1..]} in the ledger while compaction rounds run without pause on another
 * thread, and dies at once as kill -9 would with compaction still running.
 */
public final class CompactingProcessCommits {
    private CompactingProcessCommits() {}

    public static void main(String[] args) throws Exception {
        StateStore store = StateStore.open(args[0], "", "", null, "storetest");
        // a chunk is young, so neither moved nor reused, for H2's retention time (45 s): 0 so rounds start at once
        FormCommitProbe.mvStore(store).setRetentionTime(0);
        FormCommitProbe.FormRun run = new FormCommitProbe.FormRun(store);
        for (int i = 0; i < 300; i++) run.form("pre" + i);
        int[] steps = new int[1];
        Thread compacting = new Thread(() -> {
            try {
                while (true) steps[0] += store.compaction().round().steps();
            } catch (Exception e) {
                System.out.println("compaction failed: " + e);
                Runtime.getRuntime().halt(3);
            }
        });
        compacting.setDaemon(true);
        compacting.start();
        for (int i = 1; i < args.length; i++) {
            run.form("during" + i); // more garbage for the rounds
            store.ledger().claim(args[i], "test", Duration.ofMinutes(5));
        }
        System.out.println("compaction steps before the kill: " + steps[0]);
        Runtime.getRuntime().halt(steps[0] > 0 ? 9 : 4);
    }
}
