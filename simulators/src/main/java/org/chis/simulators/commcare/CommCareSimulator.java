package org.chis.simulators.commcare;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.request;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.RequestMethod;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import okhttp3.HttpUrl;
import org.chis.common.json.Json;
import org.chis.common.systems.commcare.CommCareCase;
import org.w3c.dom.Element;

/**
 * A stateful CommCare HQ project space on WireMock:
 * <ul>
 * <li>form receiver {@code POST /a/<domain>/receiver/} (also {@code receiver/<app_id>/}, {@code receiver/api/}): XForm XML
 * as the raw body or the multipart field {@code xml_submission_file}; case blocks (v2 namespace) create/update/index/close;
 * OpenRosa answers: 201 {@code submit_success}, 422 {@code processing_failure} (bad case id, no instanceID), 500
 * {@code submit_error} for XML that does not parse; a repeated instanceID is acknowledged and ignored;</li>
 * <li>Case Data API v2 {@code /a/<domain>/api/case/v2/}: list with filters and {@code next} cursor links, get by id (also
 * comma-separated ids), {@code ext/<external_id>/}, create, update, upsert by external id, {@code bulk-fetch/}; errors
 * as {@code {"error": "..."}};</li>
 * <li>Case API v0.5 {@code /a/<domain>/api/v0.5/case/} (limit/offset, {@code meta}, {@code objects}).</li>
 * </ul>
 * Auth: {@code Authorization: ApiKey <user>:<key>} or Basic {@code <user>:<password>}; anything else 401.
 * Fault injection: {@link #failNext}, {@link #failAlways}, {@link #slowNext}; {@link #latency} delays every answer.
 */
public final class CommCareSimulator implements AutoCloseable {
    public static final String DOMAIN = "demo-project";
    public static final String USER = "integration@demo-project.commcarehq.org";
    public static final String API_KEY = "demo-api-key";
    public static final String PASSWORD = "demo-password";
    /** A mobile worker (case owner) that exists in the project. */
    public static final String MOBILE_WORKER_ID = "a3f1c2d4e5b64a7f8e9d0c1b2a3f4e5d";
    public static final String MOBILE_WORKER = "chw1";
    private static final String TRANSFORMER = "commcare-simulator";
    private static final int V2_DEFAULT_LIMIT = 20;
    private static final int V2_MAX_LIMIT = 5000;
    private static final Set<String> V2_FILTERS = Set.of("case_type", "owner_id", "case_name", "external_id", "closed", "limit", "cursor",
            "last_modified.gt", "last_modified.gte", "last_modified.lt", "last_modified.lte", "server_last_modified.gt",
            "server_last_modified.gte", "server_last_modified.lt", "server_last_modified.lte", "indexed_on.gt", "indexed_on.gte",
            "indexed_on.lt", "indexed_on.lte", "date_opened.gt", "date_opened.gte", "date_opened.lt", "date_opened.lte");

    private final CaseStore store;
    private final WireMockServer server;
    private final AtomicInteger scenarios = new AtomicInteger();

    /** Starts on {@code port} (0 = a free port) serving project space {@value #DOMAIN}. */
    public CommCareSimulator(int port) { this(port, DOMAIN); }

    public CommCareSimulator(int port, String domain) {
        this.store = new CaseStore(domain);
        server = new WireMockServer(WireMockConfiguration.options().stubRequestLoggingDisabled(true).port(port).bindAddress("0.0.0.0")
                .containerThreads(64).jettyAcceptors(2).extensions(new Transformer()));
        server.start();
        baseStubs();
    }

    /** Base URL of HQ, e.g. {@code http://localhost:9082} (what commcare.url is set to; the domain is separate). */
    public String baseUrl() { return "http://localhost:" + server.port(); }

    public String domain() { return store.domain; }

    public int port() { return server.port(); }

    public WireMockServer wireMock() { return server; }

    private void baseStubs() {
        server.stubFor(any(urlPathMatching("/.*")).atPriority(10).willReturn(aResponse().withTransformers(TRANSFORMER)));
    }

    /** Forgets all cases, forms, fault stubs and latency. */
    public void reset() {
        synchronized (store) {
            store.clear();
        }
        server.resetAll();
        server.setGlobalFixedDelay(0);
        baseStubs();
        keepFormXml(true);
    }

