package org.chis.common.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.chis.common.json.Json;

/** An upstream answer, body already read as UTF-8 (or the charset the upstream declared). */
public record UpstreamResponse(int status, String body, Map<String, String> headers) {
    public boolean ok() { return status >= 200 && status < 300; }

    public boolean serverError() { return status >= 500; }

    public JsonNode json() { return body == null || body.isBlank() ? Json.object() : Json.parse(body); }

    /** {@code json().path(field).asText(null)} for a top-level text field, without building the tree ({@link Json#topLevelText}). */
    public String jsonText(String field) { return body == null || body.isBlank() ? null : Json.topLevelText(body, field); }

    public String header(String name) {
        for (var e : headers.entrySet()) if (e.getKey().equalsIgnoreCase(name)) return e.getValue();
        return null;
    }
}
