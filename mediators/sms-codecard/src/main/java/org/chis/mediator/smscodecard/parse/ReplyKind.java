package org.chis.mediator.smscodecard.parse;

import java.util.Locale;

/** What a reply says; also the {@code kind} in the webhook answer and in the message log. */
public enum ReplyKind {
    OK(true),
    UNDONE(true),
    /** A new client registered (REG): the reply gives the new client's id. */
    REGISTERED(true),
    /** REG for an identifier a client already has: nothing created, the reply gives the id. */
    ALREADY_REGISTERED(false),
    EMPTY(false),
    UNKNOWN_COMMAND(false),
    MISSING_FIELD(false),
    BAD_FORMAT(false),
    BAD_DATE(false),
    AMBIGUOUS_DATE(false),
    OUT_OF_RANGE(false),
    PATIENT_NOT_FOUND(false),
    NOT_REGISTERED(false),
    NOT_ALLOWED(false),
    ALREADY_RECEIVED(false),
    UNDO_NOT_FOUND(false),
    ALREADY_UNDONE(false),
    /** Not the worker's fault: the system could not save the report after retrying. */
    SYSTEM_FAULT(false);

    private final boolean ok;

    ReplyKind(boolean ok) { this.ok = ok; }

    public boolean ok() { return ok; }

    /** User-fixable: the worker can correct and resend; nothing for an operator to rerun. */
    public boolean userFixable() { return !ok && this != SYSTEM_FAULT; }

    public String jsonName() { return name().toLowerCase(Locale.ROOT); }
}