    @Override
    public void close() { server.stop(); }

    // ------------------------------------------------------------------ faults

    /** A fixed delay on every answer (e.g. 5 ms for benchmarks). */
    public CommCareSimulator latency(int millis) {
        server.setGlobalFixedDelay(millis);
        return this;
    }

    /** The next matching request (method, path regex) gets this answer instead; later ones are served normally. Null body = HQ's own for the status. */
    public void failNext(String method, String pathRegex, int status, String body) {
        String scenario = "fail-" + scenarios.incrementAndGet();
        server.stubFor(request(method, urlPathMatching(pathRegex)).atPriority(1)
                .inScenario(scenario).whenScenarioStateIs(Scenario.STARTED).willSetStateTo("fired")
                .willReturn(errorResponse(pathRegex, status, body)));
    }

    /** Every matching request gets this answer until the stub is removed ({@code wireMock().removeStub}). */
    public StubMapping failAlways(String method, String pathRegex, int status, String body) {
        return server.stubFor(request(method, urlPathMatching(pathRegex)).atPriority(2).willReturn(errorResponse(pathRegex, status, body)));
    }

    /** The next matching request is processed (the write happens) but its answer is held back {@code delayMillis}. */
    public void slowNext(String method, String pathRegex, int delayMillis) {
        String scenario = "slow-" + scenarios.incrementAndGet();
        server.stubFor(request(method, urlPathMatching(pathRegex)).atPriority(1)
                .inScenario(scenario).whenScenarioStateIs(Scenario.STARTED).willSetStateTo("fired")
                .willReturn(aResponse().withFixedDelay(delayMillis).withTransformers(TRANSFORMER)));
    }

    /**
     * As {@link #slowNext}, for the next matching request whose body contains {@code text} (e.g. one feed entry's
     * submission among many): it is processed, its answer held back {@code delayMillis}.
     */
    public void slowNextContaining(String method, String pathRegex, String text, int delayMillis) {
        String scenario = "slow-" + scenarios.incrementAndGet();
        server.stubFor(request(method, urlPathMatching(pathRegex)).withRequestBody(containing(text)).atPriority(1)
                .inScenario(scenario).whenScenarioStateIs(Scenario.STARTED).willSetStateTo("fired")
                .willReturn(aResponse().withFixedDelay(delayMillis).withTransformers(TRANSFORMER)));
    }

    private static ResponseDefinitionBuilder errorResponse(String pathRegex, int status, String body) {
        if (body != null) {
            String type = body.startsWith("<") ? "text/xml; charset=utf-8" : "application/json";
            return aResponse().withStatus(status).withHeader("Content-Type", type).withBody(body);
        }
        if (pathRegex.contains("receiver")) {
            return aResponse().withStatus(status).withHeader("Content-Type", "text/xml; charset=utf-8")
                    .withBody(openRosa(status >= 500 ? "submit_error" : "processing_failure", status >= 500
                            ? "There was an error processing the form: simulated failure" : "Simulated processing failure"));
        }
        // HQ's Django error page for a 5xx; JSON {"error"} for API 4xx
        if (status >= 500) {
            return aResponse().withStatus(status).withHeader("Content-Type", "text/html; charset=utf-8")
                    .withBody("<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body><h1>Sorry, something went wrong</h1></body></html>");
        }
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody(Json.write(Json.object().put("error", "Simulated failure")));
    }

    /** Whether accepted forms keep their XML (default true; benchmarks with 100k forms turn it off to save memory). */
    public CommCareSimulator keepFormXml(boolean keep) {
        synchronized (store) {
            store.keepXml = keep;
        }
        return this;
    }

    /** How many requests matched (method, path regex) so far. */
    public int requestCount(String method, String pathRegex) {
        return server.countRequestsMatching(RequestPatternBuilder.newRequestPattern(
                RequestMethod.fromString(method), urlPathMatching(pathRegex)).build()).getCount();
    }

    // ------------------------------------------------------------------ seeding and inspection

