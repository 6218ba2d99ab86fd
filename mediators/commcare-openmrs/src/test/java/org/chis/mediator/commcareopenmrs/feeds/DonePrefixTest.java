package org.chis.mediator.commcareopenmrs.feeds;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.chis.mediator.commcareopenmrs.feeds.DonePrefix.State;
import org.junit.jupiter.api.Test;

/** The marker's rule: it moves only over the unbroken prefix of done entries, in feed order. */
class DonePrefixTest {
    static FeedMarker entry(int n) { return new FeedMarker("http://openmrs/ws/atomfeed/patient/1", "e" + n); }

    /** Entries e1..en at positions 0..n-1. */
    static DonePrefix feed(int n, int parkedBefore, int cap) {
        DonePrefix p = new DonePrefix(parkedBefore, cap);
        for (int i = 1; i <= n; i++) assertThat(p.add(entry(i))).isEqualTo(i - 1);
        return p;
    }

    @Test
    void entriesOneTwoAndFourDoneMoveTheMarkerToTwo() {
        DonePrefix p = feed(4, 0, 20);
        p.set(0, State.DONE);
        p.set(1, State.DONE);
        p.set(3, State.DONE);

        DonePrefix.Move m = p.next(List.of());
        assertThat(m.marker()).isEqualTo(entry(2));
        assertThat(m.from()).isZero();
        assertThat(m.to()).isEqualTo(2);

        p.moved(m);
        p.set(2, State.DONE);
        DonePrefix.Move rest = p.next(List.of());
        assertThat(rest.from()).isEqualTo(2);
        assertThat(rest.marker()).isEqualTo(entry(4));
    }

    @Test
    void nothingDoneAtTheFrontMovesNothing() {
        DonePrefix p = feed(3, 0, 20);
        p.set(1, State.DONE);
        p.set(2, State.DONE);
        DonePrefix.Move m = p.next(List.of());
        assertThat(m.marker()).isNull();
        assertThat(m.to()).isEqualTo(m.from());
    }

    @Test
    void aParkedEntryCountsAsDoneButIsListedToBeParkedWithTheMove() {
        DonePrefix p = feed(3, 0, 20);
        p.set(0, State.DONE);
        p.set(1, State.PARKED);
        p.set(2, State.DONE);
        DonePrefix.Move m = p.next(List.of());
        assertThat(m.marker()).isEqualTo(entry(3));
        assertThat(m.parked()).containsExactly(1);
        assertThat(m.trips()).isFalse();
    }

    @Test
    void anAppliedEntryIsPassedOnlyByTheCommitThatWritesItsRecord() {
        DonePrefix p = feed(2, 0, 20);
        p.set(0, State.APPLIED);
        p.set(1, State.DONE);
        assertThat(p.next(List.of()).marker()).as("record not written yet").isNull();
        assertThat(p.next(List.of(0)).marker()).as("record in this commit").isEqualTo(entry(2));
    }

    @Test
    void aMoveTakesEffectOnlyOnceCommitted() {
        DonePrefix p = feed(2, 0, 20);
        p.set(0, State.DONE);
        DonePrefix.Move failed = p.next(List.of());
        // the commit failed: not moved, so the next move starts at the same place
        assertThat(p.next(List.of())).isEqualTo(failed);
    }

    @Test
    void anEntryNotDoneHoldsTheMarkerForTheRestOfTheBatch() {
        DonePrefix p = feed(3, 0, 20);
        p.set(0, State.DONE);
        p.set(1, State.NOT_DONE);
        p.set(2, State.DONE);
        DonePrefix.Move m = p.next(List.of());
        assertThat(m.marker()).isEqualTo(entry(1));
        p.moved(m);
        assertThat(p.next(List.of()).marker()).isNull();
    }

    @Test
    void theBreakerStopsRightAfterTheParkedEntryThatReachesTheCap() {
        // one entry parked by an earlier poll, cap 3: the second parked entry of this batch is the last one passed
        DonePrefix p = feed(5, 1, 3);
        p.set(0, State.PARKED);
        p.set(1, State.DONE);
        p.set(2, State.PARKED);
        p.set(3, State.DONE);
        p.set(4, State.PARKED);
        DonePrefix.Move m = p.next(List.of());
        assertThat(m.marker()).isEqualTo(entry(3));
        assertThat(m.parked()).containsExactly(0, 2);
        assertThat(m.trips()).isTrue();
        assertThat(p.tripped()).as("only once committed").isFalse();

        p.moved(m);
        assertThat(p.tripped()).isTrue();
        assertThat(p.next(List.of()).marker()).as("nothing passes a tripped breaker").isNull();
    }
}
