package org.chis.common.systems.openmrs;

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

    public static String format(OffsetDateTime t) { return FORMAT.format(t); }

    public static String format(Instant t) { return FORMAT.format(t.atOffset(ZoneOffset.UTC)); }

    /** A date as OpenMRS wants it for birthdate: midnight, UTC ("if we don't know the zone, say +0000"). */
    public static String format(LocalDate d) { return FORMAT.format(d.atStartOfDay().atOffset(ZoneOffset.UTC)); }

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
    public static LocalDate datePart(String text) { return parse(text).toLocalDate(); }
}
