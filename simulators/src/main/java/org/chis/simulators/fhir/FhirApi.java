package org.chis.simulators.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.HttpHeader;
import com.github.tomakehurst.wiremock.http.HttpHeaders;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.json.Json;
import org.chis.simulators.fhir.FhirStore.Version;

/**
 * The FHIR R4 REST semantics behind the simulator's catch-all stub, modelled on HAPI FHIR JPA server:
 * create (201 + Location + ETag, or 200 for an {@code If-None-Exist} match), read/vread (404 unknown,
 * 410 deleted), update by PUT (client ids allowed, {@code If-Match} checked: 412 when stale; an update that changes
 * nothing makes no new version, HAPI's no-op), delete,
 * searches returning searchset Bundles with {@code _getpages} paging, and OperationOutcome errors.
 */
final class FhirApi implements ResponseDefinitionTransformerV2 {
    static final String NAME = "chis-fhir-server";
    private static final String FHIR_JSON = "application/fhir+json;charset=utf-8";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");
    private static final Pattern IF_MATCH = Pattern.compile("^(?:W/)?\"?([^\"]+)\"?$");
    private static final int DEFAULT_PAGE = 20;
    private static final int MAX_PAGE = 200;
    /** The resource types this server hosts (a real server has ~145; unknown names get HAPI's 404). */
    static final Set<String> TYPES = Set.of("Patient", "Task", "Appointment", "ServiceRequest", "Organization", "Location", "Practitioner",
            "PractitionerRole", "Encounter", "Observation", "Condition", "CarePlan", "Communication", "Provenance", "Endpoint");

    private final FhirStore store;
    private final String contextPath;
    private final Supplier<String> baseUrl;
    /** Search snapshots for paging, as HAPI keeps them under a search uuid. */
    private final Map<String, List<ObjectNode>> searches = new ConcurrentHashMap<>();

    FhirApi(FhirStore store, String contextPath, Supplier<String> baseUrl) {
        this.store = store;
        this.contextPath = contextPath;
        this.baseUrl = baseUrl;
    }

    @Override
    public String getName() { return NAME; }

    @Override
    public boolean applyGlobally() { return false; }

    void clearSearches() { searches.clear(); }

    @Override
    public ResponseDefinition transform(ServeEvent event) {
        Request req = event.getRequest();
        try {
            return handle(req);
        } catch (Answer a) {
            return a.response;
        } catch (FhirQuery.Refused e) {
            return outcome(400, "processing", e.getMessage()).response;
        }
    }

    private ResponseDefinition handle(Request req) {
        String url = req.getUrl();
        int q = url.indexOf('?');
        String path = q < 0 ? url : url.substring(0, q);
        List<Map.Entry<String, String>> params = q < 0 ? List.of() : query(url.substring(q + 1));
        if (path.startsWith(contextPath)) path = path.substring(contextPath.length());
        List<String> seg = new ArrayList<>();
        for (String s : path.split("/")) if (!s.isEmpty()) seg.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
        String method = req.getMethod().getName();

        if (seg.isEmpty()) {
            if (method.equals("GET") && first(params, "_getpages").isPresent()) return page(params);
            throw outcome(400, "processing", "HAPI-0339: This is the base URL of FHIR server. Unable to handle this request, as it does not contain a resource type or operation name.");
        }
        if (seg.size() == 1 && seg.get(0).equals("metadata") && method.equals("GET")) return json(200, capability(), null);
        String type = seg.get(0);
        if (!TYPES.contains(type)) {
            throw outcome(404, "not-supported", "HAPI-0302: Unknown resource type '" + type + "' - Server knows how to handle: " + new TreeSet<>(TYPES));
        }
        if (seg.size() == 1) {
            return switch (method) {
                case "GET" -> search(type, params, url);
                case "POST" -> create(type, req);
                default -> throw outcome(405, "not-supported", "HAPI-0389: Method " + method + " is not supported on " + type);
            };
        }
        String id = seg.get(1);
        if (seg.size() == 2) {
            return switch (method) {
                case "GET" -> read(type, id);
                case "PUT" -> update(type, id, req);
                case "DELETE" -> delete(type, id);
                default -> throw outcome(405, "not-supported", "HAPI-0389: Method " + method + " is not supported on " + type + "/" + id);
            };
        }
        if (seg.size() == 4 && seg.get(2).equals("_history") && method.equals("GET")) return vread(type, id, seg.get(3));
        throw outcome(400, "processing", "HAPI-0335: Invalid request: The FHIR endpoint on this server does not know how to handle "
                + method + " operation[" + String.join("/", seg) + "]");
    }

