package org.chis.common.systems.openmrs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.nio.charset.StandardCharsets;
import okhttp3.Credentials;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;
import org.chis.common.audit.Orchestration;
import org.chis.common.audit.TransactionContext;

/**
 * OpenMRS REST v1 ({@code <base>/ws/rest/v1}) over the recording client: every call is an orchestration named
 * after what it does. Reads of a missing resource give {@code Optional.empty()}; any other error status is an
 * {@link OpenMrsException} carrying OpenMRS's own message. Settings: {@code openmrs.url} (with the context
 * path, e.g. {@code http://host:8080/openmrs}), {@code openmrs.user}, {@code openmrs.password}; read on every call
 * ({@link #fromSettings}), so an edit pushed from the OpenHIM console applies to the next request.
 */
public final class OpenMrsClient {
    /** OpenMRS caps page size at 100 by default; more pages than this is a runaway query, not data. */
    private static final int MAX_PAGES = 200;
    /** "patient/&lt;uuid&gt;/identifier" -> "patient identifier" in a call's name; compiled once, it runs per call. */
    private static final Pattern UUID_SEGMENT = Pattern.compile("/[0-9a-fA-F-]{36}/");

    private final RecordingHttpClient http;
    private final Supplier<Endpoint> endpoint;

    /** A client of one fixed OpenMRS (tests, tools). */
    public OpenMrsClient(RecordingHttpClient http, String baseUrl, String user, String password) {
        this(http, Endpoint.fixed(endpoint(baseUrl, user, password)));
    }

    public OpenMrsClient(RecordingHttpClient http, Supplier<Endpoint> endpoint) {
        this.http = http;
        this.endpoint = endpoint;
    }

    /** Follows {@code openmrs.url}, {@code openmrs.user}, {@code openmrs.password}; checks them once now. */
    public static OpenMrsClient fromSettings(RecordingHttpClient http, Settings s) {
        OpenMrsClient client = new OpenMrsClient(http, liveEndpoint(s));
        client.endpoint.get();
        return client;
    }

    /** The OpenMRS connection settings as an {@link Endpoint}, re-read when one changes (shared with {@link AtomFeedReader}). */
    static Supplier<Endpoint> liveEndpoint(Settings s) { return Endpoint.basic(s, "openmrs"); }

    static Endpoint endpoint(String baseUrl, String user, String password) {
        return new Endpoint(Endpoint.directory("openmrs.url", baseUrl), Credentials.basic(user, password, StandardCharsets.UTF_8));
    }

    /** The base URL with the context path, ending in '/'. */
    public String baseUrl() { return endpoint.get().base().toString(); }

    /** The REST root of an endpoint; kept while the endpoint is the same (a console edit of the settings makes a new one). */
    private record RestRoot(Endpoint endpoint, HttpUrl url) {}

    private volatile RestRoot restRoot;

    /** Resolved once per endpoint, not per call: {@code HttpUrl.resolve} parses and rebuilds the URL, ~11 times a form. */
    private HttpUrl rest(Endpoint e) {
        RestRoot root = restRoot;
        if (root == null || root.endpoint() != e) restRoot = root = new RestRoot(e, e.base().resolve("ws/rest/v1/"));
        return root.url();
    }

    // ---------------------------------------------------------------- reads

    public Optional<JsonNode> patient(TransactionContext tx, String uuid) { return get(tx, "patient", uuid, "full"); }

    public Optional<JsonNode> person(TransactionContext tx, String uuid) { return get(tx, "person", uuid, "full"); }

    public Optional<JsonNode> visit(TransactionContext tx, String uuid) { return get(tx, "visit", uuid, "full"); }

    public Optional<JsonNode> encounter(TransactionContext tx, String uuid) { return get(tx, "encounter", uuid, "full"); }

    public Optional<JsonNode> obs(TransactionContext tx, String uuid) { return get(tx, "obs", uuid, "full"); }

    public Optional<JsonNode> concept(TransactionContext tx, String uuid) { return get(tx, "concept", uuid, "full"); }

