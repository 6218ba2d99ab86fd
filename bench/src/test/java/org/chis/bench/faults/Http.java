package org.chis.bench.faults;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.chis.common.json.Json;

/** Plain HTTP for the fault tests: what a caller (or OpenHIM core's router) would send. */
final class Http {
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    record Reply(int status, String body) {
        /** The OpenHIM envelope's response body (the mediator's message), or the raw body. */
        String message() {
            try {
                JsonNode env = Json.parse(body);
                return env.path("response").path("body").asText(body);
            } catch (RuntimeException e) {
                return body;
            }
        }
    }

    private Http() {}

    static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    static Reply send(String method, String url, byte[] body, String contentType, String auth, boolean chunked) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : chunked ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))
                : HttpRequest.BodyPublishers.ofByteArray(body);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).method(method, publisher);
        if (contentType != null) b.header("Content-Type", contentType);
        if (auth != null) b.header("Authorization", auth);
        HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Reply(r.statusCode(), r.body());
    }

    static Reply postJson(String url, String json, String auth) throws Exception {
        return send("POST", url, json.getBytes(StandardCharsets.UTF_8), "application/json", auth, false);
    }

    static Reply get(String url) throws Exception { return send("GET", url, null, null, null, false); }
}
