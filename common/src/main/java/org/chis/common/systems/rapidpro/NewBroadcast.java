package org.chis.common.systems.rapidpro;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chis.common.json.Json;

/**
 * A message to send with {@code POST /api/v2/broadcasts.json}: recipients by URN ({@code tel:+255...}) and/or
 * contact uuid (up to 100 each), text per ISO-639-3 language with the base language among them.
 */
public record NewBroadcast(List<String> urns, List<String> contacts, Map<String, String> text, String baseLanguage) {
    public static final int MAX_RECIPIENTS = 100;

    public NewBroadcast {
        urns = urns == null ? List.of() : List.copyOf(urns);
        contacts = contacts == null ? List.of() : List.copyOf(contacts);
        text = text == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(text));
        if (urns.isEmpty() && contacts.isEmpty()) throw new IllegalArgumentException("a broadcast needs urns or contacts");
        if (urns.size() > MAX_RECIPIENTS || contacts.size() > MAX_RECIPIENTS) {
            throw new IllegalArgumentException("RapidPro accepts at most " + MAX_RECIPIENTS + " urns and " + MAX_RECIPIENTS + " contacts per broadcast");
        }
        if (text.isEmpty()) throw new IllegalArgumentException("a broadcast needs text");
        if (baseLanguage == null || !text.containsKey(baseLanguage)) {
            throw new IllegalArgumentException("the base language must be one of the text languages " + text.keySet());
        }
    }

    /** One text in one language to one URN: what a reply to an inbound SMS is. */
    public static NewBroadcast toUrn(String urn, String language, String text) {
        return new NewBroadcast(List.of(urn), List.of(), Map.of(language, text), language);
    }

    /**
     * The request body. Current RapidPro wants {@code text} as a dict of translations plus {@code base_language};
     * servers before 7.x take a plain string ({@code translations=false} sends the base language's text).
     */
    public ObjectNode toJson(boolean translations) {
        ObjectNode b = Json.object();
        if (!urns.isEmpty()) urns.forEach(b.putArray("urns")::add);
        if (!contacts.isEmpty()) contacts.forEach(b.putArray("contacts")::add);
        if (translations) {
            ObjectNode t = b.putObject("text");
            text.forEach(t::put);
            b.put("base_language", baseLanguage);
        } else {
            b.put("text", text.get(baseLanguage));
        }
        return b;
    }
}
