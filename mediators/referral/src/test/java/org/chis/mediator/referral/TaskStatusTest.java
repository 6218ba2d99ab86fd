package org.chis.mediator.referral;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The referral state machine exactly as the issue lists it. */
class TaskStatusTest {
    @Test
    void allowed_moves() {
        assertThat(TaskStatus.REQUESTED.next()).extracting(TaskStatus::code)
                .containsExactlyInAnyOrder("accepted", "rejected", "in-progress", "completed", "failed", "cancelled", "entered-in-error");
        assertThat(TaskStatus.ACCEPTED.next()).extracting(TaskStatus::code)
                .containsExactlyInAnyOrder("in-progress", "on-hold", "completed", "failed", "cancelled", "entered-in-error");
        assertThat(TaskStatus.IN_PROGRESS.next()).extracting(TaskStatus::code)
                .containsExactlyInAnyOrder("on-hold", "completed", "failed", "cancelled", "entered-in-error");
        assertThat(TaskStatus.ON_HOLD.next()).extracting(TaskStatus::code)
                .containsExactlyInAnyOrder("in-progress", "failed", "cancelled", "entered-in-error");
        for (TaskStatus t : new TaskStatus[] {TaskStatus.REJECTED, TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED}) {
            assertThat(t.terminal()).isTrue();
            assertThat(t.next()).containsExactly(TaskStatus.ENTERED_IN_ERROR);
        }
        assertThat(TaskStatus.ENTERED_IN_ERROR.next()).isEmpty();
        assertThat(TaskStatus.COMPLETED.refusal(TaskStatus.IN_PROGRESS)).contains("completed").contains("entered-in-error");
    }

    @Test
    void codes_parse_case_insensitively() {
        assertThat(TaskStatus.of("In-Progress")).contains(TaskStatus.IN_PROGRESS);
        assertThat(TaskStatus.of("ready")).isEmpty();
    }
}
