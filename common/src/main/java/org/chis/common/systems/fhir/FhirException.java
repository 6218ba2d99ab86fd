package org.chis.common.systems.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;

/**
 * The FHIR server refused or failed a request. Carries the HTTP status and the server's OperationOutcome
 * (HAPI explains every refusal in one); the message quotes its diagnostics so the console shows why.
 */
public class FhirException extends UpstreamException {
    private final JsonNode operationOutcome;

    public FhirException(String message, int status, JsonNode operationOutcome) {
        super(message, status);
        this.operationOutcome = operationOutcome;
    }

    public JsonNode operationOutcome() { return operationOutcome; }

    /** "error: HAPI-2001: Resource Patient/x is not known; ..." from an OperationOutcome body, or the body's start. */
    public static String describe(String body) {
        if (body == null || body.isBlank()) return "(empty body)";
        try {
            JsonNode oo = Json.parse(body);
            if ("OperationOutcome".equals(oo.path("resourceType").asText())) {
                List<String> parts = new ArrayList<>();
                for (JsonNode i : oo.path("issue")) {
                    String d = i.path("diagnostics").asText(i.path("details").path("text").asText(i.path("code").asText()));
                    parts.add(i.path("severity").asText("error") + ": " + d);
                }
                if (!parts.isEmpty()) return String.join("; ", parts);
            }
        } catch (IllegalArgumentException ignored) {
            // not JSON: quote it as text below
        }
        return body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }

    static JsonNode outcomeOrNull(String body) {
        try {
            JsonNode n = Json.parse(body);
            return "OperationOutcome".equals(n.path("resourceType").asText()) ? n : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
