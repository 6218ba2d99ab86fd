package org.chis.mediator.smscodecard.parse;

import org.chis.mediator.smscodecard.card.CardField;

/**
 * One field's value as read: what was written and what it means (String for ids and text, LocalDate,
 * Integer, CodeOption, Boolean for yes/no).
 */
public record Value(CardField field, String written, Object value) {}
