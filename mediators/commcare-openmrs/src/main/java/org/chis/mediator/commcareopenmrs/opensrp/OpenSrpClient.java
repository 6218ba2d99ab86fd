package org.chis.mediator.commcareopenmrs.opensrp;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;
import okhttp3.Credentials;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.audit.TransactionContext;

/**
 * OpenSRP server's REST API (opensrp-server-web, HTTP Basic): {@code GET /rest/event/sync}, {@code GET /rest/practitioner}. Settings {@code opensrp.url},
 * {@code opensrp.user}, {@code opensrp.password} are read per call (a console edit applies to the next request).
 */
final class OpenSrpClient {
    private final RecordingHttpClient http;
    private final Supplier<Endpoint> endpoint;

    OpenSrpClient(RecordingHttpClient http, Settings s) {
        this.http = http;
        this.endpoint = s.derived(x -> new Endpoint(Endpoint.directory("opensrp.url", x.require("opensrp.url")),
                Credentials.basic(x.require("opensrp.user"), x.get("opensrp.password", ""), StandardCharsets.UTF_8)),
                "opensrp.url", "opensrp.user", "opensrp.password");
    }

    /** {@code PractitionerResource}: every practitioner ({@code {identifier, active, name, userId, username}}), a JSON array. */
    JsonNode practitioners(TransactionContext tx) {
        Request request = new Request.Builder().url(endpoint.get().base().newBuilder().addPathSegments("rest/practitioner").build())
                .header("Authorization", endpoint.get().authorization()).header("Accept", "application/json").get().build();
        UpstreamResponse r = http.send(tx, "OpenSRP: list practitioners", request);
        if (!r.ok()) throw new UpstreamException("OpenSRP: list practitioners answered " + r.status() + ": " + r.body(), r.status() >= 500 ? 502 : r.status());
        JsonNode body;
        try {
            body = r.json();
        } catch (IllegalArgumentException e) {
            throw new UpstreamException("OpenSRP: list practitioners answered a body that is not JSON", 502, e);
        }
        if (!body.isArray()) throw new UpstreamException("OpenSRP: list practitioners answered no JSON array: " + r.body(), 502);
        return body;
    }

    /**
     * {@code EventResource.sync}: up to {@code limit} events written after {@code serverVersion} that match the filters
     * (providerId, locationId, team, teamId: at least one), oldest first, with their clients:
     * {@code {"events":[…], "clients":[…], "no_of_events":n}}.
     */
    JsonNode eventSync(TransactionContext tx, Map<String, String> filters, long serverVersion, int limit) {
        HttpUrl.Builder url = endpoint.get().base().newBuilder().addPathSegments("rest/event/sync");
        filters.forEach(url::addQueryParameter);
        url.addQueryParameter("serverVersion", Long.toString(serverVersion)).addQueryParameter("limit", Integer.toString(limit));
        Request request = new Request.Builder().url(url.build()).header("Authorization", endpoint.get().authorization())
                .header("Accept", "application/json").get().build();
        UpstreamResponse r = http.send(tx, "OpenSRP: event sync", request);
        if (!r.ok()) {
            // its errors are {"msg": "..."}; a 4xx here is our configuration (filters, credentials), not the data
            String message = r.body();
            try {
                message = r.json().path("msg").asText(message);
            } catch (IllegalArgumentException notJson) {
                // the body is the message
            }
            throw new UpstreamException("OpenSRP: event sync answered " + r.status() + ": " + message, r.status() >= 500 ? 502 : r.status());
        }
        JsonNode body;
        try {
            body = r.json();
        } catch (IllegalArgumentException e) {
            throw new UpstreamException("OpenSRP: event sync answered a body that is not JSON", 502, e);
        }
        if (!body.path("events").isArray()) throw new UpstreamException("OpenSRP: event sync answered no 'events' array: " + r.body(), 502);
        return body;
    }
}
