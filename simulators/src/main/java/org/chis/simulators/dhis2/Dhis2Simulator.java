package org.chis.simulators.dhis2;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
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
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import okhttp3.HttpUrl;
import org.chis.common.json.Json;

/**
 * A DHIS2 Web API on WireMock: aggregate {@code POST /api/dataValueSets} (import summaries as the played
 * version shapes them: bare summary with 200 up to 2.37, WebMessage-wrapped with 409 on conflicts from 2.38),
 * the new tracker {@code POST /api/tracker} (sync and async, atomic modes, validation errors, 409 on ERROR) and
 * its exports {@code GET /api/tracker/trackedEntities|enrollments|events} (paged; {@code pager} object from 2.41,
 * flat paging fields and {@code instances} before), {@code GET /api/system/info}. Paths may carry an API version
 * ({@code /api/40/...}). Basic {@value #USER}/{@value #PASSWORD} or {@code ApiToken} {@value #TOKEN}.
 *
 * <p>Fault injection: {@link #failNext}, {@link #failAlways}, {@link #slowNext}; {@link #latency} for benchmarks.
 * {@link #version(String)} switches the release being played (default {@value #DEFAULT_VERSION}).
 */
public final class Dhis2Simulator implements AutoCloseable {
    public static final String USER = "admin";
    public static final String PASSWORD = "district";
    public static final String TOKEN = "d2pat_simulatorTokenForTests0000000000000001";
    public static final String DEFAULT_VERSION = "2.40.4";
    private static final String TRANSFORMER = "dhis2-simulator";
    static final String LOGIN_PAGE = "/dhis-web-commons/security/login.action";

    private final Dhis2Metadata metadata = new Dhis2Metadata();
    private volatile LocalDate today = null;
    private final AggregateStore aggregate = new AggregateStore(metadata, () -> today != null ? today : LocalDate.now());
    private final TrackerStore tracker = new TrackerStore(metadata);
    private final WireMockServer server;
    private final AtomicInteger scenarios = new AtomicInteger();
    private volatile Dhis2Version version = Dhis2Version.of(DEFAULT_VERSION);

    /** Starts on {@code port} (0 = a free port), with WireMock's request journal on (tests can count requests). */
    public Dhis2Simulator(int port) { this(port, -1); }

    /**
     * @param journalEntries how many requests WireMock remembers (-1 = all; a benchmark pushing a million values
     *                       keeps it small, the journal holds every request body)
     */
    public Dhis2Simulator(int port, int journalEntries) {
        WireMockConfiguration options = WireMockConfiguration.options().stubRequestLoggingDisabled(true).port(port).bindAddress("0.0.0.0")
                .containerThreads(32).jettyAcceptors(2).extensions(new Transformer());
        if (journalEntries == 0) options.disableRequestJournal();
        else if (journalEntries > 0) options.maxRequestJournalEntries(journalEntries);
        server = new WireMockServer(options);
        server.start();
        baseStubs();
    }

    /** e.g. {@code http://localhost:9083} (what dhis2.url is set to). */
    public String baseUrl() { return "http://localhost:" + server.port(); }

    public int port() { return server.port(); }

    public WireMockServer wireMock() { return server; }

