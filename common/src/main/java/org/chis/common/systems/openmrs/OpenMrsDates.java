package org.chis.common.systems.openmrs;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import org.chis.common.json.IsoText;

/**
 * The date-time format OpenMRS REST reads and writes: {@code 2017-06-27T00:00:00.000+0000}. Parsing is
 * lenient (also {@code +00:00}, {@code Z}, no millis, date only) because CommCare and OpenSRP send all of these.
 */
public final class OpenMrsDates {
    public static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

    private static final DateTimeFormatter LENIENT = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .optionalStart().appendLiteral('T').append(DateTimeFormatter.ISO_LOCAL_TIME).optionalEnd()
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HH", "Z").optionalEnd()
            .parseDefaulting(ChronoField.HOUR_OF_DAY, 0)
            .toFormatter();

    private OpenMrsDates() {}

    public static String format(OffsetDateTime t) {
        int year = t.getYear();
        int offset = t.getOffset().getTotalSeconds();
        // what FORMAT prints, written by hand: a form formats its time once per observation, and DateTimeFormatter's
        // printer chain cost more than the rest of an observation's body. Years FORMAT pads or signs and offsets
        // with seconds (which it drops) go through FORMAT
        if (year < 1000 || year > 9999 || offset % 60 != 0) return FORMAT.format(t);
        char[] c = new char[28];
        IsoText.dateTime(c, year, t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond());
        c[19] = '.';
        IsoText.digits(c, 20, t.getNano() / 1_000_000, 3);
        c[23] = offset < 0 ? '-' : '+';
        int minutes = Math.abs(offset) / 60;
        IsoText.digits(c, 24, minutes / 60, 2);
        IsoText.digits(c, 26, minutes % 60, 2);
        return new String(c);
    }


    public static String format(Instant t) { return format(t.atOffset(ZoneOffset.UTC)); }

    /** A date as OpenMRS wants it for birthdate: midnight, UTC ("if we don't know the zone, say +0000"). */
    public static String format(LocalDate d) { return format(d.atStartOfDay().atOffset(ZoneOffset.UTC)); }

    /**
     * Parses a date or date-time; a value without a zone is read in {@code zoneIfMissing}.
     *
     * @throws IllegalArgumentException naming the value when it is not a date
     */
    public static OffsetDateTime parse(String text, ZoneId zoneIfMissing) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("empty date");
        String t = text.trim();
        try {
            var parsed = LENIENT.parse(t);
            LocalDateTime local = LocalDateTime.of(LocalDate.from(parsed),
                    parsed.isSupported(ChronoField.NANO_OF_DAY) ? LocalTime.ofNanoOfDay(parsed.getLong(ChronoField.NANO_OF_DAY)) : LocalTime.MIDNIGHT);
            if (parsed.isSupported(ChronoField.OFFSET_SECONDS)) {
                return local.atOffset(ZoneOffset.ofTotalSeconds(parsed.get(ChronoField.OFFSET_SECONDS)));
            }
            return local.atZone(zoneIfMissing).toOffsetDateTime();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not a date or date-time (expected e.g. 2024-05-01 or 2024-05-01T10:30:00.000+0300)");
        }
    }

    public static OffsetDateTime parse(String text) { return parse(text, ZoneOffset.UTC); }

    /** The date part as written (no zone shift): {@code 2017-06-27T23:00:00.000+0300} -> 2017-06-27. */
    public static LocalDate datePart(String text) {
        // a bare yyyy-MM-dd (a birthdate, a date question) is read without the lenient formatter, which tried each of
        // its optional parts on it; the same date, or the same error for a day that does not exist
        String t = text == null ? null : text.trim();
        if (t != null && t.length() == 10 && t.charAt(4) == '-' && t.charAt(7) == '-') {
            int year = number(t, 0, 4), month = number(t, 5, 7), day = number(t, 8, 10);
            if (year >= 0 && month >= 0 && day >= 0) {
                try {
                    return LocalDate.of(year, month, day);
                } catch (DateTimeException e) {
                    return parse(text).toLocalDate(); // throws, naming the value
                }
            }
        }
        return parse(text).toLocalDate();
    }

    /** The ASCII digits of {@code t} from {@code from} to {@code to} as a number, or -1 if one is not a digit. */
    private static int number(String t, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            char c = t.charAt(i);
            if (c < '0' || c > '9') return -1;
            n = n * 10 + (c - '0');
        }
        return n;
    }
}
