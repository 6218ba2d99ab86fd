package org.chis.common.systems.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import okhttp3.Credentials;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;

/**
 * A FHIR R4 REST client speaking JSON through {@link RecordingHttpClient}, so every call is an orchestration.
 * Deliberately model-free (Jackson trees, no HAPI structures): common stays light, and callers that need
 * HAPI's parser or validator bring it themselves.
 * <p>
 * Reads answer empty for 404/410. Refusals throw {@link FhirException} with the server's OperationOutcome;
 * a stale {@code If-Match} throws {@link FhirVersionConflict}; no answer at all throws UpstreamException.
 */
public final class FhirClient {
    public static final MediaType FHIR_JSON = MediaType.get("application/fhir+json; charset=utf-8");

    private final RecordingHttpClient http;
    private final Supplier<Endpoint> endpoint;

    /** A client of one fixed server (tests, tools). @param authorization the Authorization header value (Basic/Bearer), or null for an open server */
    public FhirClient(RecordingHttpClient http, String baseUrl, String authorization) {
        this(http, Endpoint.fixed(endpoint(baseUrl, authorization)));
    }

    public FhirClient(RecordingHttpClient http, Supplier<Endpoint> endpoint) {
        this.http = http;
        this.endpoint = endpoint;
    }

    /**
     * Follows settings {@code fhir.url}, and {@code fhir.token} (Bearer) or {@code fhir.user}/{@code fhir.password}
     * (Basic), read per call so console edits apply to the next request; checks them once now.
     */
    public static FhirClient fromSettings(RecordingHttpClient http, Settings s) {
        FhirClient client = new FhirClient(http, s.derived(c -> {
            String auth = null;
            if (c.find("fhir.token").isPresent()) auth = "Bearer " + c.require("fhir.token");
            else if (c.find("fhir.user").isPresent()) {
                auth = Credentials.basic(c.require("fhir.user"), c.get("fhir.password", ""), StandardCharsets.UTF_8);
            }
            return endpoint(c.require("fhir.url"), auth);
        }, "fhir.url", "fhir.token", "fhir.user", "fhir.password"));
        client.endpoint.get();
        return client;
    }

    private static Endpoint endpoint(String baseUrl, String authorization) {
        String b = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        HttpUrl base = HttpUrl.parse(b);
        if (base == null) throw new ConfigException("FHIR base URL '" + baseUrl + "' is not an http(s) URL");
        return new Endpoint(base, authorization);
    }

    public String baseUrl() { return endpoint.get().base().toString().replaceAll("/$", ""); }

    /** POST [base]/[type]; the server assigns the id. */
    public FhirResource create(TransactionContext tx, JsonNode resource) {
        String type = typeOf(resource);
        UpstreamResponse r = http.send(tx, "FHIR: create " + type, request(url(type)).post(body(resource))
                .header("Prefer", "return=representation").build());
        if (r.status() != 201 && r.status() != 200) throw refused("create " + type, r);
        return written(tx, r);
    }

    /**
     * Conditional create: creates unless a resource matches {@code search} (e.g. {@code identifier=sys|val}).
     * {@code created} tells which happened; more than one match is the server's 412, thrown.
     */
    public FhirWrite createIfNoneExist(TransactionContext tx, JsonNode resource, String search) {
        String type = typeOf(resource);
        UpstreamResponse r = http.send(tx, "FHIR: create " + type + " if none exists", request(url(type)).post(body(resource))
                .header("Prefer", "return=representation").header("If-None-Exist", search).build());
        if (r.status() == 201) return new FhirWrite(written(tx, r), true);
        if (r.status() == 200) return new FhirWrite(written(tx, r), false);
        throw refused("create " + type + " if none exists (" + search + ")", r);
    }

    /**
     * PUT [base]/[type]/[id]: update, or create with our own id (servers that allow client ids). With
     * {@code ifMatchVersion} the update only happens if that is still the current version.
     */
    public FhirWrite update(TransactionContext tx, JsonNode resource, String ifMatchVersion) {
        String type = typeOf(resource);
        String id = resource.path("id").asText(null);
        if (id == null || id.isBlank()) throw new IllegalArgumentException("update needs the resource's id");
        Request.Builder b = request(url(type, id)).put(body(resource)).header("Prefer", "return=representation");
        if (ifMatchVersion != null) b.header("If-Match", "W/\"" + ifMatchVersion + "\"");
        UpstreamResponse r = http.send(tx, "FHIR: update " + type + "/" + id, b.build());
        if (r.status() == 201) return new FhirWrite(written(tx, r), true);
        if (r.status() == 200) return new FhirWrite(written(tx, r), false);
        if (ifMatchVersion != null && (r.status() == 412 || r.status() == 409)) {
            throw new FhirVersionConflict("FHIR " + type + "/" + id + " is no longer at version " + ifMatchVersion
                    + " (changed by someone else): " + FhirException.describe(r.body()), r.status(), FhirException.outcomeOrNull(r.body()));
        }
        throw refused("update " + type + "/" + id, r);
    }

    public Optional<FhirResource> read(TransactionContext tx, String type, String id) {
        UpstreamResponse r = http.send(tx, "FHIR: read " + type + "/" + id, request(url(type, id)).get().build());
        if (r.status() == 404 || r.status() == 410) return Optional.empty();
        if (r.status() != 200) throw refused("read " + type + "/" + id, r);
        return Optional.of(resourceOf(r, "read " + type + "/" + id));
    }

    /** DELETE; true when deleted now, false when it was already gone (404/410): both leave it gone. */
    public boolean delete(TransactionContext tx, String type, String id) {
        UpstreamResponse r = http.send(tx, "FHIR: delete " + type + "/" + id, request(url(type, id)).delete().build());
        if (r.status() == 200 || r.status() == 202 || r.status() == 204) return true;
        if (r.status() == 404 || r.status() == 410) return false;
        throw refused("delete " + type + "/" + id, r);
    }

