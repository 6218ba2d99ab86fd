package org.chis.common.systems.dhis2;

import java.time.LocalDate;
import java.time.temporal.IsoFields;
import java.util.Locale;

/**
 * The DHIS2 period types this suite reports in, with DHIS2's period id formats: daily {@code 20240131},
 * ISO weekly {@code 2020W53} (the ISO week-based year, so 1 Jan 2021 is in 2020W53), monthly {@code 202401},
 * quarterly {@code 2024Q1}, yearly {@code 2024}.
 */
public enum PeriodType {
    DAILY, WEEKLY, MONTHLY, QUARTERLY, YEARLY;

    /** The period of this type that contains {@code date}. */
    public Period periodOf(LocalDate date) {
        return switch (this) {
            case DAILY -> new Period(this, date, date);
            case WEEKLY -> {
                LocalDate monday = date.minusDays(date.getDayOfWeek().getValue() - 1L);
                yield new Period(this, monday, monday.plusDays(6));
            }
            case MONTHLY -> {
                LocalDate first = date.withDayOfMonth(1);
                yield new Period(this, first, first.plusMonths(1).minusDays(1));
            }
            case QUARTERLY -> {
                int q = (date.getMonthValue() - 1) / 3;
                LocalDate first = LocalDate.of(date.getYear(), q * 3 + 1, 1);
                yield new Period(this, first, first.plusMonths(3).minusDays(1));
            }
            case YEARLY -> new Period(this, LocalDate.of(date.getYear(), 1, 1), LocalDate.of(date.getYear(), 12, 31));
        };
    }

    /** Accepts the enum name in any case, plus DHIS2's own names ("Weekly", "Monthly", ...). */
    public static PeriodType parse(String name) {
        if (name == null) throw new IllegalArgumentException("period type is missing");
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown period type '" + name + "' (use one of daily, weekly, monthly, quarterly, yearly)");
        }
    }

    String format(LocalDate start) {
        return switch (this) {
            case DAILY -> String.format("%04d%02d%02d", start.getYear(), start.getMonthValue(), start.getDayOfMonth());
            case WEEKLY -> start.get(IsoFields.WEEK_BASED_YEAR) + "W" + start.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
            case MONTHLY -> String.format("%04d%02d", start.getYear(), start.getMonthValue());
            case QUARTERLY -> start.getYear() + "Q" + ((start.getMonthValue() - 1) / 3 + 1);
            case YEARLY -> String.valueOf(start.getYear());
        };
    }
}
