package org.chis.mediator.referral;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The whole FHIR R4 Task.status value set (draft | requested | received | accepted | rejected | ready | cancelled |
 * in-progress | on-hold | failed | completed | entered-in-error) with the moves a referral can make. FHIR servers
 * do not enforce any order, so this is the one place that does. It follows the spec's typical machine (task-notes):
 * draft -> requested/ready; requested -> received -> accepted/rejected; {@code ready} stands for "assigned and
 * accepted" (OpenSRP's CHW app creates referral Tasks as READY); any open state -> in-progress, completed, failed,
 * cancelled; in-progress <-> on-hold; in-progress or on-hold back to ready (reassigned); the terminal states
 * (completed, cancelled, rejected, failed, entered-in-error) only -> entered-in-error (a record made by mistake).
 */
enum TaskStatus {
    DRAFT("draft"), REQUESTED("requested"), RECEIVED("received"), ACCEPTED("accepted"), REJECTED("rejected"), READY("ready"),
    IN_PROGRESS("in-progress"), ON_HOLD("on-hold"),
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

    /** Open and nobody has started the work yet: these expire when the referral window passes. */
    boolean awaitingFacility() {
        return this == DRAFT || this == REQUESTED || this == RECEIVED || this == ACCEPTED || this == READY || this == ON_HOLD;
    }

    Set<TaskStatus> next() {
        return switch (this) {
            case DRAFT -> EnumSet.of(REQUESTED, READY, CANCELLED, ENTERED_IN_ERROR);
            case REQUESTED -> EnumSet.of(RECEIVED, ACCEPTED, REJECTED, READY, IN_PROGRESS, COMPLETED, FAILED, CANCELLED, ENTERED_IN_ERROR);
            case RECEIVED -> EnumSet.of(ACCEPTED, REJECTED, READY, IN_PROGRESS, COMPLETED, FAILED, CANCELLED, ENTERED_IN_ERROR);
            case ACCEPTED -> EnumSet.of(READY, IN_PROGRESS, ON_HOLD, COMPLETED, FAILED, CANCELLED, ENTERED_IN_ERROR);
            case READY -> EnumSet.of(IN_PROGRESS, ON_HOLD, COMPLETED, FAILED, CANCELLED, ENTERED_IN_ERROR);
            case IN_PROGRESS -> EnumSet.of(READY, ON_HOLD, COMPLETED, FAILED, CANCELLED, ENTERED_IN_ERROR);
            case ON_HOLD -> EnumSet.of(READY, IN_PROGRESS, FAILED, CANCELLED, ENTERED_IN_ERROR);
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
