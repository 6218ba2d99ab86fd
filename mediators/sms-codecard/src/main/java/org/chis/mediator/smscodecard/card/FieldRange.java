package org.chis.mediator.smscodecard.card;

/**
 * Semantic limits of a field. Dates: not in the future, at most/at least so many days before today.
 * Integers: min..max inclusive. Any limit may be null (no limit).
 */
public record FieldRange(Integer min, Integer max, boolean notFuture, Integer maxDaysAgo, Integer minDaysAgo) {
    public static final FieldRange NONE = new FieldRange(null, null, false, null, null);
}
