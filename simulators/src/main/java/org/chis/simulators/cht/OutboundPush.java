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
 * CHT's outbound push (app_settings {@code outbound.<name>}, sentinel's outbound transition): the {@code mapping}
 * turns a doc into a JSON payload ({@code "key": "doc.fields.x"} or {@code {"expr": "...", "optional": true}}; a
 * missing value of a non-optional key is a mapping error and nothing is sent), which is POSTed as
 * {@code application/json} to {@code destination.base_url + destination.path} with Basic auth
 * ({@code destination.auth.username}, the password CHT keeps under {@code password_key}). CHT retries a push that
 * did not answer 2xx every 5 minutes; here the test calls {@link ChtSimulator#push} again.
 * Expressions: dotted paths from {@code doc}, and quoted constants ({@code "'home_visit'"}).
 */
public final class OutboundPush {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private OutboundPush() {}

    /** What one push sent and how the destination answered. */
    public record Attempt(String config, String docId, ObjectNode payload, int status, String answer) {}

    static ObjectNode payload(JsonNode config, JsonNode doc) {
        ObjectNode out = Json.object();
        for (Iterator<Map.Entry<String, JsonNode>> it = config.path("mapping").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            JsonNode spec = m.getValue();
            String expr = spec.isTextual() ? spec.asText() : spec.path("expr").asText(spec.path("path").asText(""));
            boolean optional = spec.path("optional").asBoolean(false);
            JsonNode value = evaluate(expr, doc);
            if (value == null || value.isMissingNode() || value.isNull()) {
                if (optional) continue;
                throw new IllegalArgumentException("Mapping error for '" + m.getKey() + "' JSON key: no value returned");
            }
            out.set(m.getKey(), value);
        }
        return out;
    }

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
        ObjectNode payload = payload(config, doc);
        JsonNode dest = config.path("destination");
        String url = dest.path("base_url").asText() + dest.path("path").asText();
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("Accept", "application/json")
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
