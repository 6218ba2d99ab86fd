package org.chis.mediator.smscodecard.card;

/** A value computed from a date field, e.g. EDD = LMP + 280 days (Naegele), echoed and forwarded like a field. */
public record DerivedField(String name, String label, String from, int addDays, Target target) {}
