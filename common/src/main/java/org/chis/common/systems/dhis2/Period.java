package org.chis.common.systems.dhis2;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.temporal.IsoFields;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One DHIS2 period: its type, first and last day, and its id as DHIS2 writes it. */
public record Period(PeriodType type, LocalDate start, LocalDate end) {
    private static final Pattern DAILY = Pattern.compile("(\\d{4})(\\d{2})(\\d{2})");
    private static final Pattern WEEKLY = Pattern.compile("(\\d{4})W(\\d{1,2})");
    private static final Pattern MONTHLY = Pattern.compile("(\\d{4})(\\d{2})");
    private static final Pattern QUARTERLY = Pattern.compile("(\\d{4})Q([1-4])");
    private static final Pattern YEARLY = Pattern.compile("\\d{4}");

    public String id() { return type.format(start); }

    public Period next() { return type.periodOf(end.plusDays(1)); }

    public Period previous() { return type.periodOf(start.minusDays(1)); }

    public boolean contains(LocalDate date) { return !date.isBefore(start) && !date.isAfter(end); }

    @Override
    public String toString() { return id(); }

    /**
     * Parses a DHIS2 period id of one of the supported types. Rejects ids that name no real period
     * ({@code 2021W53}: 2021 has 52 ISO weeks; {@code 202413}).
     */
    public static Period parse(String id) {
        if (id == null || id.isBlank()) throw new IllegalArgumentException("period is empty");
        String s = id.trim();
        try {
            Matcher m;
            if ((m = WEEKLY.matcher(s)).matches()) {
                int year = Integer.parseInt(m.group(1));
                int week = Integer.parseInt(m.group(2));
                LocalDate anyDay = LocalDate.of(year, 6, 1);
                long weeks = anyDay.range(IsoFields.WEEK_OF_WEEK_BASED_YEAR).getMaximum();
                if (week < 1 || week > weeks) throw new IllegalArgumentException("period '" + s + "': " + year + " has " + weeks + " ISO weeks");
                LocalDate monday = anyDay.with(IsoFields.WEEK_OF_WEEK_BASED_YEAR, week).with(DayOfWeek.MONDAY);
                return PeriodType.WEEKLY.periodOf(monday);
            }
            if ((m = QUARTERLY.matcher(s)).matches()) {
                return PeriodType.QUARTERLY.periodOf(LocalDate.of(Integer.parseInt(m.group(1)), (Integer.parseInt(m.group(2)) - 1) * 3 + 1, 1));
            }
            if ((m = DAILY.matcher(s)).matches()) {
                return PeriodType.DAILY.periodOf(LocalDate.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))));
            }
            if ((m = MONTHLY.matcher(s)).matches()) {
                return PeriodType.MONTHLY.periodOf(LocalDate.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), 1));
            }
            if (YEARLY.matcher(s).matches()) return PeriodType.YEARLY.periodOf(LocalDate.of(Integer.parseInt(s), 1, 1));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("period '" + s + "' is not a real date: " + e.getMessage());
        }
        throw new IllegalArgumentException("period '" + s + "' is not a DHIS2 daily (20240131), weekly (2024W5), monthly (202401), quarterly (2024Q1) or yearly (2024) period");
    }
}