    /** Patients holding exactly this identifier (search handler "patientByIdentifier"), full representation. */
    public List<JsonNode> patientsByIdentifier(TransactionContext tx, String identifier) {
        return list(tx, "find patient by identifier", "patient", Map.of("identifier", identifier, "v", "full"));
    }

    /** Free-text patient search ({@code q}: name or identifier), full representation, all pages. */
    public List<JsonNode> searchPatients(TransactionContext tx, String query) {
        return list(tx, "search patients", "patient", Map.of("q", query, "v", "full"));
    }

    /** The patient's visits, newest first as OpenMRS returns them, inactive ones included. */
    public List<JsonNode> visits(TransactionContext tx, String patientUuid) {
        return list(tx, "list visits", "visit", Map.of("patient", patientUuid, "includeInactive", "true", "v", "full"));
    }

    public List<JsonNode> encounters(TransactionContext tx, String patientUuid) {
        return list(tx, "list encounters", "encounter", Map.of("patient", patientUuid, "v", "full"));
    }

    /** One resource by uuid; {@code representation} is ref, default, full or custom:(...). 404 -> empty. */
    public Optional<JsonNode> get(TransactionContext tx, String resource, String uuid, String representation) {
        Endpoint e = endpoint.get();
        HttpUrl.Builder url = rest(e).newBuilder().addPathSegments(resource).addPathSegment(uuid);
        if (representation != null) url.addQueryParameter("v", representation);
        UpstreamResponse r = send(tx, "get " + resource, request(e, url.build()).get().build());
        if (r.status() == 404) return Optional.empty();
        if (!r.ok()) throw OpenMrsException.of("get " + resource + " " + uuid, r);
        return Optional.of(json("get " + resource, r));
    }

    /** A search on a collection, every page ({@code links[rel=next]}); OpenMRS rejects most searches without a query. */
    public List<JsonNode> list(TransactionContext tx, String name, String resource, Map<String, String> query) {
        List<JsonNode> out = new ArrayList<>();
        Integer startIndex = null;
        for (int page = 0; page < MAX_PAGES; page++) {
            Endpoint e = endpoint.get();
            HttpUrl.Builder url = rest(e).newBuilder().addPathSegments(resource);
            query.forEach(url::addQueryParameter);
            if (startIndex != null) url.addQueryParameter("startIndex", String.valueOf(startIndex));
            UpstreamResponse r = send(tx, name, request(e, url.build()).get().build());
            if (!r.ok()) throw OpenMrsException.of(name, r);
            JsonNode body = json(name, r);
            body.path("results").forEach(out::add);
            startIndex = nextStartIndex(body);
            if (startIndex == null) return out;
        }
        throw new UpstreamException(name + ": more than " + MAX_PAGES + " pages, refusing to read further", 0);
    }

    // the next link carries OpenMRS's own idea of its host (wrong behind a proxy): take only its startIndex
    private static Integer nextStartIndex(JsonNode body) {
        for (JsonNode link : body.path("links")) {
            if ("next".equals(link.path("rel").asText())) {
                HttpUrl next = HttpUrl.parse(link.path("uri").asText());
                String si = next == null ? null : next.queryParameter("startIndex");
                if (si != null) return Integer.parseInt(si);
            }
        }
        return null;
    }

    /**
     * GET of a path as an atom feed entry names it: {@code /openmrs/ws/rest/v1/patient/<uuid>?v=full} (server
     * root relative, Bahmni publisher), {@code /ws/rest/v1/...} (context relative, generic publisher) or a full URL.
     */
    public Optional<JsonNode> getPath(TransactionContext tx, String name, String path) {
        HttpUrl url = resolvePath(path);
        UpstreamResponse r = send(tx, name, request(endpoint.get(), url).get().build());
        if (r.status() == 404) return Optional.empty();
        if (!r.ok()) throw OpenMrsException.of(name + " " + url.encodedPath(), r);
        return Optional.of(json(name, r));
    }

