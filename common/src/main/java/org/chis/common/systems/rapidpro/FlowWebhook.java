package org.chis.common.systems.rapidpro;

import com.fasterxml.jackson.databind.JsonNode;
import org.chis.common.http.BadInputException;

/**
 * What a RapidPro flow's "Call Webhook" action posts about one incoming message. Accepts the body the
 * suite documents ({@code contact{uuid,name,urn,language}, flow{uuid,name}, run{uuid}, input{uuid,text,channel},
 * results}) and the legacy body RapidPro migrated flows still send ({@code input.urn} as an object,
 * {@code channel} at the top). The message uuid is the idempotency key: {@code input.uuid}, else the
 * {@code X-Idempotency-Key} header the flow may add.
 */
public record FlowWebhook(String messageUuid, String text, String contactUuid, String contactName, String urn,
                          String language, String channelUuid, String flowUuid, String flowName, String runUuid,
                          JsonNode results) {

    /**
     * @param idempotencyKey the {@code X-Idempotency-Key}/{@code Idempotency-Key} header, or null
     * @throws BadInputException naming what the flow's webhook body lacks
     */
    public static FlowWebhook parse(JsonNode body, String idempotencyKey) {
        if (body == null || !body.isObject()) throw new BadInputException("the webhook body must be a JSON object as a RapidPro flow sends it");
        JsonNode contact = body.path("contact");
        JsonNode input = body.path("input");
        String messageUuid = text(input, "uuid");
        if (messageUuid == null) messageUuid = blankToNull(idempotencyKey);
        if (messageUuid == null) {
            throw new BadInputException("no message id: add \"input\", object(\"uuid\", input.uuid, \"text\", input.text) to the flow's"
                    + " webhook body, or the header X-Idempotency-Key: @input.uuid");
        }
        JsonNode textNode = input.path("text");
        if (!textNode.isTextual() && !textNode.isNull() && !textNode.isMissingNode()) {
            throw new BadInputException("input.text must be the message text (a string)");
        }
        String text = textNode.isTextual() ? textNode.asText() : null;
        if (text == null) throw new BadInputException("no message text: add input.text to the flow's webhook body");
        String urn = text(contact, "urn");
        if (urn == null) urn = legacyUrn(input.path("urn"));
        if (urn == null) throw new BadInputException("no sender: contact.urn (e.g. tel:+255712000001) is missing from the webhook body");
        String channel = input.path("channel").isObject() ? text(input.path("channel"), "uuid") : text(input, "channel");
        if (channel == null && body.path("channel").isObject()) channel = text(body.path("channel"), "uuid");
        return new FlowWebhook(messageUuid, text, text(contact, "uuid"), text(contact, "name"), urn,
                text(contact, "language"), channel, text(body.path("flow"), "uuid"), text(body.path("flow"), "name"),
                text(body.path("run"), "uuid"), body.path("results"));
    }

    /** Legacy {@code input.urn}: {@code {scheme, path, display}} or a plain string. */
    private static String legacyUrn(JsonNode urn) {
        if (urn.isTextual()) return blankToNull(urn.asText());
        String scheme = text(urn, "scheme");
        String path = text(urn, "path");
        return scheme == null || path == null ? null : scheme + ":" + path;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isValueNode() && !v.isNull() ? blankToNull(v.asText()) : null;
    }

    private static String blankToNull(String s) { return s == null || s.isBlank() ? null : s.trim(); }

    /** The phone number of a {@code tel:} URN in E.164 form ({@code tel:+255 712-000001} -> {@code +255712000001}), else null. */
    public String phone() {
        if (!urn.regionMatches(true, 0, "tel:", 0, 4)) return null;
        // a loop, not replaceAll: every message's sender goes through it, and a regex is compiled per call
        StringBuilder digits = new StringBuilder(urn.length() - 4);
        for (int i = 4; i < urn.length(); i++) {
            char c = urn.charAt(i);
            if (c >= '0' && c <= '9' || c == '+') digits.append(c);
        }
        return digits.isEmpty() ? null : digits.toString();
    }
}
