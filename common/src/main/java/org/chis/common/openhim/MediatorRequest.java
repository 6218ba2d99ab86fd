package org.chis.common.openhim;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Map;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;

/**
 * An inbound request as a mediator handler sees it: body decoded as UTF-8, headers with lower-case names,
 * query parameters, and the OpenHIM transaction (and rerun parent) it belongs to.
 */
public record MediatorRequest(String method, String path, Map<String, String> query, Map<String, String> headers, String body) {

    public String header(String name) { return headers.get(name.toLowerCase(Locale.ROOT)); }

    public String transactionId() { return header("x-openhim-transactionid"); }

    /** Set by core's rerun listener when an operator reruns a transaction from the console. */
    public String parentTransactionId() { return header("parentid"); }

    public String clientId() { return header("x-openhim-clientid"); }

    /** The body as JSON; anything else is the caller's mistake (400 with the parser's position). */
    public JsonNode json() {
        if (body == null || body.isBlank()) throw new BadInputException("request body is empty: a JSON document is expected");
        try {
            return Json.parse(body);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }
}