    /** A mobile worker registers a case on a phone (a form with a create block); returns the case id. */
    public String registerCase(String caseType, String caseName, String externalId, Map<String, String> properties) {
        String caseId = UUID.randomUUID().toString();
        StringBuilder update = new StringBuilder();
        if (externalId != null) update.append("<external_id>").append(esc(externalId)).append("</external_id>");
        properties.forEach((k, v) -> update.append('<').append(k).append('>').append(esc(v)).append("</").append(k).append('>'));
        submitAsPhone("<case xmlns=\"" + CaseStore.CASE_XMLNS + "\" case_id=\"" + caseId + "\" date_modified=\"" + Instant.now()
                + "\" user_id=\"" + MOBILE_WORKER_ID + "\"><create><case_type>" + esc(caseType) + "</case_type><case_name>" + esc(caseName)
                + "</case_name><owner_id>" + MOBILE_WORKER_ID + "</owner_id></create><update>" + update + "</update></case>");
        return caseId;
    }

    /** A mobile worker edits case properties on a phone (a form from the app, not from the suite). */
    public void editCase(String caseId, Map<String, String> properties) {
        StringBuilder update = new StringBuilder();
        properties.forEach((k, v) -> update.append('<').append(k).append('>').append(esc(v)).append("</").append(k).append('>'));
        submitAsPhone("<case xmlns=\"" + CaseStore.CASE_XMLNS + "\" case_id=\"" + esc(caseId) + "\" date_modified=\"" + Instant.now()
                + "\" user_id=\"" + MOBILE_WORKER_ID + "\"><update>" + update + "</update></case>");
    }

    private void submitAsPhone(String caseXml) {
        String xml = "<data xmlns=\"http://openrosa.org/formdesigner/chis-app-edit\" name=\"Phone form\">" + caseXml
                + "<n0:meta xmlns:n0=\"" + CaseStore.META_XMLNS + "\"><n0:deviceID>phone-1</n0:deviceID><n0:username>" + MOBILE_WORKER
                + "</n0:username><n0:userID>" + MOBILE_WORKER_ID + "</n0:userID><n0:instanceID>" + UUID.randomUUID()
                + "</n0:instanceID></n0:meta></data>";
        synchronized (store) {
            store.submit(parse(xml), xml, "chis-app");
        }
    }

    /** Every case (closed ones too) in the order HQ indexed them. */
    public List<CommCareCase> cases() {
        synchronized (store) {
            return store.cases.values().stream().sorted((a, b) -> Long.compare(a.indexedOn, b.indexedOn))
                    .map(c -> CommCareCase.fromJson(store.rep(c))).toList();
        }
    }

    public Optional<CommCareCase> caseById(String caseId) {
        synchronized (store) {
            CaseStore.StoredCase c = store.cases.get(caseId);
            return c == null ? Optional.empty() : Optional.of(CommCareCase.fromJson(store.rep(c)));
        }
    }

    public List<CommCareCase> casesByExternalId(String externalId) {
        return cases().stream().filter(c -> externalId.equals(c.externalId())).toList();
    }

    /** Forms HQ accepted, in order (Case API writes appear with xmlns {@code http://commcarehq.org/case_api}). */
    public List<SubmittedForm> submittedForms() {
        synchronized (store) {
            return List.copyOf(store.forms.values());
        }
    }

    // ------------------------------------------------------------------ HTTP

    private final class Transformer implements ResponseDefinitionTransformerV2 {
        @Override
        public ResponseDefinition transform(ServeEvent serveEvent) {
            ResponseDefinition answer = handle(serveEvent.getRequest());
            // keep a stub's delay (slowNext): the answer is built from scratch here
            Integer delay = serveEvent.getResponseDefinition().getFixedDelayMilliseconds();
            return delay == null ? answer : ResponseDefinitionBuilder.like(answer).withFixedDelay(delay).build();
        }

        @Override
        public boolean applyGlobally() { return false; }

        @Override
        public String getName() { return TRANSFORMER; }
    }