    // --- interactions ---------------------------------------------------------------------------------------

    private ResponseDefinition create(String type, Request req) {
        ObjectNode body = body(type, req);
        String ifNoneExist = req.getHeader("If-None-Exist");
        if (ifNoneExist != null && !ifNoneExist.isBlank()) {
            String search = ifNoneExist.contains("?") ? ifNoneExist.substring(ifNoneExist.indexOf('?') + 1) : ifNoneExist;
            List<ObjectNode> found = FhirQuery.run(type, store.live(type), query(search));
            if (found.size() > 1) {
                throw outcome(412, "duplicate", "HAPI-0958: Failed to CREATE " + type + " with match URL \"" + search
                        + "\" because this search matched " + found.size() + " resources");
            }
            if (found.size() == 1) return written(200, found.get(0), req);
        }
        ObjectNode stored;
        synchronized (store) {
            stored = store.write(type, store.newId(), withoutId(body));
        }
        return written(201, stored, req);
    }

    private ResponseDefinition update(String type, String id, Request req) {
        ObjectNode body = body(type, req);
        String bodyId = body.path("id").asText(null);
        if (bodyId == null || bodyId.isBlank()) {
            throw outcome(400, "processing", "HAPI-0419: Can not update resource, resource body must contain an ID element for update (PUT) operation");
        }
        if (!bodyId.equals(id)) {
            throw outcome(400, "processing", "HAPI-0420: Can not update resource, resource body ID (\"" + bodyId
                    + "\") does not match resource URL ID (\"" + id + "\")");
        }
        if (!ID.matcher(id).matches()) throw outcome(400, "processing", "HAPI-0521: Invalid resource ID \"" + id + "\"");
        String ifMatch = req.getHeader("If-Match");
        ObjectNode stored;
        boolean created;
        synchronized (store) {
            Optional<Version> current = store.current(type, id);
            if (ifMatch != null && !ifMatch.isBlank()) {
                Matcher m = IF_MATCH.matcher(ifMatch.trim());
                String wanted = m.matches() ? m.group(1) : ifMatch;
                String have = current.map(v -> String.valueOf(v.versionId())).orElse(null);
                if (!wanted.equals(have)) {
                    throw outcome(412, "conflict", "HAPI-0989: Trying to update " + type + "/" + id + "/_history/" + wanted
                            + " but this is not the current version" + (have == null ? "" : " (current is " + have + ")"));
                }
            }
            if (current.isEmpty() && id.matches("\\d+")) {
                // HAPI keeps numeric ids for itself: a client may not create one
                throw outcome(400, "processing", "HAPI-0960: Can not create resource with ID[" + id
                        + "], no resource with this ID exists and clients may only assign IDs which contain at least one non-numeric character");
            }
            created = current.isEmpty() || current.get().deleted();
            if (!created && sameContent(current.get().resource(), body)) {
                // HAPI's no-op update: nothing changed, so no new version; 200 with the current one and its ETag
                return written(200, current.get().resource(), req);
            }
            stored = store.write(type, id, body);
        }
        return written(created ? 201 : 200, stored, req);
    }

