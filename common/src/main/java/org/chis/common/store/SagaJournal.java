package org.chis.common.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The durable record of multi-step writes (sagas): each step is written before its upstream call, so after
 * a crash a restart knows what may exist upstream and can undo it. Used by {@code org.chis.common.saga}.
 * <p>
 * A saga's steps are kept in its own row ({@code saga_journal.steps}, one line per step, see {@link StepLines}), not
 * in a table of their own: on an H2 file each commit rewrites every B-tree page it changed, leaf to root, of each
 * table and index it touched, so a journal write is one row of one table (and its key index) instead of a row per
 * step in a table with two indexes besides.
 */
public final class SagaJournal {
    public enum State { RUNNING, COMPLETED, ROLLED_BACK, ROLLBACK_INCOMPLETE }

    public enum StepState { PLANNED, DONE, UNDONE, UNDO_FAILED }

    public record Entry(String sagaKey, State state, Instant startedAt, Instant updatedAt, String error) {}

    /** A journaled step; {@code resourceKind}/{@code resourceId} name what it created upstream (null if nothing). */
    public record Step(String sagaKey, int seq, String name, String resourceKind, String resourceId, StepState state, String error) {
        public boolean hasResource() { return resourceKind != null && resourceId != null; }
    }

    private final StateStore store;
    private final Clock clock;

