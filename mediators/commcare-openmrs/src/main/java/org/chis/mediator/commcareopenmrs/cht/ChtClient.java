package org.chis.mediator.commcareopenmrs.cht;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;

/**
 * CHT's REST API (cht-core api, HTTP Basic as a user with can_create_people / can_create_records):
 * {@code POST /api/v1/people}, {@code POST /api/v1/records}, {@code GET /api/v1/person/{id}}. Settings {@code cht.url},
 * {@code cht.user}, {@code cht.password} are read per call (a console edit applies to the next request).
 */
public final class ChtClient {
    /** A person POSTed: its id, and whether CHT had it already (409: our deterministic {@code _id} exists). */
    record Saved(String id, boolean existed) {}

    private final RecordingHttpClient http;
    private final Supplier<Endpoint> endpoint;

    public ChtClient(RecordingHttpClient http, Settings s) {
        this.http = http;
        this.endpoint = Endpoint.basic(s, "cht");
    }

    /**
     * Creates a person with the {@code _id} it carries (CouchDB keeps a POSTed {@code _id}): a repeat after a lost
     * answer is CHT's 409 "Document update conflict." and is taken as "already there".
     */
    Saved createPerson(TransactionContext tx, ObjectNode person) {
        UpstreamResponse r = http.send(tx, "CHT: create person", post("api/v1/people", person));
        if (r.status() == 409 && person.hasNonNull("_id")) return new Saved(person.get("_id").asText(), true);
        if (!r.ok()) throw failure("create person", r);
        return new Saved(json("create person", r).path("id").asText(), false);
    }

    /** Creates a report ({@code _meta.form}, {@code _meta.from}, flat string/number fields); returns its doc id. */
    public String createReport(TransactionContext tx, ObjectNode report) {
        UpstreamResponse r = http.send(tx, "CHT: create report", post("api/v1/records", report));
        if (!r.ok()) throw failure("create report", r);
        JsonNode body = json("create report", r);
        if (!body.path("success").asBoolean(false)) throw new UpstreamException("CHT: create report answered " + r.body(), 502);
        return body.path("id").asText();
    }

    /** The person, or empty when CHT has none with this id (404). */
    Optional<JsonNode> person(TransactionContext tx, String id) {
        HttpUrl url = endpoint.get().base().newBuilder().addPathSegments("api/v1/person").addPathSegment(id).build();
        UpstreamResponse r = http.send(tx, "CHT: get person", request(url).get().build());
        if (r.status() == 404) return Optional.empty();
        if (!r.ok()) throw failure("get person", r);
        return Optional.of(json("get person", r));
    }

    private Request post(String path, JsonNode body) {
        return request(endpoint.get().base().resolve(path)).post(RecordingHttpClient.jsonBody(Json.write(body))).build();
    }

    private Request.Builder request(HttpUrl url) {
        // Accept JSON: CHT then answers errors as {"code", "error"} instead of text/plain
        return new Request.Builder().url(url).header("Authorization", endpoint.get().authorization()).header("Accept", "application/json");
    }

    /** CHT's message ({@code error} of its JSON error, or the text body) with its status: 4xx = rejected data, 5xx = fault. */
    private static UpstreamException failure(String what, UpstreamResponse r) {
        String message = r.body();
        try {
            JsonNode b = r.json();
            if (b.hasNonNull("error")) message = b.get("error").asText();
        } catch (IllegalArgumentException notJson) {
            // text/plain error: the body is the message
        }
        return new UpstreamException("CHT: " + what + " answered " + r.status() + ": " + message, r.status());
    }

    private static JsonNode json(String what, UpstreamResponse r) {
        try {
            return r.json();
        } catch (IllegalArgumentException e) {
            throw new UpstreamException("CHT: " + what + " answered " + r.status() + " with a body that is not JSON", 502, e);
        }
    }
}
