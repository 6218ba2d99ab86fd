package org.chis.common.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Map;
import org.chis.common.json.Json;

/**
 * One recorded step of a transaction as OpenHIM core stores it: the request we sent, the response we got
 * (or the error), with secrets already masked. Names follow one scheme: {@code <System>: <what it does>} for an
 * upstream call ({@code OpenMRS: get patient}, {@code CommCare: submit form}), {@code rollback: <saga step>} for an undo.
 */
public record Orchestration(String name, String group, Request request, Response response, String error) {

    /**
     * The name of a call to {@code system}: {@code "<system>: <what>"}. A {@code what} that already starts with the
     * system's name (a caller's own "OpenMRS get patient") loses it, so the system is never named twice.
     */
    public static String name(String system, String what) {
        String w = what.strip();
        if (w.regionMatches(true, 0, system, 0, system.length())) {
            String rest = w.substring(system.length());
            if (rest.isEmpty() || rest.startsWith(" ") || rest.startsWith(":")) w = rest.replaceFirst("^:?\\s*", "");
        }
        return system + ": " + w;
    }

    public record Request(String method, String host, String port, String path, String querystring,
                          Map<String, String> headers, String body, Instant timestamp) {}

    public record Response(int status, Map<String, String> headers, String body, Instant timestamp) {}

    public boolean failed() { return error != null || (response != null && response.status() >= 400); }

    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("name", name);
        if (group != null) o.put("group", group);
        ObjectNode req = o.putObject("request");
        req.put("method", request.method());
        if (request.host() != null) req.put("host", request.host());
        if (request.port() != null) req.put("port", request.port());
        req.put("path", request.path());
        if (request.querystring() != null) req.put("querystring", request.querystring());
        if (request.headers() != null) req.set("headers", Json.MAPPER.valueToTree(request.headers()));
        if (request.body() != null) req.put("body", request.body());
        req.put("timestamp", request.timestamp().toString());
        if (response != null) {
            ObjectNode res = o.putObject("response");
            res.put("status", response.status());
            if (response.headers() != null) res.set("headers", Json.MAPPER.valueToTree(response.headers()));
            if (response.body() != null) res.put("body", response.body());
            res.put("timestamp", response.timestamp().toString());
        }
        if (error != null) o.putObject("error").put("message", error);
        return o;
    }
}
