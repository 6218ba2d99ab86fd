package org.chis.common.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;

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

    /** Writes this orchestration as OpenHIM core stores it, straight onto the envelope's generator (no tree). */
    public void write(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", name);
        if (group != null) g.writeStringField("group", group);
        g.writeObjectFieldStart("request");
        g.writeStringField("method", request.method());
        if (request.host() != null) g.writeStringField("host", request.host());
        if (request.port() != null) g.writeStringField("port", request.port());
        g.writeStringField("path", request.path());
        if (request.querystring() != null) g.writeStringField("querystring", request.querystring());
        if (request.headers() != null) writeHeaders(g, request.headers());
        if (request.body() != null) g.writeStringField("body", request.body());
        g.writeStringField("timestamp", request.timestamp().toString());
        g.writeEndObject();
        if (response != null) {
            g.writeObjectFieldStart("response");
            g.writeNumberField("status", response.status());
            if (response.headers() != null) writeHeaders(g, response.headers());
            if (response.body() != null) g.writeStringField("body", response.body());
            g.writeStringField("timestamp", response.timestamp().toString());
            g.writeEndObject();
        }
        if (error != null) {
            g.writeObjectFieldStart("error");
            g.writeStringField("message", error);
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void writeHeaders(JsonGenerator g, Map<String, String> headers) throws IOException {
        g.writeObjectFieldStart("headers");
        for (Map.Entry<String, String> h : headers.entrySet()) g.writeStringField(h.getKey(), h.getValue());
        g.writeEndObject();
    }
}
