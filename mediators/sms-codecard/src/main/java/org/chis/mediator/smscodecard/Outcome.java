package org.chis.mediator.smscodecard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import org.chis.common.json.Json;
import org.chis.mediator.smscodecard.parse.ReplyKind;

/**
 * How one message ended. {@code kind} null = a temporary fault (nothing kept, 503 + Retry-After, no reply yet).
 * {@code sendReply} false when the worker must not get this reply (already sent, or a fault reply went first).
 */
public record Outcome(ReplyKind kind, String reply, String ref, String language, boolean sendReply, String recordRef,
                      String error, boolean repeat) {

    public static Outcome temporary(String ref, String error) { return new Outcome(null, null, ref, null, false, null, error, false); }

    public boolean temporary() { return kind == null; }

    public Outcome silent() { return new Outcome(kind, reply, ref, language, false, recordRef, error, repeat); }

    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        if (kind == null) o.putNull("ok");
        else o.put("ok", kind.ok());
        o.put("kind", kind == null ? "temporary_fault" : kind.jsonName());
        o.put("reply", reply).put("ref", ref).put("language", language).put("send", sendReply);
        if (recordRef != null) o.put("record", recordRef);
        return o;
    }

    public static Outcome fromJson(JsonNode o, boolean repeat) {
        String k = o.path("kind").asText();
        ReplyKind kind = k.equals("temporary_fault") ? null : ReplyKind.valueOf(k.toUpperCase(Locale.ROOT));
        return new Outcome(kind, o.path("reply").asText(null), o.path("ref").asText(null), o.path("language").asText(null),
                o.path("send").asBoolean(true), o.path("record").asText(null), null, repeat);
    }
}
