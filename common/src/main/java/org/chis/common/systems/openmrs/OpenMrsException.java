package org.chis.common.systems.openmrs;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;

/**
 * OpenMRS answered with an error. The REST module's body {@code {"error":{"message","code","detail",
 * "globalErrors","fieldErrors"}}} is turned into one readable message (validation errors listed field by field,
 * the stack trace in {@code detail} left out).
 */
public class OpenMrsException extends UpstreamException {
    private final String openMrsMessage;
    private final String code;
    private final JsonNode fieldErrors;

    public OpenMrsException(String what, int status, String openMrsMessage, String code, JsonNode fieldErrors) {
        super(what + ": OpenMRS answered " + status + (openMrsMessage == null ? "" : " " + openMrsMessage), status);
        this.openMrsMessage = openMrsMessage;
        this.code = code;
        this.fieldErrors = fieldErrors;
    }

    /** Reads an OpenMRS error response; {@code what} names the call ("create encounter"). */
    public static OpenMrsException of(String what, UpstreamResponse r) {
        String message = null;
        String code = null;
        JsonNode fieldErrors = null;
        try {
            JsonNode error = r.json().path("error");
            if (error.isObject()) {
                message = error.path("message").asText(null);
                code = error.path("code").asText(null);
                List<String> details = new ArrayList<>();
                error.path("globalErrors").forEach(g -> details.add(g.path("message").asText(g.path("code").asText())));
                if (error.path("fieldErrors").isObject()) {
                    fieldErrors = error.path("fieldErrors");
                    error.path("fieldErrors").fields().forEachRemaining(f -> f.getValue().forEach(
                            e -> details.add(f.getKey() + ": " + e.path("message").asText(e.path("code").asText()))));
                }
                if (!details.isEmpty()) message = (message == null ? "" : message + " ") + details;
            }
        } catch (RuntimeException notJson) {
            // an HTML error page or a proxy's text: keep its start, it is usually enough to recognise the fault
        }
        if (message == null && r.body() != null && !r.body().isBlank()) {
            message = r.body().length() > 300 ? r.body().substring(0, 300) + "..." : r.body();
        }
        return new OpenMrsException(what, r.status(), message, code, fieldErrors == null ? Json.object() : fieldErrors);
    }

    /** The message OpenMRS gave (without our prefix). */
    public String openMrsMessage() { return openMrsMessage; }

    /** OpenMRS's error code, e.g. {@code webservices.rest.error.invalid.submission}. */
    public String code() { return code; }

    /** {@code {"field":[{code,message}]}} for validation errors, empty object otherwise. */
    public JsonNode fieldErrors() { return fieldErrors; }

    public boolean notFound() { return status() == 404; }

    /** 4xx: OpenMRS rejected what we sent (validation, unknown reference); repeating it unchanged will not help. */
    public boolean rejected() { return status() >= 400 && status() < 500; }
}