    /** Equal but for what the server stamps (meta.versionId, meta.lastUpdated): what HAPI's update compares. */
    private static boolean sameContent(ObjectNode stored, ObjectNode sent) {
        ObjectNode a = stored.deepCopy(), b = sent.deepCopy();
        for (ObjectNode r : List.of(a, b)) {
            if (r.get("meta") instanceof ObjectNode m) {
                m.remove("versionId");
                m.remove("lastUpdated");
                if (m.isEmpty()) r.remove("meta");
            }
        }
        return a.equals(b);
    }

    private ResponseDefinition read(String type, String id) {
        Version v = store.current(type, id).orElseThrow(() -> unknown(type, id));
        if (v.deleted()) throw gone(type, id, v);
        return json(200, v.resource(), etag(v.resource()));
    }

    private ResponseDefinition vread(String type, String id, String vid) {
        int n;
        try {
            n = Integer.parseInt(vid);
        } catch (NumberFormatException e) {
            throw outcome(400, "processing", "HAPI-0417: Invalid version \"" + vid + "\"");
        }
        Version v = store.version(type, id, n).orElseThrow(() ->
                outcome(404, "not-found", "HAPI-0979: Version \"" + vid + "\" is not valid for resource " + type + "/" + id));
        if (v.deleted()) throw gone(type, id, v);
        return json(200, v.resource(), etag(v.resource()));
    }

    private ResponseDefinition delete(String type, String id) {
        Optional<Version> current = store.current(type, id);
        if (current.isEmpty()) throw unknown(type, id);
        boolean deleted = store.delete(type, id);
        return json(200, oo("information", "informational", deleted
                ? "Successfully deleted 1 resource(s)." : "Unable to find resource matching URL \"" + type + "/" + id + "\". Nothing has been deleted."), null);
    }

    private ResponseDefinition search(String type, List<Map.Entry<String, String>> params, String requestUrl) {
        List<ObjectNode> all;
        try {
            all = FhirQuery.run(type, store.live(type), params);
        } catch (FhirQuery.Refused e) {
            throw outcome(400, "processing", e.getMessage());
        }
        int count = pageSize(params);
        if (first(params, "_summary").map("count"::equals).orElse(false)) {
            ObjectNode b = bundle(all.size(), baseUrl.get() + requestUrl.substring(contextPath.length()));
            return json(200, b, null);
        }
        String searchId = UUID.randomUUID().toString();
        if (all.size() > count) searches.put(searchId, all);
        return json(200, pageOf(all, 0, count, searchId, baseUrl.get() + requestUrl.substring(contextPath.length())), null);
    }

    private ResponseDefinition page(List<Map.Entry<String, String>> params) {
        String searchId = first(params, "_getpages").orElse("");
        List<ObjectNode> all = searches.get(searchId);
        if (all == null) throw outcome(410, "processing", "HAPI-0417: Search ID \"" + searchId + "\" does not exist and may have expired");
        int offset;
        try {
            offset = Integer.parseInt(first(params, "_getpagesoffset").orElse("0"));
        } catch (NumberFormatException e) {
            throw outcome(400, "processing", "HAPI-0429: Invalid _getpagesoffset");
        }
        int count = pageSize(params);
        String self = baseUrl.get() + "?_getpages=" + searchId + "&_getpagesoffset=" + offset + "&_count=" + count + "&_bundletype=searchset";
        return json(200, pageOf(all, offset, count, searchId, self), null);
    }

