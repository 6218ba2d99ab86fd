package org.chis.mediator.smscodecard.parse;

import java.util.Map;
import org.chis.mediator.smscodecard.card.CodeCard;

/** What a message says: a report on a card, an UNDO of an earlier report, or a problem to reply about. */
public record Parsed(CodeCard card, Map<String, Value> values, String undoRef, Problem problem) {

    public static Parsed report(CodeCard card, Map<String, Value> values) { return new Parsed(card, values, null, null); }

    public static Parsed undo(String ref) { return new Parsed(null, Map.of(), ref, null); }

    public static Parsed problem(Problem p) { return new Parsed(p.card(), Map.of(), null, p); }

    public boolean isUndo() { return undoRef != null; }

    public Value value(String field) { return values.get(field); }
}
