package org.chis.simulators.cht;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import org.chis.common.json.Json;

/**
 * CHT's outbound push (app_settings {@code outbound.<name>}, sentinel's schedule and @medic/outbound): the
 * {@code mapping} turns the (lineage-hydrated) doc into a JSON payload ({@code "dest": "doc.fields.x"} or
 * {@code {"path"|"expr": ..., "optional": true}}; an absent value of a required key is a mapping error and nothing is
 * sent; a dotted dest makes nested objects), which is POSTed as {@code application/json} to
 * {@code destination.base_url + destination.path} with Basic auth ({@code destination.auth.username}, the password CHT
 * keeps under {@code password_key}; here {@code destination.auth.password}), timeout 10 s. A push that did not get a
 * 2xx stays queued and is retried on sentinel's schedule; here the test calls {@link ChtSimulator#push} again.
 * Expressions (JavaScript in CHT): dotted paths from {@code doc} and quoted constants ({@code "'home_visit'"}).
 */
public final class OutboundPush {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** OUTBOUND_REQ_TIMEOUT: an answer slower than this is a failed push, retried later. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private OutboundPush() {}

    /** What one push sent and how the destination answered. */
    public record Attempt(String config, String docId, ObjectNode payload, int status, String answer) {}

    /** As @medic/outbound's mapDocumentToPayload: a missing required value is a mapping error, nothing is sent. */
    static ObjectNode payload(String name, JsonNode config, JsonNode doc) {
        ObjectNode out = Json.object();
        for (Iterator<Map.Entry<String, JsonNode>> it = config.path("mapping").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            JsonNode spec = m.getValue();
            String path = spec.isTextual() ? spec.asText() : spec.path("path").asText(null);
            String expr = spec.isTextual() ? null : spec.path("expr").asText(null);
            boolean required = spec.isTextual() || !spec.path("optional").asBoolean(false);
            if (path == null && expr == null) {
                throw new IllegalArgumentException("Mapping error for '" + name + "/" + m.getKey() + "' either 'expr' or 'path' is required: '" + doc.path("_id").asText() + "'");
            }
            JsonNode value = evaluate(expr != null ? expr : path, doc);
            // undefined (absent) is missing; JSON null is a value, as in JavaScript
            if (value == null || value.isMissingNode()) {
                if (!required) continue;
                String problem = expr != null ? "expr evaluated to undefined" : "cannot find '" + path + "' on source document";
                throw new IllegalArgumentException("Mapping error for '" + name + "/" + m.getKey() + "' on source document '" + doc.path("_id").asText() + "': " + problem);
            }
            set(out, m.getKey(), value);
        }
        return out;
    }

    /** objectPath.set: a dotted destination key makes nested objects. */
    private static void set(ObjectNode out, String dest, JsonNode value) {
        String[] parts = dest.split("\\.");
        ObjectNode at = out;
        for (int i = 0; i < parts.length - 1; i++) at = at.with(parts[i]);
        at.set(parts[parts.length - 1], value);
    }

    /** {@code doc.a.b} paths (object-path) and, for expressions, the same paths or a quoted constant. */
    private static JsonNode evaluate(String expr, JsonNode doc) {
        String e = expr.trim();
        if (e.length() >= 2 && e.startsWith("'") && e.endsWith("'")) return Json.object().textNode(e.substring(1, e.length() - 1));
        if (!e.equals("doc") && !e.startsWith("doc.")) throw new IllegalArgumentException("the simulator evaluates doc paths and 'constants' only: " + expr);
        JsonNode n = doc;
        for (String part : e.split("\\.")) {
            if (part.equals("doc")) continue;
            n = n == null ? null : n.get(part);
        }
        return n;
    }

    static Attempt send(String name, JsonNode config, JsonNode doc) {
        ObjectNode payload = payload(name, config, doc);
        JsonNode dest = config.path("destination");
        String url = dest.path("base_url").asText() + dest.path("path").asText();
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json").header("Accept", "application/json").header("User-Agent", "CHT/4.15.0 (linux,x64)")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(payload)));
        JsonNode auth = dest.path("auth");
        if ("basic".equalsIgnoreCase(auth.path("type").asText())) {
            String user = auth.path("username").asText() + ":" + auth.path("password").asText();
            req.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8)));
        }
        try {
            HttpResponse<String> r = HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
            return new Attempt(name, doc.path("_id").asText(), payload, r.statusCode(), r.body());
        } catch (IOException e) {
            return new Attempt(name, doc.path("_id").asText(), payload, 0, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Attempt(name, doc.path("_id").asText(), payload, 0, e.toString());
        }
    }
}