    HttpUrl resolvePath(String path) {
        HttpUrl absolute = HttpUrl.parse(path);
        if (absolute != null) return absolute;
        HttpUrl base = endpoint.get().base();
        String context = base.encodedPath(); // "/openmrs/"
        if (path.startsWith("/") && !context.equals("/") && path.startsWith(context)) return base.resolve(path);
        String relative = path.startsWith("/") ? path.substring(1) : path;
        return base.resolve(relative);
    }

    // ---------------------------------------------------------------- writes

    public JsonNode createPatient(TransactionContext tx, NewPatient patient) { return create(tx, "patient", patient.toJson()); }

    public JsonNode createPerson(TransactionContext tx, ObjectNode person) { return create(tx, "person", person); }

    /** Partial update of person properties (gender, birthdate, dead, ...): {@code POST /person/{uuid}}. */
    public JsonNode updatePerson(TransactionContext tx, String uuid, ObjectNode changes) { return update(tx, "person", uuid, changes); }

    /**
     * {@code POST /patient/{uuid}/identifier}: gives an existing patient one more identifier. OpenMRS validates it like
     * a new patient's (PatientIdentifierValidator: 400 "Identifier X already in use by another patient").
     */
    public JsonNode addIdentifier(TransactionContext tx, String patientUuid, NewPatient.Identifier id) {
        ObjectNode body = Json.object().put("identifier", id.identifier()).put("identifierType", id.identifierType());
        if (id.location() != null) body.put("location", id.location());
        return create(tx, "patient/" + patientUuid + "/identifier", body);
    }

    /**
     * Purges the patient's (not voided) identifier of this type and value; false when it holds none. For undoing
     * {@link #addIdentifier}, found by value so it works even when the add's answer was lost.
     */
    public boolean purgeIdentifier(TransactionContext tx, String patientUuid, String identifierType, String identifier) {
        Optional<JsonNode> p = patient(tx, patientUuid);
        if (p.isEmpty()) return false;
        boolean purged = false;
        for (JsonNode i : p.get().path("identifiers")) {
            JsonNode t = i.path("identifierType");
            String type = t.isObject() ? t.path("uuid").asText() : t.asText();
            if (!i.path("voided").asBoolean(false) && type.equals(identifierType) && i.path("identifier").asText().equals(identifier)) {
                purged |= purge(tx, "patient/" + patientUuid + "/identifier", uuidOf(i));
            }
        }
        return purged;
    }

    public JsonNode createVisit(TransactionContext tx, NewVisit visit) { return create(tx, "visit", visit.toJson()); }

    /** Ends a visit: {@code POST /visit/{uuid}} with {@code stopDatetime}; answers the visit's uuid as OpenMRS gave it back. */
    public String closeVisit(TransactionContext tx, String uuid, OffsetDateTime stop) {
        String name = "update visit";
        return uuid(name, post(tx, name, name + " " + uuid, "visit", uuid, Json.object().put("stopDatetime", OpenMrsDates.format(stop))));
    }

    public JsonNode createEncounter(TransactionContext tx, NewEncounter encounter) { return create(tx, "encounter", encounter.toJson()); }

    /*
     * The same writes answering only the created object's uuid: OpenMRS answers a create with the object's full
     * representation, and parsing it into a tree for its uuid cost more than the rest of the call's recording.
     */

    public String createReturningUuid(TransactionContext tx, NewPatient patient) { return createReturningUuid(tx, "patient", patient.toJson()); }

    public String createReturningUuid(TransactionContext tx, NewVisit visit) { return createReturningUuid(tx, "visit", visit.toJson()); }

    public String createReturningUuid(TransactionContext tx, NewEncounter encounter) { return createReturningUuid(tx, "encounter", encounter.toJson()); }

    public String createReturningUuid(TransactionContext tx, NewObs obs) { return createReturningUuid(tx, "obs", obs.toJson()); }

    /** {@code POST /{resource}} (201 with the created object). Sub-resources work too: "person/{uuid}/attribute". */
    public JsonNode create(TransactionContext tx, String resource, ObjectNode body) {
        String name = createName(resource);
        return json(name, post(tx, name, name, resource, null, body));
    }

