package org.chis.common.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import org.chis.common.json.IsoText;

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
        // runs for every upstream call: no regex (String.replaceFirst compiled its pattern each time)
        String w = what.strip();
        int n = system.length();
        if (w.regionMatches(true, 0, system, 0, n) && (w.length() == n || w.charAt(n) == ' ' || w.charAt(n) == ':')) {
            int from = n < w.length() && w.charAt(n) == ':' ? n + 1 : n;
            while (from < w.length() && " \t\n\u000B\f\r".indexOf(w.charAt(from)) >= 0) from++; // regex \s
            w = w.substring(from);
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
        g.writeStringField("timestamp", timestamp(request.timestamp()));
        g.writeEndObject();
        if (response != null) {
            g.writeObjectFieldStart("response");
            g.writeNumberField("status", response.status());
            if (response.headers() != null) writeHeaders(g, response.headers());
            if (response.body() != null) g.writeStringField("body", response.body());
            g.writeStringField("timestamp", timestamp(response.timestamp()));
            g.writeEndObject();
        }
        if (error != null) {
            g.writeObjectFieldStart("error");
            g.writeStringField("message", error);
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    /**
     * {@code t.toString()} (ISO-8601, UTC, the fraction in groups of three digits as needed), written by hand for the
     * years 0-9999: every orchestration has two timestamps, and Instant's formatter chain cost more than its body.
     */
    public static String timestamp(Instant t) {
        long seconds = t.getEpochSecond();
        if (seconds < MIN_FAST || seconds >= MAX_FAST) return t.toString();
        long days = Math.floorDiv(seconds, 86_400);
        int secondOfDay = (int) Math.floorMod(seconds, 86_400);
        LocalDate date = LocalDate.ofEpochDay(days);
        int nano = t.getNano();
        int fraction = nano == 0 ? 0 : nano % 1_000_000 == 0 ? 3 : nano % 1000 == 0 ? 6 : 9;
        char[] c = new char[fraction == 0 ? 20 : 21 + fraction];
        IsoText.dateTime(c, date.getYear(), date.getMonthValue(), date.getDayOfMonth(), secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60);
        if (fraction > 0) {
            c[19] = '.';
            IsoText.digits(c, 20, fraction == 3 ? nano / 1_000_000 : fraction == 6 ? nano / 1000 : nano, fraction);
        }
        c[c.length - 1] = 'Z';
        return new String(c);
    }

    /** 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: the years Instant.toString writes as four plain digits. */
    private static final long MIN_FAST = LocalDate.of(0, 1, 1).toEpochDay() * 86_400;
    private static final long MAX_FAST = LocalDate.of(10_000, 1, 1).toEpochDay() * 86_400;


    private static void writeHeaders(JsonGenerator g, Map<String, String> headers) throws IOException {
        g.writeObjectFieldStart("headers");
        for (Map.Entry<String, String> h : headers.entrySet()) g.writeStringField(h.getKey(), h.getValue());
        g.writeEndObject();
    }
}
