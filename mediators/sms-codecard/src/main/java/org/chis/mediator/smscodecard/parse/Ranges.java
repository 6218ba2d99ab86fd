package org.chis.mediator.smscodecard.parse;

import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import org.chis.mediator.smscodecard.card.CardField;
import org.chis.mediator.smscodecard.card.FieldRange;
import org.chis.mediator.smscodecard.parse.Problem.Hint;

/** The semantic limits of a card's fields, checked after the sender and the patient (the order replies follow). */
public final class Ranges {
    private Ranges() {}

    /** The first field (in card order) outside its range on {@code today}, or null. */
    public static Problem check(Parsed report, LocalDate today) {
        for (CardField f : report.card().fields()) {
            Value v = report.values().get(f.name());
            if (v == null) continue;
            FieldRange r = f.range();
            if (v.value() instanceof LocalDate d) {
                if (r.notFuture() && d.isAfter(today)) return Problem.of(ReplyKind.OUT_OF_RANGE, report.card(), f, v.written(), Hint.NOT_FUTURE);
                long ago = ChronoUnit.DAYS.between(d, today);
                if (r.maxDaysAgo() != null && ago > r.maxDaysAgo()) {
                    return Problem.of(ReplyKind.OUT_OF_RANGE, report.card(), f, v.written(), Hint.TOO_OLD).withExtra(weeksOrDays(r.maxDaysAgo()));
                }
                if (r.minDaysAgo() != null && ago < r.minDaysAgo()) {
                    return Problem.of(ReplyKind.OUT_OF_RANGE, report.card(), f, v.written(), Hint.TOO_RECENT).withExtra(weeksOrDays(r.minDaysAgo()));
                }
            } else if (v.value() instanceof Age age) {
                if (r.max() != null && age.years() > r.max()) {
                    return Problem.of(ReplyKind.OUT_OF_RANGE, report.card(), f, v.written(), Hint.MIN_MAX).withExtra("0-" + r.max());
                }
            } else if (v.value() instanceof Integer n) {
                if ((r.min() != null && n < r.min()) || (r.max() != null && n > r.max())) {
                    String limits = r.min() == null ? "<=" + r.max() : r.max() == null ? ">=" + r.min() : r.min() + "-" + r.max();
                    return Problem.of(ReplyKind.OUT_OF_RANGE, report.card(), f, v.written(), Hint.MIN_MAX).withExtra(limits);
                }
            }
        }
        return null;
    }

    /** 308 -> "44W", 30 -> "30D": how the reply states a limit. */
    static String weeksOrDays(int days) { return days % 7 == 0 ? days / 7 + "W" : days + "D"; }
}
