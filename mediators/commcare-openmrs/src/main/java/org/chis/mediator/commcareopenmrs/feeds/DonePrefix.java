package org.chis.mediator.commcareopenmrs.feeds;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Where a feed's marker may move while a batch's entries finish out of order: only over the unbroken prefix of entries
 * that are done, one entry after the other in feed order, so an entry before the marker is never lost by a crash.
 * <ul>
 * <li>{@link State#DONE}: seen before, or applied with its record written: passed.</li>
 * <li>{@link State#APPLIED}: applied, its record not yet written: passed only by the commit that writes it.</li>
 * <li>{@link State#PARKED}: failed or waiting behind its patient: counts as done, and is listed in the move, which
 * parks it in the same transaction.</li>
 * <li>{@link State#RUNNING} and {@link State#NOT_DONE} (not tried, or its commit failed): the marker stays before it.</li>
 * </ul>
 * Circuit breaker: the move stops right after the parked entry that brings the feed's parked entries to the cap, and
 * no later move passes anything. Positions are given by {@link #add} in feed order. Thread-safe.
 */
final class DonePrefix {
    enum State { RUNNING, APPLIED, DONE, PARKED, NOT_DONE }

    /**
     * A move of the marker over positions {@code from} (inclusive) to {@code to} (exclusive); {@code marker} is null
     * when it moves over nothing. {@code parked}: the positions passed that are to be parked; {@code trips}: the breaker.
     */
    record Move(int from, int to, FeedMarker marker, List<Integer> parked, boolean trips) {}

    private final List<FeedMarker> markers = new ArrayList<>();
    private final List<State> states = new ArrayList<>();
    private final int cap;
    private int next;
    private int parked;
    private boolean tripped;

    /**
     * @param parkedBefore entries of this feed parked before the batch
     * @param cap          parked entries at which the feed stops ({@code feeds.maxFailedEvents})
     */
    DonePrefix(int parkedBefore, int cap) {
        this.parked = parkedBefore;
        this.cap = cap;
    }

    /** The next entry in feed order, to which the marker points once it is passed; returns its position. */
    synchronized int add(FeedMarker marker) {
        markers.add(marker);
        states.add(State.RUNNING);
        return markers.size() - 1;
    }

    synchronized void set(int position, State state) { states.set(position, state); }

    /**
     * The move a commit writing the records of the APPLIED entries at {@code recordedNow} would make; changes
     * nothing until {@link #moved} says the commit succeeded.
     */
    synchronized Move next(Collection<Integer> recordedNow) {
        int n = next;
        int parks = parked;
        boolean trips = false;
        List<Integer> toPark = new ArrayList<>();
        FeedMarker to = null;
        while (n < states.size() && !tripped) {
            State s = states.get(n);
            boolean done = s == State.DONE || s == State.PARKED || s == State.APPLIED && recordedNow.contains(n);
            if (!done) break;
            to = markers.get(n);
            if (s == State.PARKED) {
                toPark.add(n);
                parks++;
            }
            n++;
            if (s == State.PARKED && parks >= cap) {
                trips = true;
                break;
            }
        }
        return new Move(next, n, to, toPark, trips);
    }

    /** The commit of {@code m} succeeded: the marker is past it. */
    synchronized void moved(Move m) {
        next = m.to();
        parked += m.parked().size();
        if (m.trips()) tripped = true;
    }

    /** True once the breaker tripped: the feed takes no more entries in this batch. */
    synchronized boolean tripped() { return tripped; }
}
