package org.chis.mediator.referral;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * FHIR R4 Task.status with the referral workflow's allowed moves. FHIR servers do not enforce any order, so
 * this is the one place that does: requested -> accepted/rejected/in-progress/completed; accepted ->
 * in-progress/on-hold/completed; in-progress <-> on-hold; in-progress -> completed; any open state ->
 * failed/cancelled/entered-in-error; terminal states only -> entered-in-error.
 */
enum TaskStatus {
    REQUESTED("requested"), ACCEPTED("accepted"), REJECTED("rejected"), IN_PROGRESS("in-progress"), ON_HOLD("on-hold"),
    COMPLETED("completed"), FAILED("failed"), CANCELLED("cancelled"), ENTERED_IN_ERROR("entered-in-error");

    private final String code;

    TaskStatus(String code) { this.code = code; }

    String code() { return code; }

    static Optional<TaskStatus> of(String code) {
        if (code == null) return Optional.empty();
        String c = code.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(s -> s.code.equals(c)).findFirst();
    }

    static String codes() { return String.join(", ", Arrays.stream(values()).map(TaskStatus::code).toList()); }

    boolean terminal() { return this == REJECTED || this == COMPLETED || this == FAILED || this == CANCELLED || this == ENTERED_IN_ERROR; }

    Set<TaskStatus> next() {
        return switch (this) {
            case REQUESTED -> EnumSet.of(ACCEPTED, REJECTED, IN_PROGRESS, COMPLETED, FAILED, CANCELLED, ENTERED_IN_ERROR);
            case ACCEPTED -> EnumSet.of(IN_PROGRESS, ON_HOLD, COMPLETED, FAILED, CANCELLED, ENTERED_IN_ERROR);
            case IN_PROGRESS -> EnumSet.of(ON_HOLD, COMPLETED, FAILED, CANCELLED, ENTERED_IN_ERROR);
            case ON_HOLD -> EnumSet.of(IN_PROGRESS, FAILED, CANCELLED, ENTERED_IN_ERROR);
            case REJECTED, COMPLETED, FAILED, CANCELLED -> EnumSet.of(ENTERED_IN_ERROR);
            case ENTERED_IN_ERROR -> EnumSet.noneOf(TaskStatus.class);
        };
    }

    boolean canMoveTo(TaskStatus to) { return next().contains(to); }

    /** Why a move is refused, for the 409 body. */
    String refusal(TaskStatus to) {
        if (next().isEmpty()) return "a referral that is " + code + " cannot change any more";
        return "a referral that is " + code + " cannot become " + to.code + "; allowed: "
                + String.join(", ", next().stream().map(TaskStatus::code).toList());
    }
}