    private ResponseDefinition handle(Request req) {
        HttpUrl url = HttpUrl.parse(req.getAbsoluteUrl());
        if (url == null) return html(400, "Bad Request");
        List<String> seg = new ArrayList<>(url.pathSegments());
        boolean slash = !seg.isEmpty() && seg.get(seg.size() - 1).isEmpty();
        if (slash) seg.remove(seg.size() - 1);
        if (seg.size() < 3 || !seg.get(0).equals("a")) return html(404, "Page not found");
        if (!seg.get(1).equals(store.domain)) return html(404, "Page not found");
        String method = req.getMethod().getName();
        if (!authorised(req.getHeader("Authorization"))) {
            return ResponseDefinitionBuilder.responseDefinition().withStatus(401)
                    .withHeader("WWW-Authenticate", "Basic realm=\"CommCare HQ\"")
                    .withHeader("Content-Type", "text/html; charset=utf-8").withBody("").build();
        }
        String base = url.scheme() + "://" + url.host() + ":" + url.port();
        List<String> rest = seg.subList(2, seg.size());
        try {
            synchronized (store) {
                if (rest.get(0).equals("receiver")) {
                    if (!method.equals("POST")) return html(405, "Method Not Allowed");
                    String appId = rest.size() > 1 && !rest.get(1).equals("api") ? rest.get(1) : null;
                    return receive(req, appId);
                }
                if (rest.size() >= 3 && rest.get(0).equals("api") && rest.get(1).equals("case") && rest.get(2).equals("v2")) {
                    return caseV2(method, rest.subList(3, rest.size()), url, req, base);
                }
                if (rest.size() >= 3 && rest.get(0).equals("api") && rest.get(1).equals("v0.5") && rest.get(2).equals("case")) {
                    return caseV05(method, rest.subList(3, rest.size()), url);
                }
            }
            return html(404, "Page not found");
        } catch (CaseStore.ApiError e) {
            return json(e.status, Json.object().put("error", e.getMessage()));
        }
    }