    private ObjectNode pageOf(List<ObjectNode> all, int offset, int count, String searchId, String self) {
        ObjectNode b = bundle(all.size(), self);
        ArrayNode links = (ArrayNode) b.get("link");
        if (offset + count < all.size()) {
            links.addObject().put("relation", "next").put("url", baseUrl.get() + "?_getpages=" + searchId + "&_getpagesoffset="
                    + (offset + count) + "&_count=" + count + "&_bundletype=searchset");
        }
        if (offset > 0) {
            links.addObject().put("relation", "previous").put("url", baseUrl.get() + "?_getpages=" + searchId + "&_getpagesoffset="
                    + Math.max(0, offset - count) + "&_count=" + count + "&_bundletype=searchset");
        }
        ArrayNode entries = b.putArray("entry");
        for (int i = offset; i < Math.min(all.size(), offset + count); i++) {
            ObjectNode r = all.get(i);
            ObjectNode e = entries.addObject();
            e.put("fullUrl", baseUrl.get() + "/" + r.path("resourceType").asText() + "/" + r.path("id").asText());
            e.set("resource", r);
            e.putObject("search").put("mode", "match");
        }
        return b;
    }

    private ObjectNode bundle(int total, String self) {
        ObjectNode b = Json.object();
        b.put("resourceType", "Bundle");
        b.put("id", UUID.randomUUID().toString());
        b.putObject("meta").put("lastUpdated", FhirStore.format(store.now()));
        b.put("type", "searchset");
        b.put("total", total);
        b.putArray("link").addObject().put("relation", "self").put("url", self);
        return b;
    }

    private static int pageSize(List<Map.Entry<String, String>> params) {
        try {
            int n = Integer.parseInt(first(params, "_count").orElse(String.valueOf(DEFAULT_PAGE)));
            return Math.max(1, Math.min(MAX_PAGE, n));
        } catch (NumberFormatException e) {
            throw outcome(400, "processing", "HAPI-1864: Invalid _count value");
        }
    }

    // --- request and response bits ----------------------------------------------------------------------------

    private static ObjectNode body(String type, Request req) {
        String ct = req.getHeader("Content-Type");
        if (ct != null && ct.toLowerCase().contains("xml")) {
            throw outcome(415, "not-supported", "HAPI-1953: This simulator speaks JSON only (Content-Type " + ct + ")");
        }
        String text = req.getBodyAsString();
        if (text == null || text.isBlank()) throw outcome(400, "processing", "HAPI-0449: No Content-Type provided and no body");
        JsonNode n;
        try {
            n = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw outcome(400, "processing", "HAPI-1861: Failed to parse JSON encoded FHIR content: " + e.getMessage());
        }
        if (!(n instanceof ObjectNode o)) throw outcome(400, "processing", "HAPI-1838: Content does not appear to be FHIR JSON, first non-whitespace character was not '{'");
        String rt = o.path("resourceType").asText(null);
        if (rt == null) throw outcome(400, "processing", "HAPI-1838: Invalid JSON content detected, missing required element: 'resourceType'");
        if (!rt.equals(type)) {
            throw outcome(400, "processing", "HAPI-0450: Failed to create/update resource [" + rt + "] because request contains resource of type \"" + rt
                    + "\" but URL indicates \"" + type + "\"");
        }
        return o;
    }

    private static ObjectNode withoutId(ObjectNode body) {
        ObjectNode copy = body.deepCopy();
        copy.remove("id"); // POST ignores a client id, as the spec says
        return copy;
    }

