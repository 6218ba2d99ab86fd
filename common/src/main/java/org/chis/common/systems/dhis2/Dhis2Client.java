package org.chis.common.systems.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;
import org.chis.common.audit.Orchestration;
import org.chis.common.audit.TransactionContext;

/**
 * Typed DHIS2 Web API calls on the recording client (every call is an orchestration). Connection settings
 * are read per call so an edit pushed from the OpenHIM console applies to the next request:
 * {@code dhis2.url} (base URL, with the context path if any), {@code dhis2.token} (a personal access token,
 * sent as {@code ApiToken}) or {@code dhis2.user}/{@code dhis2.password} (Basic), and optional
 * {@code dhis2.apiVersion} (e.g. 40 -> {@code /api/40/...}).
 *
 * <p>HTTP answers that carry an import report (200, 409) are parsed and returned; everything else (401/403,
 * 5xx, an HTML page, no answer) is an {@link UpstreamException}.
 */
public final class Dhis2Client {
    private final RecordingHttpClient http;
    private final Settings settings;
    /** base = the API root, {@code <dhis2.url>/api[/<dhis2.apiVersion>]} */
    private final Supplier<Endpoint> endpoint;

    private Dhis2Client(RecordingHttpClient http, Settings settings) {
        this.http = http;
        this.settings = settings;
        this.endpoint = settings.derived(Dhis2Client::endpoint, "dhis2.url", "dhis2.apiVersion", "dhis2.token", "dhis2.user", "dhis2.password");
    }

    /** Follows {@code dhis2.url}, {@code dhis2.apiVersion} and the credentials per call; checks them once now. */
    public static Dhis2Client fromSettings(RecordingHttpClient http, Settings s) {
        Dhis2Client client = new Dhis2Client(http, s);
        client.endpoint.get();
        return client;
    }

    private static Endpoint endpoint(Settings s) {
        String url = s.require("dhis2.url");
        HttpUrl base = HttpUrl.parse(url);
        if (base == null) throw new ConfigException("dhis2.url '" + url + "' is not an http(s) URL");
        HttpUrl.Builder api = base.newBuilder().addPathSegment("api");
        s.find("dhis2.apiVersion").ifPresent(api::addPathSegment);
        var token = s.find("dhis2.token");
        String authorization = token.isPresent() ? "ApiToken " + token.get()
                : "Basic " + Base64.getEncoder().encodeToString((s.get("dhis2.user", "") + ":" + s.get("dhis2.password", "")).getBytes(StandardCharsets.UTF_8));
        return new Endpoint(api.build(), authorization);
    }

    /** {@code POST /api/dataValueSets} (synchronous). {@code importStrategy} null = DHIS2's default CREATE_AND_UPDATE. */
    public ImportSummary postDataValueSet(TransactionContext tx, String name, RequestBody body, boolean dryRun, String importStrategy) {
        HttpUrl.Builder url = api("dataValueSets").addQueryParameter("async", "false");
        if (dryRun) url.addQueryParameter("dryRun", "true");
        if (importStrategy != null) url.addQueryParameter("importStrategy", importStrategy);
        // a report goes out in many chunks: keep only the start of each in the record (the answer is kept whole)
        UpstreamResponse r = http.send(tx, Orchestration.name("DHIS2", name), request(url.build()).post(body).build(), settings.getInt("dhis2.recordedChunkChars", 2048));
        failUnlessReport(r, "dataValueSets");
        try {
            return ImportSummary.parse(r.status(), r.body());
        } catch (IllegalArgumentException e) {
            throw new UpstreamException(e.getMessage(), r.status() == 200 ? 502 : r.status());
        }
    }

    /**
     * {@code POST /api/tracker?async=false} with a flat or nested bundle.
     *
     * @param importStrategy CREATE, UPDATE, CREATE_AND_UPDATE or DELETE
     * @param atomicMode     ALL (nothing is written if any object fails) or OBJECT
     */
    public TrackerReport importTracker(TransactionContext tx, String name, JsonNode bundle, String importStrategy, String atomicMode) {
        HttpUrl url = api("tracker").addQueryParameter("async", "false")
                .addQueryParameter("importStrategy", importStrategy)
                .addQueryParameter("atomicMode", atomicMode)
                .addQueryParameter("reportMode", "ERRORS")
                .build();
        UpstreamResponse r = http.send(tx, Orchestration.name("DHIS2", name), request(url).post(RecordingHttpClient.jsonBody(Json.write(bundle))).build());
        failUnlessReport(r, "tracker");
        try {
            return TrackerReport.parse(r.status(), r.body());
        } catch (IllegalArgumentException e) {
            throw new UpstreamException(e.getMessage(), r.status() == 200 ? 502 : r.status());
        }
    }

    /**
     * One page of {@code GET /api/tracker/<resource>} ({@code trackedEntities}, {@code events}, {@code enrollments}).
     * {@code query} holds the filters; page and pageSize are added here.
     */
    public TrackerPage exportPage(TransactionContext tx, String name, String resource, Map<String, String> query, int page, int pageSize) {
        HttpUrl.Builder url = api("tracker/" + resource);
        query.forEach(url::addQueryParameter);
        url.addQueryParameter("page", String.valueOf(page)).addQueryParameter("pageSize", String.valueOf(pageSize));
        UpstreamResponse r = http.send(tx, Orchestration.name("DHIS2", name), request(url.build()).get().build());
        if (!r.ok()) throw fault(r, "tracker/" + resource);
        try {
            return TrackerPage.parse(r.body(), resource, pageSize);
        } catch (IllegalArgumentException e) {
            throw new UpstreamException("DHIS2 " + resource + " export: " + e.getMessage(), 502);
        }
    }

    /** A plain GET under the API root (metadata lookups, system info). Non-2xx answers are returned, not thrown. */
    public UpstreamResponse get(TransactionContext tx, String name, String path, Map<String, String> query) {
        HttpUrl.Builder url = api(path);
        query.forEach(url::addQueryParameter);
        return http.send(tx, Orchestration.name("DHIS2", name), request(url.build()).get().build());
    }

    public String baseUrl() { return settings.require("dhis2.url"); }

    private HttpUrl.Builder api(String path) {
        HttpUrl.Builder b = endpoint.get().base().newBuilder();
        for (String segment : path.split("/")) if (!segment.isEmpty()) b.addPathSegment(segment);
        return b;
    }

    private Request.Builder request(HttpUrl url) {
        return new Request.Builder().url(url).header("Accept", "application/json").header("Authorization", endpoint.get().authorization());
    }

    /** 200/201/409 carry a report; anything else is a fault of the upstream or its configuration. */
    private static void failUnlessReport(UpstreamResponse r, String endpoint) {
        if (r.status() == 200 || r.status() == 201 || r.status() == 409) return;
        throw fault(r, endpoint);
    }

    private static UpstreamException fault(UpstreamResponse r, String endpoint) {
        String why = switch (r.status()) {
            case 401 -> "DHIS2 refused the credentials (401): check dhis2.user/dhis2.password or dhis2.token";
            case 403 -> "the DHIS2 user may not do this (403): check its authorities and sharing";
            case 404 -> "DHIS2 has no /api/" + endpoint + " (404): check dhis2.url and that the server is 2.36 or newer";
            case 415 -> "DHIS2 did not accept the content type (415)";
            default -> "DHIS2 /api/" + endpoint + " answered HTTP " + r.status();
        };
        String detail = r.body() == null || r.body().isBlank() ? "" : ": " + ImportSummary.excerpt(r.body());
        return new UpstreamException(why + detail, r.status());
    }
}
