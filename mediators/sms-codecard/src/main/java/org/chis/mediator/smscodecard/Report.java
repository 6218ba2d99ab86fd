package org.chis.mediator.smscodecard;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import org.chis.common.json.Json;
import org.chis.mediator.smscodecard.card.CodeCard;
import org.chis.mediator.smscodecard.card.CodeOption;
import org.chis.mediator.smscodecard.parse.Parsed;
import org.chis.mediator.smscodecard.parse.Value;
import org.chis.mediator.smscodecard.reply.Replies;

/**
 * A message that passed every check: the structured record forwarded to OpenMRS, OpenSRP and the warehouse.
 *
 * @param derived     computed dates (EDD), by derived field name
 * @param patientUuid the OpenMRS patient the id names (null when the card has no patient field); for a
 *                    registration the new patient's
 * @param registrant  the client a registration card (REG) creates, else null
 */
public record Report(String messageUuid, String ref, Parsed parsed, Map<String, LocalDate> derived, Sender sender,
                     String phone, String patientId, String patientUuid, Instant receivedAt, Registrant registrant) {

    public CodeCard card() { return parsed.card(); }

    /** What makes two messages "the same report": the keyword and the card's duplicate-key values. */
    public String duplicateKey() { return duplicateKey(parsed); }

    public static String duplicateKey(Parsed parsed) {
        StringBuilder b = new StringBuilder(parsed.card().keyword());
        for (String k : parsed.card().duplicateKey()) {
            Value v = parsed.value(k);
            b.append('|').append(v == null ? "" : Replies.show(parsed.card(), v.value()));
        }
        return b.toString();
    }

    /** The duplicate-key values as the worker would recognise them ("1000AB ANC1"). */
    public static String duplicateText(Parsed parsed) {
        StringBuilder b = new StringBuilder();
        for (String k : parsed.card().duplicateKey()) {
            Value v = parsed.value(k);
            if (v == null) continue;
            if (b.length() > 0) b.append(' ');
            b.append(Replies.show(parsed.card(), v.value()));
        }
        return b.toString();
    }

    /** The record as JSON: card, sender, patient and every value with what it was written as. */
    public ObjectNode toJson() {
        ObjectNode r = Json.object();
        r.put("ref", ref).put("messageUuid", messageUuid).put("keyword", card().keyword()).put("cardVersion", card().version());
        r.put("phone", phone).put("sender", sender == null ? null : sender.name());
        r.put("patientId", patientId).put("patientUuid", patientUuid).put("receivedAt", receivedAt.toString());
        ObjectNode values = r.putObject("values");
        parsed.values().forEach((name, v) -> values.put(name, plain(v.value())));
        derived.forEach((name, d) -> values.put(name, d.toString()));
        return r;
    }

    /** A value as stored and forwarded: ISO dates, codes, true/false, numbers and text as text. */
    public static String plain(Object value) {
        if (value instanceof CodeOption o) return o.code();
        return String.valueOf(value);
    }
}