    private ResponseDefinition written(int status, ObjectNode stored, Request req) {
        String type = stored.path("resourceType").asText();
        String id = stored.path("id").asText();
        String vid = stored.path("meta").path("versionId").asText();
        String location = baseUrl.get() + "/" + type + "/" + id + "/_history/" + vid;
        String prefer = Optional.ofNullable(req.getHeader("Prefer")).orElse("return=representation");
        JsonNode body = prefer.contains("return=minimal") ? null
                : prefer.contains("return=OperationOutcome") ? oo("information", "informational", (status == 201 ? "Successfully created resource \"" : "Successfully updated resource \"") + type + "/" + id + "/_history/" + vid + "\".")
                : stored;
        List<HttpHeader> h = new ArrayList<>();
        h.add(new HttpHeader("Content-Type", FHIR_JSON));
        h.add(new HttpHeader("ETag", "W/\"" + vid + "\""));
        h.add(new HttpHeader("Location", location));
        h.add(new HttpHeader("Content-Location", location));
        h.add(new HttpHeader("Last-Modified", DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.ofInstant(OffsetDateTime.parse(stored.path("meta").path("lastUpdated").asText()).toInstant(), ZoneOffset.UTC))));
        return ResponseDefinitionBuilder.responseDefinition().withStatus(status).withHeaders(new HttpHeaders(h))
                .withBody(body == null ? "" : Json.write(body)).build();
    }

    private static String etag(ObjectNode r) { return "W/\"" + r.path("meta").path("versionId").asText() + "\""; }

    private static ResponseDefinition json(int status, JsonNode body, String etag) {
        List<HttpHeader> h = new ArrayList<>();
        h.add(new HttpHeader("Content-Type", FHIR_JSON));
        if (etag != null) h.add(new HttpHeader("ETag", etag));
        return ResponseDefinitionBuilder.responseDefinition().withStatus(status).withHeaders(new HttpHeaders(h)).withBody(Json.write(body)).build();
    }

    static ObjectNode oo(String severity, String code, String diagnostics) {
        ObjectNode o = Json.object();
        o.put("resourceType", "OperationOutcome");
        o.putArray("issue").addObject().put("severity", severity).put("code", code).put("diagnostics", diagnostics);
        return o;
    }

    private static Answer outcome(int status, String code, String diagnostics) {
        return new Answer(json(status, oo("error", code, diagnostics), null));
    }

    private static Answer unknown(String type, String id) {
        return outcome(404, "not-found", "HAPI-2001: Resource " + type + "/" + id + " is not known");
    }

    private static Answer gone(String type, String id, Version v) {
        return outcome(410, "deleted", "HAPI-2244: Resource " + type + "/" + id + "/_history/" + v.versionId()
                + " was deleted at " + FhirStore.format(v.lastUpdated()));
    }

    private ObjectNode capability() {
        ObjectNode c = Json.object();
        c.put("resourceType", "CapabilityStatement").put("status", "active").put("date", FhirStore.format(store.now()))
                .put("kind", "instance").put("fhirVersion", "4.0.1");
        c.putObject("software").put("name", "CHIS FHIR simulator (HAPI FHIR JPA behaviour)").put("version", "7.6.1");
        c.putArray("format").add("application/fhir+json").add("json");
        ObjectNode rest = c.putArray("rest").addObject().put("mode", "server");
        ArrayNode res = rest.putArray("resource");
        for (String t : new TreeSet<>(TYPES)) {
            ObjectNode r = res.addObject().put("type", t).put("versioning", "versioned").put("readHistory", true)
                    .put("updateCreate", true).put("conditionalCreate", true);
            ArrayNode ops = r.putArray("interaction");
            for (String i : List.of("read", "vread", "update", "delete", "create", "search-type")) ops.addObject().put("code", i);
        }
        return c;
    }

    static Optional<String> first(List<Map.Entry<String, String>> params, String name) {
        return params.stream().filter(p -> p.getKey().equals(name)).map(Map.Entry::getValue).findFirst();
    }

    static List<Map.Entry<String, String>> query(String q) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (String pair : q.split("&")) {
            if (pair.isEmpty()) continue;
            int i = pair.indexOf('=');
            String k = URLDecoder.decode(i < 0 ? pair : pair.substring(0, i), StandardCharsets.UTF_8);
            String v = i < 0 ? "" : URLDecoder.decode(pair.substring(i + 1), StandardCharsets.UTF_8);
            out.add(Map.entry(k, v));
        }
        return out;
    }

    static String encode(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }

    /** A finished answer thrown from deep inside a handler (errors mostly). */
    private static final class Answer extends RuntimeException {
        final transient ResponseDefinition response;

        Answer(ResponseDefinition response) {
            super(null, null, false, false);
            this.response = response;
        }
    }
}
