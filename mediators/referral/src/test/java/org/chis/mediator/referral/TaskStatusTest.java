package org.chis.mediator.referral;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The referral state machine over the whole R4 Task.status value set: every (from, to) pair against the table. */
class TaskStatusTest {
    /** Columns in this order; 'x' = allowed, '.' = refused, '-' = same status (a no-op, not a move). */
    static final List<String> CODES = List.of("draft", "requested", "received", "accepted", "rejected", "ready",
            "in-progress", "on-hold", "completed", "failed", "cancelled", "entered-in-error");
    //                                       dr rq rc ac rj rd ip oh co fa ca ee
    static final List<String> TABLE = List.of(
            /* draft            */ "- x . . . x . . . . x x",
            /* requested        */ ". - x x x x x . x x x x",
            /* received         */ ". . - x x x x . x x x x",
            /* accepted         */ ". . . - . x x x x x x x",
            /* rejected         */ ". . . . - . . . . . . x",
            /* ready            */ ". . . . . - x x x x x x",
            /* in-progress      */ ". . . . . x - x x x x x",
            /* on-hold          */ ". . . . . x x - . x x x",
            /* completed        */ ". . . . . . . . - . . x",
            /* failed           */ ". . . . . . . . . - . x",
            /* cancelled        */ ". . . . . . . . . . - x",
            /* entered-in-error */ ". . . . . . . . . . . -");

    static Stream<Arguments> pairs() {
        return Stream.iterate(0, i -> i + 1).limit(CODES.size()).flatMap(i -> {
            String[] row = TABLE.get(i).split(" ");
            return Stream.iterate(0, j -> j + 1).limit(CODES.size()).map(j -> Arguments.of(CODES.get(i), CODES.get(j), row[j]));
        });
    }

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @MethodSource("pairs")
    void everyPairOfTheValueSet(String from, String to, String expected) {
        TaskStatus f = TaskStatus.of(from).orElseThrow(() -> new AssertionError(from + " is an R4 Task status"));
        TaskStatus t = TaskStatus.of(to).orElseThrow(() -> new AssertionError(to + " is an R4 Task status"));
        assertThat(f.canMoveTo(t)).as(from + " -> " + to).isEqualTo(expected.equals("x"));
        if (expected.equals(".")) assertThat(f.refusal(t)).contains("cannot");
    }

    @Test
    void theValueSetIsCompleteAndTerminalStatesOnlyGoToEnteredInError() {
        assertThat(TaskStatus.values()).extracting(TaskStatus::code).containsExactlyInAnyOrderElementsOf(CODES);
        for (TaskStatus t : TaskStatus.values()) {
            if (t.terminal() && t != TaskStatus.ENTERED_IN_ERROR) assertThat(t.next()).containsExactly(TaskStatus.ENTERED_IN_ERROR);
        }
        assertThat(TaskStatus.ENTERED_IN_ERROR.next()).isEmpty();
        assertThat(TaskStatus.COMPLETED.refusal(TaskStatus.IN_PROGRESS)).contains("completed").contains("entered-in-error");
    }

    @Test
    void codesParseCaseInsensitivelyIncludingTheOnesOpensrpUses() {
        assertThat(TaskStatus.of("In-Progress")).contains(TaskStatus.IN_PROGRESS);
        assertThat(TaskStatus.of("READY")).contains(TaskStatus.READY);
        assertThat(TaskStatus.of("received")).contains(TaskStatus.RECEIVED);
        assertThat(TaskStatus.of("draft")).contains(TaskStatus.DRAFT);
        assertThat(TaskStatus.of("archived")).isEmpty();
    }
}
