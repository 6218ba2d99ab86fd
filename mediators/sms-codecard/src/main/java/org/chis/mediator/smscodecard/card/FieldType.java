package org.chis.mediator.smscodecard.card;

import java.util.Locale;

/** What a code-card field holds; decides how its token is read and checked. */
public enum FieldType {
    /** An identifier (patient, mother), with optional length bounds and check digit. */
    ID,
    /** A date written in the card's declared day/month/year order (or ISO year-first). */
    DATE,
    /** A whole number, optionally within min..max. */
    INTEGER,
    /** One of a list of codes (ANC1..ANC8, M/F), each with its own targets. */
    CODE,
    /** Yes or no, in any of the languages the suite knows (Y, YES, NDIYO, OUI / N, NO, HAPANA, NON, 1/0). */
    YESNO,
    /** Free text: last position only, takes the rest of the message. */
    TEXT,
    /** A person's name: one word of letters (an apostrophe or hyphen inside), as written; minLength..maxLength. */
    NAME,
    /** A phone number: 7 to 15 digits, optionally after '+' (E.164 without spaces). */
    PHONE,
    /**
     * A birth date, or an age in whole years (1 to 3 digits): the worker often knows only the age. An age becomes an
     * estimated birth date ({@code today - years}) when the record is made.
     */
    BIRTHDATE;

    public static FieldType parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            return null;
        }
    }

    public String jsonName() { return name().toLowerCase(Locale.ROOT); }
}
