package org.chis.common.systems.rapidpro;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.audit.TransactionContext;

/**
 * RapidPro API v2 ({@code Authorization: Token <api token>}): send broadcasts, look up contacts.
 * Settings are read on every call so a URL or token edited in the OpenHIM console applies at once:
 * {@code rapidpro.url}, {@code rapidpro.token}, {@code rapidpro.textTranslations} (true: text as a dict of
 * languages, RapidPro 7+; false: a plain string for older servers).
 */
public final class RapidProClient {
    private final RecordingHttpClient http;
    private final Supplier<Endpoint> endpoint;
    private final Supplier<Boolean> translations;

    /** Follows {@code rapidpro.url}, {@code rapidpro.token} and {@code rapidpro.textTranslations} per call; checks them once now. */
    public static RapidProClient fromSettings(RecordingHttpClient http, Settings settings) {
        RapidProClient client = new RapidProClient(http, settings.derived(s -> endpoint(s.require("rapidpro.url"), s.require("rapidpro.token")),
                "rapidpro.url", "rapidpro.token"), () -> settings.getBool("rapidpro.textTranslations", true));
        client.endpoint.get();
        return client;
    }

    public RapidProClient(RecordingHttpClient http, String baseUrl, String token) {
        this(http, Endpoint.fixed(endpoint(baseUrl, token)), () -> true);
    }

    private RapidProClient(RecordingHttpClient http, Supplier<Endpoint> endpoint, Supplier<Boolean> translations) {
        this.http = http;
        this.endpoint = endpoint;
        this.translations = translations;
    }

    private static Endpoint endpoint(String baseUrl, String token) {
        return new Endpoint(Endpoint.directory("rapidpro.url", baseUrl), "Token " + token);
    }

    /**
     * Sends a broadcast. Not idempotent upstream: after an {@link UpstreamException} with status 0 (no answer)
     * the broadcast may or may not exist; check {@link #broadcastsSince} before sending again.
     *
     * @throws RapidProException for an error answer ({@link RapidProException#temporary()} tells 429/5xx apart)
     */
    public Broadcast sendBroadcast(TransactionContext tx, NewBroadcast broadcast) {
        Request req = request("api/v2/broadcasts.json")
                .post(RecordingHttpClient.jsonBody(broadcast.toJson(translations.get()).toString()))
                .build();
        UpstreamResponse r = http.send(tx, "RapidPro: send broadcast", req);
        if (!r.ok()) throw RapidProException.of("send broadcast", r);
        return Broadcast.from(json("send broadcast", r));
    }

    /** The first page (newest first) of broadcasts created after {@code after}. */
    public List<Broadcast> broadcastsSince(TransactionContext tx, Instant after) {
        HttpUrl url = url("api/v2/broadcasts.json").newBuilder().addQueryParameter("after", after.toString()).build();
        UpstreamResponse r = http.send(tx, "RapidPro: list broadcasts", request(url).get().build());
        if (!r.ok()) throw RapidProException.of("list broadcasts", r);
        List<Broadcast> out = new ArrayList<>();
        json("list broadcasts", r).path("results").forEach(b -> out.add(Broadcast.from(b)));
        return out;
    }

    /** The contact holding {@code urn} (e.g. {@code tel:+255712000001}), if RapidPro knows one. */
    public Optional<RapidProContact> contactByUrn(TransactionContext tx, String urn) {
        HttpUrl url = url("api/v2/contacts.json").newBuilder().addQueryParameter("urn", urn).build();
        UpstreamResponse r = http.send(tx, "RapidPro: find contact", request(url).get().build());
        if (!r.ok()) throw RapidProException.of("find contact", r);
        JsonNode results = json("find contact", r).path("results");
        return results.isEmpty() ? Optional.empty() : Optional.of(RapidProContact.from(results.get(0)));
    }

    private Request.Builder request(String path) { return request(url(path)); }

    private Request.Builder request(HttpUrl url) {
        return new Request.Builder().url(url)
                .header("Authorization", endpoint.get().authorization())
                .header("Accept", "application/json");
    }

    private HttpUrl url(String path) { return endpoint.get().base().resolve(path); }

    private static JsonNode json(String what, UpstreamResponse r) {
        try {
            return r.json();
        } catch (IllegalArgumentException e) {
            throw new UpstreamException(what + ": RapidPro answered " + r.status() + " with a body that is not JSON", 502, e);
        }
    }
}
