package org.chis.mediator.smscodecard.parse;

import java.util.Locale;
import org.chis.mediator.smscodecard.card.CardField;
import org.chis.mediator.smscodecard.card.CodeCard;

/**
 * Why a message cannot become a record, with what the reply needs to tell the worker how to fix it.
 *
 * @param card  the card read (null when the command is unknown)
 * @param label the field's label as the worker writes it (null when no field is involved)
 * @param token what the worker wrote (may be null)
 * @param hint  what is wrong with the token, for the reply's wording
 */
public record Problem(ReplyKind kind, CodeCard card, CardField field, String label, String token, Hint hint, String extra) {

    /** Details replies put in words. */
    public enum Hint { NONE, ID, CODES, NUMBER, YESNO, TOO_LONG, UNEXPECTED, TWICE, DATE, NOT_FUTURE, TOO_OLD, TOO_RECENT, MIN_MAX, SUGGEST, NAME, PHONE }

    public static Problem of(ReplyKind kind, CodeCard card, CardField field, String token, Hint hint) {
        return new Problem(kind, card, field, field == null ? null : field.label(), token, hint, null);
    }

    public Problem withExtra(String e) { return new Problem(kind, card, field, label, token, hint, e); }

    /** For logs and card checks. */
    public String describe() {
        return kind.jsonName() + (label == null ? "" : " " + label) + (token == null ? "" : " '" + token + "'")
                + (hint == Hint.NONE ? "" : " (" + hint.name().toLowerCase(Locale.ROOT) + (extra == null ? "" : " " + extra) + ")");
    }
}