    private void baseStubs() {
        server.stubFor(any(urlPathMatching("/api/.*")).atPriority(10).willReturn(aResponse().withTransformers(TRANSFORMER)));
        server.stubFor(any(urlPathMatching(LOGIN_PAGE)).atPriority(10).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/html;charset=UTF-8").withBody("<!DOCTYPE html><html><head><title>DHIS 2</title></head>"
                        + "<body><form id=\"loginForm\" action=\"../../dhis-web-commons-security/login.action\" method=\"post\"></form></body></html>")));
    }

    /** Forgets all data, metadata additions, fault stubs, latency, the date and the version. */
    public void reset() {
        synchronized (this) {
            aggregate.clear();
            aggregate.keepValues(true);
            aggregate.openFuturePeriods(0);
            tracker.clear();
            metadata.seed();
            today = null;
            version = Dhis2Version.of(DEFAULT_VERSION);
        }
        server.resetAll();
        server.setGlobalFixedDelay(0);
        baseStubs();
    }

    @Override
    public void close() { server.stop(); }

    // ------------------------------------------------------------------ configuration and faults

    /** Plays another DHIS2 release, e.g. "2.37.9" (bare summaries), "2.39.1" (wrapped, 409), "2.41.0" (pager object). */
    public Dhis2Simulator version(String v) {
        this.version = Dhis2Version.of(v);
        return this;
    }

    public String version() { return version.text(); }

    /** The metadata aggregate and tracker imports are checked against (add your own ids). */
    public Dhis2Metadata metadata() { return metadata; }

    /** The server's "today" (for the latest open period check); null = the real date. */
    public Dhis2Simulator today(LocalDate date) {
        this.today = date;
        return this;
    }

    /** How many future periods data sets accept (DHIS2's openFuturePeriods); 0 = none. */
    public Dhis2Simulator openFuturePeriods(int n) {
        aggregate.openFuturePeriods(n);
        return this;
    }

    /** false = count and check values but do not keep them (benchmarks with millions of values). */
    public Dhis2Simulator keepValues(boolean keep) {
        aggregate.keepValues(keep);
        return this;
    }

    /** A fixed delay on every answer. */
    public Dhis2Simulator latency(int millis) {
        server.setGlobalFixedDelay(millis);
        return this;
    }

    /** The next matching request (method, path regex) gets this answer instead; null body = DHIS2's 5xx WebMessage. */
    public void failNext(String method, String pathRegex, int status, String body) {
        String scenario = "fail-" + scenarios.incrementAndGet();
        server.stubFor(request(method, urlPathMatching(pathRegex)).atPriority(1)
                .inScenario(scenario).whenScenarioStateIs(Scenario.STARTED).willSetStateTo("fired")
                .willReturn(errorResponse(status, body)));
    }

    /** The first {@code passing} matching requests are served normally, the next one gets this answer, later ones normally again. */
    public void failAfter(String method, String pathRegex, int passing, int status, String body) {
        String scenario = "fail-after-" + scenarios.incrementAndGet();
        for (int i = 0; i < passing; i++) {
            server.stubFor(request(method, urlPathMatching(pathRegex)).atPriority(1).inScenario(scenario)
                    .whenScenarioStateIs(i == 0 ? Scenario.STARTED : "passed-" + i).willSetStateTo("passed-" + (i + 1))
                    .willReturn(aResponse().withTransformers(TRANSFORMER)));
        }
        server.stubFor(request(method, urlPathMatching(pathRegex)).atPriority(1).inScenario(scenario)
                .whenScenarioStateIs(passing == 0 ? Scenario.STARTED : "passed-" + passing).willSetStateTo("fired")
                .willReturn(errorResponse(status, body)));
    }

    /** Every matching request gets this answer until the stub is removed ({@code wireMock().removeStub}). */
    public StubMapping failAlways(String method, String pathRegex, int status, String body) {
        return server.stubFor(request(method, urlPathMatching(pathRegex)).atPriority(2).willReturn(errorResponse(status, body)));
    }

    /** The next matching request is processed (the write happens) but its answer comes {@code delayMillis} late. */
    public void slowNext(String method, String pathRegex, int delayMillis) {
        String scenario = "slow-" + scenarios.incrementAndGet();
        server.stubFor(request(method, urlPathMatching(pathRegex)).atPriority(1)
                .inScenario(scenario).whenScenarioStateIs(Scenario.STARTED).willSetStateTo("fired")
                .willReturn(aResponse().withFixedDelay(delayMillis).withTransformers(TRANSFORMER)));
    }

    private static ResponseDefinitionBuilder errorResponse(int status, String body) {
        String b = body != null ? body : Json.write(AggregateStore.webMessage(status, "ERROR",
                status >= 500 ? "could not execute statement; SQL [n/a]; nested exception is org.hibernate.exception.JDBCConnectionException"
                        : "Simulated failure", null));
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json;charset=UTF-8").withBody(b);
    }

    /** How many requests matched (method, path regex) so far. */
    public int requestCount(String method, String pathRegex) {
        return server.countRequestsMatching(RequestPatternBuilder.newRequestPattern(
                RequestMethod.fromString(method), urlPathMatching(pathRegex)).build()).getCount();
    }

    // ------------------------------------------------------------------ inspection and edits "in DHIS2"

    /** The stored aggregate value of (data element, period, org unit, coc, aoc); combos null = default. */
    public Optional<String> dataValue(String dataElement, String period, String orgUnit, String coc, String aoc) {
        return aggregate.value(dataElement, period, orgUnit, coc == null ? Dhis2Metadata.DEFAULT_COMBO : coc, aoc == null ? Dhis2Metadata.DEFAULT_COMBO : aoc);
    }

    public Optional<String> dataValue(String dataElement, String period, String orgUnit) { return dataValue(dataElement, period, orgUnit, null, null); }

    /** How many values are stored. */
    public int dataValueCount() { return aggregate.values().size(); }

    /** Every value received by {@code dataValueSets} (valid or not, dry runs included). */
    public long valuesReceived() { return aggregate.received(); }

    /** How many {@code dataValueSets} imports were made. */
    public long dataValueSetRequests() { return aggregate.requests(); }

    public synchronized List<JsonNode> trackedEntities() { return List.copyOf(tracker.export("trackedEntities", n -> true)); }

    public synchronized List<JsonNode> enrollments() { return List.copyOf(tracker.export("enrollments", n -> true)); }

    public synchronized List<JsonNode> events() { return List.copyOf(tracker.export("events", n -> true)); }

    public synchronized Optional<JsonNode> trackedEntity(String uid) {
        return Optional.ofNullable(tracker.trackedEntities.get(uid)).map(ObjectNode::deepCopy);
    }

    /**
     * Registers (or edits) a tracked entity as a DHIS2 user would in Capture: gets a fresh updatedAt and
     * {@code updatedBy = username}. {@code attributes}: attribute UID -> value.
     */
    public synchronized String saveTrackedEntity(String uid, String orgUnit, String trackedEntityType, Map<String, String> attributes, String username) {
        String id = uid != null ? uid : newUid();
        ObjectNode te = Json.object().put("trackedEntity", id).put("trackedEntityType", trackedEntityType).put("orgUnit", orgUnit);
        ArrayNode attrs = te.putArray("attributes");
        attributes.forEach((a, v) -> attrs.addObject().put("attribute", a).put("value", v));
        AggregateStore.Answer a = tracker.importBundle(Json.object().set("trackedEntities", Json.array().add(te)), "CREATE_AND_UPDATE", "ALL", username);
        if (a.status() != 200) throw new IllegalArgumentException("tracked entity not saved: " + a.body());
        return id;
    }

    /** A tracker import (CREATE_AND_UPDATE, atomic) as DHIS2 user {@code username} would make it in Capture; returns the report. */
    public synchronized JsonNode importTrackerAs(String username, JsonNode bundle) {
        return tracker.importBundle(bundle, "CREATE_AND_UPDATE", "ALL", username).body();
    }

    /** Saves several tracked entities in one go, all with the same updatedAt (one DHIS2 transaction). */
    public synchronized void saveTrackedEntitiesAtOnce(List<String> uids, String orgUnit, String trackedEntityType, String attribute, String username) {
        for (int i = 0; i < uids.size(); i++) {
            saveTrackedEntity(uids.get(i), orgUnit, trackedEntityType, Map.of(attribute, "v" + i), username);
        }
        String stamp = tracker.sameStamp();
        for (String uid : uids) tracker.trackedEntities.get(uid).put("updatedAt", stamp);
    }

    /** A random valid DHIS2 UID. */
    public static String newUid() {
        String letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        String all = letters + "0123456789";
        Random r = new Random(UUID.randomUUID().getMostSignificantBits());
        StringBuilder sb = new StringBuilder().append(letters.charAt(r.nextInt(letters.length())));
        for (int i = 0; i < 10; i++) sb.append(all.charAt(r.nextInt(all.length())));
        return sb.toString();
    }

    // ------------------------------------------------------------------ HTTP

    private final class Transformer implements ResponseDefinitionTransformerV2 {
        @Override
        public ResponseDefinition transform(ServeEvent serveEvent) {
            ResponseDefinition answer = handle(serveEvent.getRequest());
            // the answer replaces the stub's definition: keep its delay (slowNext)
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
        if (url == null) return message(400, "ERROR", "bad url");
        List<String> seg = new ArrayList<>(url.pathSegments());
        if (!seg.isEmpty() && seg.get(seg.size() - 1).isEmpty()) seg.remove(seg.size() - 1);
        if (seg.isEmpty() || !seg.get(0).equals("api")) return message(404, "ERROR", "Not Found");
        seg.remove(0);
        if (!seg.isEmpty() && seg.get(0).matches("\\d{2}")) seg.remove(0); // /api/40/...
        String authorization = req.getHeader("Authorization");
        String user = user(authorization);
        if (user == null && (authorization == null || authorization.isBlank())) {
            // DHIS2BasicAuthenticationEntryPoint: a request without credentials (and not XHR) is sent to the login page
            return ResponseDefinitionBuilder.responseDefinition().withStatus(302)
                    .withHeader("Location", baseUrl() + LOGIN_PAGE).build();
        }
        if (user == null) {
            // ... and one with credentials gets the WebMessage, without a WWW-Authenticate challenge
            return ResponseDefinitionBuilder.responseDefinition().withStatus(401)
                    .withHeader("Content-Type", "application/json;charset=UTF-8")
                    .withBody(Json.write(AggregateStore.webMessage(401, "ERROR", "Unauthorized", null))).build();
        }
        String method = req.getMethod().getName();
        String path = String.join("/", seg);
        Dhis2Version v = version;
        if (path.equals("system/info") && method.equals("GET")) {
            return json(200, Json.object().put("version", v.text()).put("revision", "sim").put("serverTimeZoneId", "Etc/UTC"));
        }
        if (path.equals("dataValueSets") && method.equals("POST")) return dataValueSets(req, url, v);
        if (path.equals("tracker") && method.equals("POST")) return trackerImport(req, url, user);
        if (path.startsWith("tracker/") && method.equals("GET") && seg.size() == 2) return export(seg.get(1), url, v);
        return message(404, "ERROR", "Not Found: /api/" + path);
    }

    private ResponseDefinition dataValueSets(Request req, HttpUrl url, Dhis2Version v) {
        String ct = req.getHeader("Content-Type");
        if (ct == null || !ct.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            return message(415, "ERROR", "Content type '" + ct + "' not supported");
        }
        if ("true".equals(url.queryParameter("async"))) {
            ObjectNode r = Json.object().put("responseType", "JobConfigurationWebMessageResponse").put("id", newUid())
                    .put("jobType", "DATAVALUE_IMPORT").put("relativeNotifierEndpoint", "/api/system/tasks/DATAVALUE_IMPORT/x");
            return json(200, AggregateStore.webMessage(200, "OK", "Initiated DATAVALUE_IMPORT", r));
        }
        JsonNode set;
        try {
            set = Json.parse(req.getBodyAsString());
        } catch (IllegalArgumentException e) {
            return message(400, "ERROR", "JSON parse error: " + e.getMessage());
        }
        String strategy = Optional.ofNullable(url.queryParameter("importStrategy")).orElse("CREATE_AND_UPDATE").toUpperCase(Locale.ROOT);
        if (strategy.equals("NEW_AND_UPDATES")) strategy = "CREATE_AND_UPDATE";
        boolean dryRun = "true".equals(url.queryParameter("dryRun"));
        AggregateStore.Answer a = aggregate.importSet(set, dryRun, strategy, v);
        return json(a.status(), a.body());
    }

    private ResponseDefinition trackerImport(Request req, HttpUrl url, String user) {
        JsonNode bundle;
        try {
            bundle = Json.parse(req.getBodyAsString());
        } catch (IllegalArgumentException e) {
            return message(400, "ERROR", "JSON parse error: " + e.getMessage());
        }
        String strategy = Optional.ofNullable(url.queryParameter("importStrategy")).orElse("CREATE").toUpperCase(Locale.ROOT);
        if (!List.of("CREATE", "UPDATE", "CREATE_AND_UPDATE", "DELETE").contains(strategy)) {
            return message(400, "ERROR", "Value '" + strategy + "' is not valid for parameter importStrategy.");
        }
        String atomic = Optional.ofNullable(url.queryParameter("atomicMode")).orElse("ALL").toUpperCase(Locale.ROOT);
        if (!"false".equals(url.queryParameter("async"))) {
            String id = newUid();
            ObjectNode r = Json.object().put("id", id).put("location", baseUrl() + "/api/tracker/jobs/" + id);
            return json(200, AggregateStore.webMessage(200, "OK", "Tracker job added", r));
        }
        AggregateStore.Answer a;
        synchronized (this) {
            a = tracker.importBundle(bundle, strategy, atomic, user);
        }
        return json(a.status(), a.body());
    }

    private ResponseDefinition export(String resource, HttpUrl url, Dhis2Version v) {
        if (!List.of("trackedEntities", "enrollments", "events").contains(resource)) return message(404, "ERROR", "Not Found");
        String program = url.queryParameter("program");
        String tet = url.queryParameter("trackedEntityType");
        if (resource.equals("trackedEntities") && program == null && tet == null) {
            return message(400, "ERROR", "Either `program`, `trackedEntityType` or `trackedEntities` should be specified");
        }
        if (v.pagerObject() && url.queryParameter("orgUnit") != null && url.queryParameter("orgUnits") != null) {
            return message(400, "ERROR", "Only one parameter of 'orgUnit' and 'orgUnits' must be specified. Prefer 'orgUnits' as 'orgUnit' will be removed.");
        }
        if (v.pagerObject() && "ACCESSIBLE".equals(url.queryParameter("ouMode"))
                && (url.queryParameter("orgUnit") != null || url.queryParameter("orgUnits") != null)) {
            // OperationsParamsValidator.validateOrgUnitMode (2.41)
            return message(400, "ERROR", "orgUnitMode ACCESSIBLE cannot be used with orgUnits. Please remove the orgUnit parameter and try again.");
        }
        List<String[]> attributeFilters = new ArrayList<>();
        for (String f : resource.equals("trackedEntities") ? url.queryParameterValues("filter") : List.<String>of()) {
            // <attribute>:<operator>:<value>; 2.41 also takes several, comma separated, in one parameter
            for (String one : f.split(",")) {
                String[] parts = one.split(":", 3);
                if (parts.length < 3 || !List.of("EQ", "LIKE").contains(parts[1].toUpperCase(Locale.ROOT))) {
                    return message(400, "ERROR", "Query item or filter is invalid: " + one);
                }
                if (!metadata.attributes.containsKey(parts[0])) {
                    return message(400, "ERROR", "Attribute does not exist: " + parts[0]);
                }
                attributeFilters.add(new String[] {parts[0], parts[1].toUpperCase(Locale.ROOT), parts[2]});
            }
        }
        String ofTrackedEntity = url.queryParameter("trackedEntity");
        String updatedAfter = url.queryParameter("updatedAfter");
        String orgUnit = Optional.ofNullable(url.queryParameter(v.pagerObject() ? "orgUnits" : "orgUnit")).orElse(url.queryParameter("orgUnit"));
        String ouMode = Optional.ofNullable(url.queryParameter("ouMode")).orElse(v.pagerObject() ? "ACCESSIBLE" : "SELECTED");
        String stage = url.queryParameter("programStage");
        int page, pageSize;
        try {
            page = Integer.parseInt(Optional.ofNullable(url.queryParameter("page")).orElse("1"));
            pageSize = Integer.parseInt(Optional.ofNullable(url.queryParameter("pageSize")).orElse("50"));
        } catch (NumberFormatException e) {
            return message(400, "ERROR", "page and pageSize must be numbers");
        }
        if (page < 1 || pageSize < 1) return message(400, "ERROR", "page and pageSize must be greater than 0");
        String since = updatedAfter == null ? null : normaliseTime(updatedAfter);
        if (updatedAfter != null && since == null) return message(400, "ERROR", "Invalid date: updatedAfter=" + updatedAfter);
        Predicate<ObjectNode> filter = n -> (since == null || n.path("updatedAt").asText().compareTo(since) >= 0)
                && (tet == null || !resource.equals("trackedEntities") || n.path("trackedEntityType").asText().equals(tet))
                && (program == null || resource.equals("trackedEntities") || n.path("program").asText().equals(program))
                && (program == null || !resource.equals("trackedEntities") || enrolledIn(n.path("trackedEntity").asText(), program))
                && (stage == null || n.path("programStage").asText().equals(stage))
                && (ofTrackedEntity == null || resource.equals("trackedEntities") || n.path("trackedEntity").asText().equals(ofTrackedEntity))
                && attributeFilters.stream().allMatch(af -> matches(n, af[0], af[1], af[2]))
                && (orgUnit == null || ouMode.equals("ALL") || ouMode.equals("ACCESSIBLE") && orgUnit == null
                    || (ouMode.equals("SELECTED") ? n.path("orgUnit").asText().equals(orgUnit) : metadata.within(n.path("orgUnit").asText(), orgUnit)));
        List<ObjectNode> all;
        synchronized (this) {
            all = tracker.export(resource, filter);
        }
        int from = Math.min((page - 1) * pageSize, all.size());
        int to = Math.min(from + pageSize, all.size());
        ArrayNode items = Json.array();
        all.subList(from, to).forEach(items::add);
        boolean totals = "true".equals(url.queryParameter("totalPages"));
        int pageCount = (all.size() + pageSize - 1) / pageSize;
        ObjectNode body = Json.object();
        if (v.pagerObject()) {
            ObjectNode pager = body.putObject("pager").put("page", page).put("pageSize", pageSize);
            if (totals) pager.put("total", all.size()).put("pageCount", pageCount);
            if (page > 1) pager.put("prevPage", url.newBuilder().setQueryParameter("page", String.valueOf(page - 1)).build().toString());
            if (to < all.size()) pager.put("nextPage", url.newBuilder().setQueryParameter("page", String.valueOf(page + 1)).build().toString());
            body.set(resource, items);
        } else {
            body.put("page", page).put("pageSize", pageSize);
            if (totals) body.put("total", all.size()).put("pageCount", pageCount);
            body.set("instances", items);
        }
        return json(200, body);
    }

    /** A tracked entity attribute filter; DHIS2 compares attribute values case-insensitively. */
    private static boolean matches(JsonNode te, String attribute, String operator, String value) {
        for (JsonNode a : te.path("attributes")) {
            if (!a.path("attribute").asText().equals(attribute)) continue;
            String have = a.path("value").asText().toLowerCase(Locale.ROOT);
            String want = value.toLowerCase(Locale.ROOT);
            return operator.equals("EQ") ? have.equals(want) : have.contains(want);
        }
        return false;
    }

    private boolean enrolledIn(String te, String program) {
        synchronized (this) {
            return tracker.enrollments.values().stream().anyMatch(e -> e.path("trackedEntity").asText().equals(te) && e.path("program").asText().equals(program));
        }
    }

    /** DHIS2 accepts a date or a date-time (zone ignored); compared as text in TrackerStore.TIME's format. */
    static String normaliseTime(String s) {
        try {
            if (s.length() == 10) return LocalDate.parse(s).atStartOfDay().format(TrackerStore.TIME);
            String local = s.replaceAll("(Z|[+-]\\d{2}:?\\d{2})$", "");
            return LocalDateTime.parse(local).format(TrackerStore.TIME);
        } catch (DateTimeException e) {
            return null;
        }
    }

    private static String user(String header) {
        if (header == null) return null;
        if (header.regionMatches(true, 0, "ApiToken ", 0, 9)) return header.substring(9).trim().equals(TOKEN) ? USER : null;
        if (!header.regionMatches(true, 0, "Basic ", 0, 6)) return null;
        try {
            String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
            return decoded.equals(USER + ":" + PASSWORD) ? USER : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static ResponseDefinition json(int status, JsonNode body) {
        return ResponseDefinitionBuilder.responseDefinition().withStatus(status)
                .withHeader("Content-Type", "application/json;charset=UTF-8").withBody(Json.write(body)).build();
    }

    private static ResponseDefinition message(int status, String st, String message) {
        return json(status, AggregateStore.webMessage(status, st, message, null));
    }
}