    SagaJournal(StateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * Starts (or restarts) a saga: RUNNING with no steps. A finished saga of the same key (a rerun) is reset.
     *
     * @throws IllegalStateException if the saga is still RUNNING (undo its leftovers first, see SagaRecovery)
     */
    public void begin(String sagaKey) {
        store.inTransaction(c -> {
            begin(c, sagaKey);
            return null;
        });
    }

    /** Starts the saga with {@code steps} (its step lines, may be null) in the same statement. */
    private void begin(Connection c, String sagaKey, String steps) throws SQLException {
        Instant now = clock.instant();
        if (Sql.tryInsert(c, "INSERT INTO saga_journal (saga_key, state, started_at, updated_at, steps) VALUES (?, ?, ?, ?, ?)",
                sagaKey, State.RUNNING, now, now, steps)) return;
        int reset = Sql.update(c, "UPDATE saga_journal SET state = ?, started_at = ?, updated_at = ?, error = NULL, steps = ?"
                + " WHERE saga_key = ? AND state <> ?", State.RUNNING, now, now, steps, sagaKey, State.RUNNING);
        if (reset == 0) throw new IllegalStateException("saga '" + sagaKey + "' is still running");
    }

    private void begin(Connection c, String sagaKey) throws SQLException { begin(c, sagaKey, null); }

    /**
     * The journal writes of one run of {@code sagaKey}, gathered and written together: each commit of a file
     * database costs far more than the rows in it (H2 writes a chunk of B-tree pages per commit, measured at most of
     * a form's CPU with one commit per step). The caller decides when the journal must be durable, i.e. before an
     * upstream call that may create something ({@link Batch#flush}); rows of steps that create nothing, and "done"
     * marks of steps whose id was journaled before their call, wait for the next flush or {@link Batch#finish}.
     */
    public Batch batch(String sagaKey) { return new Batch(sagaKey); }

    /** See {@link #batch}. Thread-safe: a saga's steps may run in parallel. */
    public final class Batch {
        private final String sagaKey;
        private final Map<Integer, Step> pending = new LinkedHashMap<>();
        /** Each step row as it is in the database. */
        private final Map<Integer, Step> written = new HashMap<>();
        private final List<Rows> withNext = new ArrayList<>();
        private boolean beginPending;
        private boolean begun;
        private boolean refused;

        private Batch(String sagaKey) { this.sagaKey = sagaKey; }

        /** Starts (or restarts) the saga at the next flush; the flush throws IllegalStateException if it is still RUNNING. */
        public synchronized void begin() { beginPending = true; }

        public synchronized void plan(int seq, String name, String resourceKind, String resourceId) {
            pending.put(seq, new Step(sagaKey, seq, clip(name), resourceKind, resourceId, StepState.PLANNED, null));
        }

        public synchronized void done(int seq, String resourceKind, String resourceId) {
            Step planned = pending.get(seq);
            if (planned == null) planned = written.get(seq);
            String name = planned != null ? planned.name() : null;
            pending.put(seq, new Step(sagaKey, seq, name, resourceKind, resourceId, StepState.DONE, null));
        }

        /**
         * The caller's own rows, written in the next write's transaction (the next {@link #flush} or {@link #finish}):
         * e.g. what must be durable before the saga's first upstream call, without a commit of its own.
         */
        public synchronized void with(Rows rows) { withNext.add(rows); }

        /** True once step {@code seq}'s row is in the database (a later change of it may still be pending). */
        public synchronized boolean written(int seq) { return written.containsKey(seq); }

        /** True once the saga's start is in the database. */
        public synchronized boolean begun() { return begun; }

        /** True when the start was refused because a run of the key is still RUNNING (nothing of this run was written). */
        public synchronized boolean refused() { return refused; }

        /** Writes what is pending in one transaction. */
        public synchronized void flush() { write(null, null, null); }

        /** Writes what is pending and the saga's end in one transaction. */
        public synchronized void finish(State state, String error) { finish(state, error, null); }

        /**
         * As {@link #finish(State, String)}, with {@code rows} (may be null) in the same transaction: e.g. the outcome
         * of the work the saga did, so the saga's end and its outcome are one commit, never one without the other.
         */
        public synchronized void finish(State state, String error, Rows rows) {
            if (state == State.RUNNING) throw new IllegalArgumentException("finish needs a final state, not RUNNING");
            write(state, error, rows);
        }

        private void write(State end, String error, Rows endRows) {
            if (!beginPending && pending.isEmpty() && withNext.isEmpty() && end == null) return;
            try {
                store.inTransaction(c -> {
                    // every step of the run as it will be: the row's step lines are written whole
                    Map<Integer, Step> all = new TreeMap<>(written);
                    all.putAll(pending);
                    String steps = all.isEmpty() ? null : StepLines.write(all.values());
                    boolean stepsChanged = !pending.isEmpty();
                    if (beginPending) {
                        SagaJournal.this.begin(c, sagaKey, steps);
                        stepsChanged = false;
                    }
                    for (Rows r : withNext) r.write(c);
                    if (end != null && stepsChanged) {
                        Sql.update(c, "UPDATE saga_journal SET state = ?, error = ?, updated_at = ?, steps = ? WHERE saga_key = ?",
                                end, error, clock.instant(), steps, sagaKey);
                    } else if (end != null) {
                        Sql.update(c, "UPDATE saga_journal SET state = ?, error = ?, updated_at = ? WHERE saga_key = ?",
                                end, error, clock.instant(), sagaKey);
                    } else if (stepsChanged) {
                        Sql.update(c, "UPDATE saga_journal SET steps = ? WHERE saga_key = ?", steps, sagaKey);
                    }
                    if (endRows != null) endRows.write(c);
                    return null;
                });
            } catch (IllegalStateException stillRunning) {
                if (beginPending) refused = true;
                throw stillRunning;
            }
            if (beginPending) begun = true;
            beginPending = false;
            written.putAll(pending);
            pending.clear();
            withNext.clear();
        }
    }

    /** Journals a step before it runs; {@code resourceId} is known in advance when we choose it (a client uuid). */
    public void planStep(String sagaKey, int seq, String name, String resourceKind, String resourceId) {
        changeSteps(sagaKey, steps -> {
            if (steps.containsKey(seq)) throw new IllegalStateException("saga journal: step " + sagaKey + " #" + seq + " exists already");
            steps.put(seq, new Step(sagaKey, seq, clip(name), resourceKind, resourceId, StepState.PLANNED, null));
        });
    }

    public void markStepDone(String sagaKey, int seq, String resourceKind, String resourceId) {
        changeStep(sagaKey, seq, st -> new Step(sagaKey, seq, st.name(), resourceKind, resourceId, StepState.DONE, st.error()));
    }

    public void markStepUndone(String sagaKey, int seq) {
        changeStep(sagaKey, seq, st -> new Step(sagaKey, seq, st.name(), st.resourceKind(), st.resourceId(), StepState.UNDONE, null));
    }

    public void markStepUndoFailed(String sagaKey, int seq, String error) {
        changeStep(sagaKey, seq, st -> new Step(sagaKey, seq, st.name(), st.resourceKind(), st.resourceId(), StepState.UNDO_FAILED, error));
    }

    /** Step names are for people; a long one must not fail the saga. */
    private static String clip(String name) {
        return name != null && name.length() > 255 ? name.substring(0, 252) + "..." : name;
    }

    private void changeStep(String sagaKey, int seq, java.util.function.UnaryOperator<Step> change) {
        changeSteps(sagaKey, steps -> {
            Step st = steps.get(seq);
            if (st == null) throw new IllegalStateException("saga journal: no such step (" + sagaKey + " #" + seq + ")");
            steps.put(seq, change.apply(st));
        });
    }

    /** Reads the saga's steps under a row lock, changes them, writes them back: one transaction. */
    private void changeSteps(String sagaKey, java.util.function.Consumer<Map<Integer, Step>> change) {
        store.inTransaction(c -> {
            Optional<Optional<String>> row = Sql.one(c, "SELECT steps FROM saga_journal WHERE saga_key = ? FOR UPDATE",
                    rs -> Optional.ofNullable(rs.getString(1)), sagaKey);
            if (row.isEmpty()) throw new IllegalStateException("saga journal: no saga '" + sagaKey + "'");
            Map<Integer, Step> steps = new TreeMap<>();
            for (Step st : StepLines.read(sagaKey, row.get().orElse(null))) steps.put(st.seq(), st);
            change.accept(steps);
            Sql.update(c, "UPDATE saga_journal SET steps = ? WHERE saga_key = ?", StepLines.write(steps.values()), sagaKey);
            return null;
        });
    }

    public void finish(String sagaKey, State state, String error) {
        if (state == State.RUNNING) throw new IllegalArgumentException("finish needs a final state, not RUNNING");
        store.withConnection(c -> Sql.update(c, "UPDATE saga_journal SET state = ?, error = ?, updated_at = ? WHERE saga_key = ?",
                state, error, clock.instant(), sagaKey));
    }

    /** Keys of sagas left RUNNING (the process stopped mid-saga), oldest first. */
    public List<String> unfinished() {
        return store.withConnection(c -> Sql.list(c, "SELECT saga_key FROM saga_journal WHERE state = ? ORDER BY started_at, saga_key",
                rs -> rs.getString(1), State.RUNNING));
    }

    /** As {@link #unfinished()}, only sagas started before {@code startedBefore} (not those other replicas run right now). */
    public List<String> unfinished(Instant startedBefore) {
        return store.withConnection(c -> Sql.list(c, "SELECT saga_key FROM saga_journal WHERE state = ? AND started_at < ?"
                + " ORDER BY started_at, saga_key", rs -> rs.getString(1), State.RUNNING, startedBefore));
    }

    public Optional<Entry> find(String sagaKey) {
        return store.withConnection(c -> Sql.one(c, "SELECT saga_key, state, started_at, updated_at, error FROM saga_journal WHERE saga_key = ?",
                SagaJournal::entry, sagaKey));
    }

    /** The saga's steps in the order they were taken. */
    public List<Step> steps(String sagaKey) {
        return store.withConnection(c -> Sql.one(c, "SELECT steps FROM saga_journal WHERE saga_key = ?", rs -> rs.getString(1), sagaKey))
                .map(text -> StepLines.read(sagaKey, text)).orElse(List.of());
    }

    private static Entry entry(ResultSet rs) throws SQLException {
        return new Entry(rs.getString("saga_key"), State.valueOf(rs.getString("state")), Sql.instant(rs, "started_at"),
                Sql.instant(rs, "updated_at"), rs.getString("error"));
    }

}
