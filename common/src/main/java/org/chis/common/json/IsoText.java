package org.chis.common.json;

/**
 * ISO-8601 date-time text written into a char array by hand: orchestration timestamps and OpenMRS observation times
 * are written per call and per observation, and DateTimeFormatter's printer chain cost more than the rest of them.
 */
public final class IsoText {
    private IsoText() {}

    /** {@code yyyy-MM-ddTHH:mm:ss} at {@code c[0..18]}, for years 0-9999. */
    public static void dateTime(char[] c, int year, int month, int day, int hour, int minute, int second) {
        digits(c, 0, year, 4);
        c[4] = '-';
        digits(c, 5, month, 2);
        c[7] = '-';
        digits(c, 8, day, 2);
        c[10] = 'T';
        digits(c, 11, hour, 2);
        c[13] = ':';
        digits(c, 14, minute, 2);
        c[16] = ':';
        digits(c, 17, second, 2);
    }

    /** {@code value} as {@code width} decimal digits, zero-padded, at {@code at}. */
    public static void digits(char[] c, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--, value /= 10) c[i] = (char) ('0' + value % 10);
    }
}
