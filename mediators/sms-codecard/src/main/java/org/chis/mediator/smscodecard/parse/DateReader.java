package org.chis.mediator.smscodecard.parse;

import java.time.DateTimeException;
import java.time.LocalDate;
import org.chis.mediator.smscodecard.card.DateOrder;

/**
 * Reads a date in the card's declared order (compact {@code 01032026} or with '-' or '/' inside), or ISO
 * year-first with a four-digit year. Never guesses: a two-digit year or a compact date of 6-7 digits could mean
 * several days, so it is {@link Result#ambiguous}.
 */
final class DateReader {
    record Result(LocalDate date, boolean ambiguous) {
        static final Result BAD = new Result(null, false);
        static final Result AMBIGUOUS = new Result(null, true);
    }

    private DateReader() {}

    static Result read(String s, DateOrder order) {
        int n = s.length();
        if (n == 0) return Result.BAD;
        int sep1 = -1;
        int sep2 = -1;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '-' || c == '/') {
                if (sep1 < 0) sep1 = i;
                else if (sep2 < 0) sep2 = i;
                else return Result.BAD;
            } else if (c < '0' || c > '9') {
                return Result.BAD;
            }
        }
        if (sep1 >= 0) {
            if (sep2 < 0) return Result.AMBIGUOUS; // day and month without a year
            String a = s.substring(0, sep1);
            String b = s.substring(sep1 + 1, sep2);
            String c = s.substring(sep2 + 1);
            if (a.isEmpty() || b.isEmpty() || c.isEmpty() || b.length() > 2) return Result.BAD;
            if (a.length() == 4) return ymd(a, b, c);
            if (a.length() > 2) return Result.BAD;
            String year = order == DateOrder.YMD ? a : c;
            if (year.length() == 2) return Result.AMBIGUOUS;
            if (year.length() != 4) return Result.BAD;
            return switch (order) {
                case DMY -> of(c, b, a);
                case MDY -> of(c, a, b);
                case YMD -> Result.BAD;
            };
        }
        if (n == 6 || n == 7) return Result.AMBIGUOUS;
        if (n != 8) return Result.BAD;
        Result declared = switch (order) {
            case DMY -> of(s.substring(4), s.substring(2, 4), s.substring(0, 2));
            case MDY -> of(s.substring(4), s.substring(0, 2), s.substring(2, 4));
            case YMD -> of(s.substring(0, 4), s.substring(4, 6), s.substring(6));
        };
        Result iso = order == DateOrder.YMD ? Result.BAD : of(s.substring(0, 4), s.substring(4, 6), s.substring(6));
        if (declared.date() != null && iso.date() != null && !declared.date().equals(iso.date())) return Result.AMBIGUOUS;
        return declared.date() != null ? declared : iso;
    }

    private static Result ymd(String y, String m, String d) { return d.length() > 2 ? Result.BAD : of(y, m, d); }

    /** A plausible calendar date (years 1900-2099: anything else is a typing slip, not a birth or a visit). */
    private static Result of(String y, String m, String d) {
        int year = Integer.parseInt(y);
        if (year < 1900 || year > 2099) return Result.BAD;
        try {
            return new Result(LocalDate.of(year, Integer.parseInt(m), Integer.parseInt(d)), false);
        } catch (DateTimeException | NumberFormatException e) {
            return Result.BAD;
        }
    }
}
