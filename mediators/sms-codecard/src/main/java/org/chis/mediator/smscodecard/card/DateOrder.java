package org.chis.mediator.smscodecard.card;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;

/**
 * The order a card declares for day, month and year. Dates are read in this order only (plus ISO year-first
 * with a four-digit year, which cannot be mistaken); it is also how dates are echoed in replies.
 */
public enum DateOrder {
    DMY("DDMMYYYY", "dd-MM-yyyy"),
    MDY("MMDDYYYY", "MM-dd-yyyy"),
    YMD("YYYYMMDD", "yyyy-MM-dd");

    private final String pattern;
    private final DateTimeFormatter display;

    DateOrder(String pattern, String display) {
        this.pattern = pattern;
        this.display = DateTimeFormatter.ofPattern(display);
    }

    /** How a health worker should write a date on this card, e.g. {@code DDMMYYYY}. */
    public String pattern() { return pattern; }

    /** A date as replies echo it. */
    public String show(LocalDate d) { return display.format(d); }

    /** A date written the way the card asks (compact), e.g. for examples in replies. */
    public String compact(LocalDate d) { return pattern.replace("DD", two(d.getDayOfMonth())).replace("MM", two(d.getMonthValue())).replace("YYYY", String.valueOf(d.getYear())); }

    private static String two(int n) { return n < 10 ? "0" + n : String.valueOf(n); }
}
