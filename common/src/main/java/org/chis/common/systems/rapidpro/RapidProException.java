package org.chis.common.systems.rapidpro;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;

/**
 * RapidPro answered with an error. Its API (Django REST framework) says why as {@code {"detail": "..."}}
 * (auth, throttling) or as field errors {@code {"text": ["..."], "non_field_errors": ["..."]}} (validation).
 */
public class RapidProException extends UpstreamException {
    private final long retryAfterSeconds;

    public RapidProException(String message, int status, long retryAfterSeconds) {
        super(message, status);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static RapidProException of(String what, UpstreamResponse r) {
        String reason = reason(r);
        long retryAfter = -1;
        String header = r.header("Retry-After");
        if (header != null) {
            try {
                retryAfter = Long.parseLong(header.trim());
            } catch (NumberFormatException ignored) {
                // an HTTP date: rare from RapidPro; the caller falls back to its own delay
            }
        }
        return new RapidProException(what + ": RapidPro answered " + r.status() + (reason.isEmpty() ? "" : " " + reason), r.status(), retryAfter);
    }

    private static String reason(UpstreamResponse r) {
        try {
            JsonNode b = r.json();
            if (b.hasNonNull("detail")) return b.path("detail").asText();
            List<String> parts = new ArrayList<>();
            b.fields().forEachRemaining(f -> parts.add(f.getKey() + ": " + flatten(f.getValue())));
            return String.join("; ", parts);
        } catch (RuntimeException notJson) {
            String body = r.body() == null ? "" : r.body().strip();
            return body.length() > 200 ? body.substring(0, 200) + "..." : body;
        }
    }

    private static String flatten(JsonNode v) {
        if (v.isTextual()) return v.asText();
        List<String> out = new ArrayList<>();
        if (v.isArray()) v.forEach(x -> out.add(flatten(x)));
        else if (v.isObject()) v.fields().forEachRemaining(f -> out.add(f.getKey() + ": " + flatten(f.getValue())));
        else out.add(v.toString());
        return String.join(", ", out);
    }

    /** Seconds RapidPro asked us to wait (429 throttling), or -1 when it did not say. */
    public long retryAfterSeconds() { return retryAfterSeconds; }

    /** Throttled or a server fault: the same call may work later. Auth and validation errors will not. */
    public boolean temporary() { return status() == 429 || status() >= 500; }
}