    private static boolean authorised(String header) {
        if (header == null) return false;
        if (header.regionMatches(true, 0, "ApiKey ", 0, 7)) return header.substring(7).trim().equals(USER + ":" + API_KEY);
        if (header.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
                return decoded.equals(USER + ":" + PASSWORD);
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ receiver

    private ResponseDefinition receive(Request req, String appId) {
        String xml;
        if (req.isMultipart()) {
            Request.Part part = req.getPart("xml_submission_file");
            if (part == null) return xml(422, openRosa("processing_failure", "Invalid Submission: no xml_submission_file in the multipart body"));
            xml = part.getBody().asString();
        } else {
            xml = new String(req.getBody(), StandardCharsets.UTF_8);
        }
        if (xml.isBlank()) return xml(422, openRosa("processing_failure", "Invalid Submission: the body is empty"));
        Element root;
        try {
            root = parse(xml);
        } catch (IllegalArgumentException e) {
            return xml(500, openRosa("submit_error", "There was an error processing the form: " + e.getMessage()));
        }
        try {
            boolean fresh = store.submit(root, xml, appId);
            // HQ answers a duplicate like a success (the form is already saved)
            return xml(201, openRosa("submit_success", fresh ? "   √   " : "   √   "));
        } catch (CaseStore.Rejection r) {
            return xml(r.status, openRosa(r.nature, r.getMessage()));
        }
    }

    /**
     * One parser per Jetty thread, reset before each form: a new factory and builder per form (a service lookup in the
     * class path and a fresh parser configuration) was about a tenth of the simulators' CPU in the forms benchmark.
     */
    private static final ThreadLocal<DocumentBuilder> PARSER = ThreadLocal.withInitial(() -> {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return f.newDocumentBuilder();
        } catch (Exception e) {
            throw new IllegalStateException("no XML parser", e);
        }
    });

    private static Element parse(String xml) {
        try {
            DocumentBuilder b = PARSER.get();
            b.reset();
            b.setErrorHandler(null);
            return b.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
        } catch (Exception e) {
            throw new IllegalArgumentException("XML syntax error: " + e.getMessage(), e);
        }
    }

    private static String openRosa(String nature, String message) {
        return "<OpenRosaResponse xmlns=\"http://openrosa.org/http/response\"><message nature=\"" + nature + "\">" + esc(message)
                + "</message></OpenRosaResponse>";
    }

    // ------------------------------------------------------------------ Case API v2

    private ResponseDefinition caseV2(String method, List<String> seg, HttpUrl url, Request req, String base) {
        if (seg.isEmpty()) {
            if (method.equals("GET")) return json(200, listV2(url, base));
            if (method.equals("POST")) {
                JsonNode body = body(req);
                if (body.isArray()) return json(200, bulk(body));
                return json(200, store.apiWrite(body, null, null));
            }
            return json(405, Json.object().put("error", "Method not allowed"));
        }
        if (seg.get(0).equals("ext")) {
            if (seg.size() != 2) return html(404, "Page not found");
            String ext = seg.get(1);
            List<CaseStore.StoredCase> hits = store.cases.values().stream().filter(c -> ext.equals(c.externalId)).toList();
            if (method.equals("GET")) {
                if (hits.isEmpty()) throw new CaseStore.ApiError(404, "Case with external_id '" + ext + "' not found");
                if (hits.size() > 1) throw new CaseStore.ApiError(400, "Multiple cases found with external_id '" + ext + "'");
                return json(200, store.rep(hits.get(0)));
            }
            if (method.equals("PUT")) {
                if (hits.size() > 1) throw new CaseStore.ApiError(400, "Multiple cases found with external_id '" + ext + "'");
                return json(200, store.apiWrite(body(req), hits.isEmpty() ? "" : hits.get(0).caseId, ext));
            }
            return json(405, Json.object().put("error", "Method not allowed"));
        }
        if (seg.get(0).equals("bulk-fetch") && method.equals("POST")) {
            JsonNode body = body(req);
            ArrayNode out = Json.array();
            int missing = 0;
            for (JsonNode id : body.path("case_ids")) {
                CaseStore.StoredCase c = store.cases.get(id.asText());
                if (c == null) {
                    missing++;
                    out.addObject().put("case_id", id.asText()).put("error", "not found");
                } else out.add(store.rep(c));
            }
            for (JsonNode ext : body.path("external_ids")) {
                Optional<CaseStore.StoredCase> c = store.cases.values().stream().filter(x -> ext.asText().equals(x.externalId)).findFirst();
                if (c.isEmpty()) {
                    missing++;
                    out.addObject().put("external_id", ext.asText()).put("error", "not found");
                } else out.add(store.rep(c.get()));
            }
            ObjectNode o = Json.object().put("matching_records", out.size() - missing).put("missing_records", missing);
            o.set("cases", out);
            return json(200, o);
        }
        String id = seg.get(0);
        if (method.equals("GET")) {
            if (id.contains(",")) {
                ArrayNode out = Json.array();
                int missing = 0;
                for (String one : id.split(",")) {
                    CaseStore.StoredCase c = store.cases.get(one);
                    if (c == null) {
                        missing++;
                        out.addObject().put("case_id", one).put("error", "not found");
                    } else out.add(store.rep(c));
                }
                ObjectNode o = Json.object().put("matching_records", out.size() - missing).put("missing_records", missing);
                o.set("cases", out);
                return json(200, o);
            }
            CaseStore.StoredCase c = store.cases.get(id);
            if (c == null) throw new CaseStore.ApiError(404, "Case '" + id + "' not found");
            return json(200, store.rep(c));
        }
        if (method.equals("PUT")) return json(200, store.apiWrite(body(req), id, null));
        return json(405, Json.object().put("error", "Method not allowed"));
    }

    private ObjectNode bulk(JsonNode items) {
        if (items.size() > 100) throw new CaseStore.ApiError(400, "You cannot submit more than 100 updates in a single request");
        ArrayNode cases = Json.array();
        String xformId = null;
        for (JsonNode item : items) {
            boolean create = item.path("create").asBoolean(false);
            if (!create && !item.hasNonNull("case_id") && !item.hasNonNull("external_id")) {
                throw new CaseStore.ApiError(400, "A 'case_id' or 'external_id' is required for updates");
            }
            String caseId = create ? null : item.path("case_id").asText(null);
            if (!create && caseId == null) {
                String ext = item.get("external_id").asText();
                caseId = store.cases.values().stream().filter(c -> ext.equals(c.externalId)).map(c -> c.caseId).findFirst()
                        .orElseThrow(() -> new CaseStore.ApiError(400, "Could not find a case with external_id '" + ext + "'"));
            }
            ObjectNode r = store.apiWrite(item, caseId, null);
            xformId = r.get("xform_id").asText();
            cases.add(r.get("case"));
        }
        ObjectNode o = Json.object().put("xform_id", xformId);
        o.set("cases", cases);
        return o;
    }

    private ObjectNode listV2(HttpUrl url, String base) {
        for (String p : url.queryParameterNames()) {
            if (!V2_FILTERS.contains(p) && !p.startsWith("properties.") && !p.startsWith("indices.")) {
                throw new CaseStore.ApiError(400, "'" + p + "' is not a valid parameter.");
            }
        }
        int limit = V2_DEFAULT_LIMIT;
        if (url.queryParameter("limit") != null) {
            try {
                limit = Integer.parseInt(url.queryParameter("limit"));
            } catch (NumberFormatException e) {
                throw new CaseStore.ApiError(400, "'limit' must be an integer");
            }
            if (limit > V2_MAX_LIMIT) throw new CaseStore.ApiError(400, "You cannot request more than " + V2_MAX_LIMIT + " cases per request.");
            if (limit < 1) throw new CaseStore.ApiError(400, "'limit' must be positive");
        }
        long after = 0;
        String cursor = url.queryParameter("cursor");
        if (cursor != null) {
            try {
                String decoded = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
                if (!decoded.startsWith("indexed_on=")) throw new IllegalArgumentException(decoded);
                after = Long.parseLong(decoded.substring("indexed_on=".length()));
            } catch (IllegalArgumentException e) {
                throw new CaseStore.ApiError(400, "Invalid cursor");
            }
        }
        Predicate<CaseStore.StoredCase> filter = filter(url);
        List<CaseStore.StoredCase> matching = store.cases.values().stream().filter(filter)
                .sorted((a, b) -> Long.compare(a.indexedOn, b.indexedOn)).toList();
        final long from = after;
        List<CaseStore.StoredCase> rest = matching.stream().filter(c -> c.indexedOn > from).toList();
        List<CaseStore.StoredCase> page = rest.subList(0, Math.min(limit, rest.size()));
        ObjectNode out = Json.object().put("matching_records", matching.size());
        ArrayNode arr = out.putArray("cases");
        page.forEach(c -> arr.add(store.rep(c)));
        if (rest.size() > page.size()) {
            String next = Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(("indexed_on=" + page.get(page.size() - 1).indexedOn).getBytes(StandardCharsets.UTF_8));
            HttpUrl.Builder b = url.newBuilder().scheme("http").host(url.host()).port(url.port()).removeAllQueryParameters("cursor")
                    .addQueryParameter("cursor", next);
            out.put("next", b.build().toString());
        }
        return out;
    }

    private static Predicate<CaseStore.StoredCase> filter(HttpUrl url) {
        Predicate<CaseStore.StoredCase> p = c -> true;
        for (String name : url.queryParameterNames()) {
            String v = url.queryParameter(name);
            switch (name) {
                case "case_type" -> p = p.and(c -> v.equals(c.caseType));
                case "owner_id" -> p = p.and(c -> v.equals(c.ownerId));
                case "case_name" -> p = p.and(c -> v.equals(c.caseName));
                case "external_id" -> p = p.and(c -> v.equals(c.externalId));
                case "closed" -> {
                    if (!v.equals("true") && !v.equals("false")) throw new CaseStore.ApiError(400, "'closed' must be 'true' or 'false'");
                    boolean closed = v.equals("true");
                    p = p.and(c -> c.closed == closed);
                }
                case "limit", "cursor" -> { }
                default -> {
                    if (name.startsWith("properties.")) {
                        String prop = name.substring("properties.".length());
                        p = p.and(c -> v.equals(c.properties.getOrDefault(prop, "")));
                    } else if (name.startsWith("indices.")) {
                        String idx = name.substring("indices.".length());
                        p = p.and(c -> c.indices.containsKey(idx) && v.equals(c.indices.get(idx)[0]));
                    } else {
                        p = p.and(range(name, v));
                    }
                }
            }
        }
        return p;
    }

    private static Predicate<CaseStore.StoredCase> range(String name, String value) {
        int dot = name.lastIndexOf('.');
        String field = name.substring(0, dot);
        String op = name.substring(dot + 1);
        Instant bound;
        try {
            bound = value.length() == 10 ? LocalDate.parse(value).atStartOfDay().toInstant(ZoneOffset.UTC)
                    : OffsetDateTime.parse(value.endsWith("Z") || value.matches(".*[+-]\\d\\d:?\\d\\d$") ? value : value + "Z").toInstant();
        } catch (DateTimeParseException e) {
            throw new CaseStore.ApiError(400, "Cannot parse datetime '" + value + "'");
        }
        return c -> {
            Instant t = switch (field) {
                case "last_modified" -> c.lastModified;
                case "server_last_modified", "indexed_on" -> c.serverLastModified;
                default -> c.dateOpened;
            };
            if (t == null) return false;
            return switch (op) {
                case "gt" -> t.isAfter(bound);
                case "gte" -> !t.isBefore(bound);
                case "lt" -> t.isBefore(bound);
                default -> !t.isAfter(bound);
            };
        };
    }

    // ------------------------------------------------------------------ Case API v0.5

    private ResponseDefinition caseV05(String method, List<String> seg, HttpUrl url) {
        if (!method.equals("GET")) return html(405, "Method Not Allowed");
        if (!seg.isEmpty()) {
            CaseStore.StoredCase c = store.cases.get(seg.get(0));
            if (c == null) return html(404, "Page not found");
            return json(200, store.repV05(c));
        }
        int limit = 20;
        int offset = 0;
        try {
            if (url.queryParameter("limit") != null) limit = Math.max(1, Math.min(5000, Integer.parseInt(url.queryParameter("limit"))));
            if (url.queryParameter("offset") != null) offset = Math.max(0, Integer.parseInt(url.queryParameter("offset")));
        } catch (NumberFormatException e) {
            return json(400, Json.object().put("error", "limit and offset must be integers"));
        }
        String type = url.queryParameter("type");
        String owner = url.queryParameter("owner_id");
        String ext = url.queryParameter("external_id");
        String closed = url.queryParameter("closed");
        List<CaseStore.StoredCase> hits = store.cases.values().stream()
                .filter(c -> type == null || type.equals(c.caseType))
                .filter(c -> owner == null || owner.equals(c.ownerId))
                .filter(c -> ext == null || ext.equals(c.externalId))
                .filter(c -> closed == null || String.valueOf(c.closed).equals(closed))
                .sorted((a, b) -> Long.compare(a.indexedOn, b.indexedOn)).toList();
        ObjectNode out = Json.object();
        ObjectNode meta = out.putObject("meta");
        meta.put("limit", limit).put("offset", offset).put("total_count", hits.size());
        String path = "/a/" + store.domain + "/api/v0.5/case/";
        if (offset + limit < hits.size()) {
            meta.put("next", "?" + url.newBuilder().setQueryParameter("offset", String.valueOf(offset + limit))
                    .setQueryParameter("limit", String.valueOf(limit)).build().encodedQuery());
        } else meta.putNull("next");
        if (offset > 0) {
            meta.put("previous", "?" + url.newBuilder().setQueryParameter("offset", String.valueOf(Math.max(0, offset - limit)))
                    .setQueryParameter("limit", String.valueOf(limit)).build().encodedQuery());
        } else meta.putNull("previous");
        ArrayNode objects = out.putArray("objects");
        for (int i = offset; i < Math.min(hits.size(), offset + limit); i++) objects.add(store.repV05(hits.get(i)));
        return json(200, out);
    }

    // ------------------------------------------------------------------ responses

    private static JsonNode body(Request req) {
        try {
            return Json.parse(new String(req.getBody(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new CaseStore.ApiError(400, "Payload must be valid JSON");
        }
    }

    private static ResponseDefinition json(int status, JsonNode body) {
        return ResponseDefinitionBuilder.responseDefinition().withStatus(status)
                .withHeader("Content-Type", "application/json").withBody(Json.write(body).getBytes(StandardCharsets.UTF_8)).build();
    }

    private static ResponseDefinition xml(int status, String body) {
        return ResponseDefinitionBuilder.responseDefinition().withStatus(status)
                .withHeader("Content-Type", "text/xml; charset=utf-8").withHeader("X-OpenRosa-Version", "1.0")
                .withBody(body.getBytes(StandardCharsets.UTF_8)).build();
    }

    private static ResponseDefinition html(int status, String title) {
        return ResponseDefinitionBuilder.responseDefinition().withStatus(status)
                .withHeader("Content-Type", "text/html; charset=utf-8")
                .withBody("<!DOCTYPE html><html><head><title>" + title + "</title></head><body><h1>" + title + "</h1></body></html>").build();
    }

    private static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Case properties as a map, for tests ({@code props("a", "1", "b", "2")}). */
    public static Map<String, String> props(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }
}