    /** GET [base]/[type]?params (repeatable names allowed, e.g. two {@code _lastUpdated} bounds). */
    public FhirBundle search(TransactionContext tx, String type, List<Map.Entry<String, String>> params) {
        HttpUrl.Builder u = url(type).newBuilder();
        params.forEach(p -> u.addQueryParameter(p.getKey(), p.getValue()));
        UpstreamResponse r = http.send(tx, "FHIR: search " + type, request(u.build()).get().build());
        return bundleOf(r, "search " + type);
    }

    /** Convenience: {@code search(tx, "Task", "status", "requested", "_count", "50")}. */
    public FhirBundle search(TransactionContext tx, String type, String... nameValuePairs) {
        if (nameValuePairs.length % 2 != 0) throw new IllegalArgumentException("name/value pairs expected");
        List<Map.Entry<String, String>> params = new ArrayList<>();
        for (int i = 0; i < nameValuePairs.length; i += 2) params.add(Map.entry(nameValuePairs[i], nameValuePairs[i + 1]));
        return search(tx, type, params);
    }

    /** The next page of a search, or empty on the last page. */
    public Optional<FhirBundle> next(TransactionContext tx, FhirBundle page) {
        Optional<String> next = page.nextUrl();
        if (next.isEmpty()) return Optional.empty();
        HttpUrl u = HttpUrl.parse(next.get());
        if (u == null) throw new FhirException("FHIR server gave a next link that is not a URL: " + next.get(), 502, null);
        UpstreamResponse r = http.send(tx, "FHIR: search (next page)", request(u).get().build());
        return Optional.of(bundleOf(r, "search next page"));
    }

    /** The one resource carrying identifier {@code system|value}; empty if none; more than one is an upstream data problem. */
    public Optional<FhirResource> findByIdentifier(TransactionContext tx, String type, String system, String value) {
        FhirBundle b = search(tx, type, "identifier", system + "|" + value);
        List<FhirResource> found = b.resources();
        if (found.isEmpty()) return Optional.empty();
        if (found.size() > 1) {
            throw new FhirException(found.size() + " " + type + " resources carry identifier " + system + "|" + value
                    + " on the FHIR server; merge the duplicates there first", 409, null);
        }
        return Optional.of(found.get(0));
    }

    // --- plumbing -------------------------------------------------------------------------------------------

    private HttpUrl url(String type) { return endpoint.get().base().newBuilder().addPathSegment(type).build(); }

    private HttpUrl url(String type, String id) { return endpoint.get().base().newBuilder().addPathSegment(type).addPathSegment(id).build(); }

    private Request.Builder request(HttpUrl url) {
        Request.Builder b = new Request.Builder().url(url).header("Accept", "application/fhir+json");
        String authorization = endpoint.get().authorization();
        if (authorization != null) b.header("Authorization", authorization);
        return b;
    }

    private static RequestBody body(JsonNode resource) {
        return RequestBody.create(Json.write(resource).getBytes(StandardCharsets.UTF_8), FHIR_JSON);
    }

    private static String typeOf(JsonNode resource) {
        String type = resource == null ? null : resource.path("resourceType").asText(null);
        if (type == null || type.isBlank()) throw new IllegalArgumentException("not a FHIR resource: resourceType missing");
        return type;
    }

    /** The written resource from the body, or (a server answering return=minimal) read back from Location. */
    private FhirResource written(TransactionContext tx, UpstreamResponse r) {
        if (r.body() != null && !r.body().isBlank()) {
            JsonNode n = parse(r, "write");
            if (n.hasNonNull("resourceType") && !"OperationOutcome".equals(n.path("resourceType").asText())) return FhirResource.of(n);
        }
        String location = r.header("Location") != null ? r.header("Location") : r.header("Content-Location");
        if (location == null) throw new FhirException("FHIR server answered " + r.status() + " without the resource or a Location", 502, null);
        // [base]/Type/id/_history/v
        String[] parts = location.replaceAll("^.*?/([A-Za-z]+/[A-Za-z0-9\\-.]{1,64})(/_history/.*)?$", "$1").split("/");
        if (parts.length != 2) throw new FhirException("FHIR server gave an unreadable Location: " + location, 502, null);
        return read(tx, parts[0], parts[1]).orElseThrow(() -> new FhirException("FHIR " + location + " vanished right after the write", 502, null));
    }

    private static FhirResource resourceOf(UpstreamResponse r, String what) {
        JsonNode n = parse(r, what);
        try {
            return FhirResource.of(n);
        } catch (IllegalArgumentException e) {
            throw new FhirException("FHIR " + what + ": the answer is not a FHIR resource", 502, null);
        }
    }

    private static FhirBundle bundleOf(UpstreamResponse r, String what) {
        if (r.status() != 200) throw refused(what, r);
        JsonNode n = parse(r, what);
        if (!"Bundle".equals(n.path("resourceType").asText())) {
            throw new FhirException("FHIR " + what + ": expected a Bundle, got " + n.path("resourceType").asText("no resource"), 502, null);
        }
        return new FhirBundle(n);
    }

    private static JsonNode parse(UpstreamResponse r, String what) {
        try {
            return r.json();
        } catch (IllegalArgumentException e) {
            throw new FhirException("FHIR " + what + ": unreadable answer (" + e.getMessage() + ")", 502, null);
        }
    }

    private static UpstreamException refused(String what, UpstreamResponse r) {
        return new FhirException("FHIR server refused " + what + " (HTTP " + r.status() + "): " + FhirException.describe(r.body()),
                r.status(), FhirException.outcomeOrNull(r.body()));
    }
}
