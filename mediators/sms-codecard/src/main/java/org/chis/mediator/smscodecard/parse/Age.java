package org.chis.mediator.smscodecard.parse;

import java.time.LocalDate;

/** An age in whole years written where a birth date was asked: the birth date it stands for is an estimate. */
public record Age(int years) {
    /** The estimated birth date on {@code today} (OpenMRS marks it {@code birthdateEstimated}). */
    public LocalDate birthdateOn(LocalDate today) { return today.minusYears(years); }

    @Override
    public String toString() { return years + "Y"; }
}