    /** As {@link #create}, answering only the created object's uuid (null if the answer has none). */
    public String createReturningUuid(TransactionContext tx, String resource, ObjectNode body) {
        String name = createName(resource);
        return uuid(name, post(tx, name, name, resource, null, body));
    }

    private static String createName(String resource) { return "create " + UUID_SEGMENT.matcher(resource).replaceAll(" "); }

    /** {@code POST /{resource}/{uuid}}: partial update (200 with the updated object). */
    public JsonNode update(TransactionContext tx, String resource, String uuid, ObjectNode changes) {
        String name = "update " + resource;
        return json(name, post(tx, name, name + " " + uuid, resource, uuid, changes));
    }

    /** A POST of {@code body} to {@code resource} (and {@code uuid}); an error status is an {@link OpenMrsException} about {@code what}. */
    private UpstreamResponse post(TransactionContext tx, String name, String what, String resource, String uuid, ObjectNode body) {
        Endpoint e = endpoint.get();
        HttpUrl.Builder url = rest(e).newBuilder().addPathSegments(resource);
        if (uuid != null) url.addPathSegment(uuid);
        UpstreamResponse r = send(tx, name, request(e, url.build()).post(RecordingHttpClient.jsonBody(Json.write(body))).build());
        if (!r.ok()) throw OpenMrsException.of(what, r);
        return r;
    }

    /**
     * {@code DELETE /{resource}/{uuid}} (void/retire) or with {@code ?purge=true} (hard delete). Returns false
     * when the resource was not there (404): for an undo that is success.
     */
    public boolean delete(TransactionContext tx, String resource, String uuid, boolean purge) {
        Endpoint e = endpoint.get();
        HttpUrl.Builder url = rest(e).newBuilder().addPathSegments(resource).addPathSegment(uuid);
        if (purge) url.addQueryParameter("purge", "true");
        String name = (purge ? "purge " : "void ") + UUID_SEGMENT.matcher(resource).replaceAll(" ");
        UpstreamResponse r = send(tx, name, request(e, url.build()).delete().build());
        if (r.status() == 404) return false;
        if (!r.ok()) throw OpenMrsException.of(name + " " + uuid, r);
        return true;
    }

    public boolean purge(TransactionContext tx, String resource, String uuid) { return delete(tx, resource, uuid, true); }

    // ---------------------------------------------------------------- plumbing

    /** {@code e}: the endpoint the URL was built on, read once per call (each read looks its three settings up). */
    private static Request.Builder request(Endpoint e, HttpUrl url) {
        return new Request.Builder().url(url).header("Authorization", e.authorization()).header("Accept", "application/json");
    }

    private UpstreamResponse send(TransactionContext tx, String name, Request request) {
        UpstreamResponse r = http.send(tx, Orchestration.name("OpenMRS", name), request);
        if (r.status() == 401) throw OpenMrsException.of(name + " (check openmrs.user/openmrs.password)", r);
        return r;
    }

    private static JsonNode json(String name, UpstreamResponse r) {
        try {
            return r.json();
        } catch (IllegalArgumentException e) {
            throw new UpstreamException("OpenMRS " + name + ": unreadable answer (" + e.getMessage() + ")", r.status(), e);
        }
    }

    /** {@code uuidOf(json(name, r))} without the tree. */
    private static String uuid(String name, UpstreamResponse r) {
        try {
            return r.jsonText("uuid");
        } catch (IllegalArgumentException e) {
            throw new UpstreamException("OpenMRS " + name + ": unreadable answer (" + e.getMessage() + ")", r.status(), e);
        }
    }

    /** Small helper for callers: the uuid of a created/read object. */
    public static String uuidOf(JsonNode node) { return node.path("uuid").asText(null); }

    /** Query parameters in insertion order (for {@link #list}). */
    public static Map<String, String> query(String... keyValues) {
        Map<String, String> q = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) q.put(keyValues[i], keyValues[i + 1]);
        return q;
    }
}
