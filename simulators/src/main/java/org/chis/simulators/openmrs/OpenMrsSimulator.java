package org.chis.simulators.openmrs;

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
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import okhttp3.HttpUrl;
import org.chis.common.json.Json;
import org.chis.common.systems.openmrs.OpenMrsDates;

/**
 * A stateful OpenMRS on WireMock: REST v1 under {@code /openmrs/ws/rest/v1} (patients with persons, visits,
 * encounters with nested obs, observations, metadata; create/read/search/update/void/purge with OpenMRS's error
 * bodies) and the ICT4H atom feeds {@code /openmrs/ws/atomfeed/{patient|encounter}/{recent|n}} that saves
 * publish to (pages of 5 by default). Basic auth {@value #USER}/{@value #PASSWORD}.
 *
 * <p>Fault injection: {@link #failNext}, {@link #failAlways}, {@link #slowNext} add stubs of higher priority;
 * anything else through {@link #wireMock()}. {@link #latency} adds a fixed delay to every answer (benchmarks).
 */
public final class OpenMrsSimulator implements AutoCloseable {
    public static final String CONTEXT = "/openmrs";
    public static final String USER = "admin";
    public static final String PASSWORD = "Admin123";
    private static final String TRANSFORMER = "openmrs-simulator";

    // seeded metadata (Reference Application / CIEL uuids where they exist)
    public static final String ID_TYPE_OPENMRS_ID = "05a29f94-c0ed-11e2-94be-8c13b969e334";
    public static final String ID_TYPE_OLD = "8d79403a-c2cc-11de-8d13-0010c6dffd0f";
    public static final String ID_TYPE_NATIONAL_ID = "a5d38e09-efcb-4d91-a526-50ce1ba5011a";
    public static final String LOCATION_UNKNOWN = "8d6c993e-c2cc-11de-8d13-0010c6dffd0f";
    public static final String LOCATION_CLINIC = "aff27d58-a15c-49a6-9beb-d30dcfc0c66e";
    public static final String VISIT_TYPE_FACILITY = "7b0f5697-27e3-40c4-8bae-f4049abfb4ed";
    public static final String VISIT_TYPE_COMMUNITY = "d66e9fe0-7d51-4801-a550-5d462ad1c944";
    public static final String ENCOUNTER_TYPE_VITALS = "67a71486-1a54-468f-ac3e-7091a9a79584";
    public static final String ENCOUNTER_TYPE_VISIT_NOTE = "d7151f82-c1f3-4152-a605-2f9ea7414a79";
    public static final String ENCOUNTER_TYPE_REGISTRATION = "8d5b27bc-c2cc-11de-8d13-0010c6dffd0f";
    public static final String ENCOUNTER_TYPE_REFERRAL = "7f2f7d8e-1b8a-4e0e-9a3c-2c1c4c5a6e01";
    public static final String ENCOUNTER_ROLE_UNKNOWN = "a0b03050-c99b-11e0-9572-0800200c9a66";
    public static final String ENCOUNTER_ROLE_CLINICIAN = "240b26f9-dd88-4172-823d-4a8bfeb7841f";
    public static final String PROVIDER_UNKNOWN = "f9badd80-ab76-11e2-9e96-0800200c9a66";
    public static final String PROVIDER_CHW = "c2299800-cca9-11e0-9572-0800200c9a66";
    public static final String ATTRIBUTE_PHONE = "14d4f066-15f5-102d-96e4-000c29c2a5d7";
    public static final String ATTRIBUTE_VILLAGE = "8b56eac7-5c76-4b9c-8c6f-1deab8d3fc47";
    public static final String FORM_COMMUNITY = "c75f120a-04ec-11e3-8780-2b40bef9a44b";
    public static final String CONCEPT_YES = "1065AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    public static final String CONCEPT_NO = "1066AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    public static final String CONCEPT_WEIGHT = "5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    public static final String CONCEPT_HEIGHT = "5090AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    public static final String CONCEPT_TEMPERATURE = "5088AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    public static final String CONCEPT_MUAC = "1343AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    public static final String CONCEPT_PREGNANT = "5272AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    public static final String CONCEPT_FEVER = "140238AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    public static final String CONCEPT_EDD = "5596AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    public static final String CONCEPT_LMP = "1427AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    public static final String CONCEPT_VISIT_TIME = "163137AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    public static final String CONCEPT_COMMENT = "161011AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    public static final String CONCEPT_REFERRED = "1272AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    public static final String CONCEPT_REFERRAL_REASON = "164359AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    // a site's own tracing metadata (no CIEL/PIH uuids are claimed for it): encounter type and coded outcome
    public static final String ENCOUNTER_TYPE_TRACING = "b0b993af-3139-427d-9228-30642b682123";
    public static final String CONCEPT_TRACE_OUTCOME = "4c114112-452d-4ed9-80d7-97d60d73f1ac";
    public static final String CONCEPT_TRACE_FOUND = "aecd8c7a-beba-4f2b-9914-ab4258330560";
    public static final String CONCEPT_TRACE_MOVED = "90ce8014-fc96-43cd-939c-0233f0923d40";
    public static final String CONCEPT_TRACE_DIED = "9e6024bf-1189-4f28-85f5-66fbe826c7e1";
    public static final String CONCEPT_TRACE_REFUSED = "7d9bac03-0f33-4ec0-bcd8-f5021e4ccf96";

    private static final List<String> METADATA = List.of("patientidentifiertype", "location", "visittype", "encountertype",
            "encounterrole", "provider", "personattributetype", "form");

    /** Which atom feed publisher to imitate. */
    public enum FeedStyle {
        /** ICT4H openmrs-atomfeed (Bahmni): content is a plain REST path. */
        BAHMNI,
        /** openmrs-module-atomfeed (Sync 2.0): content is a JSON object of links, categories carry the action. */
        GENERIC
    }

    private final OpenMrsState state = new OpenMrsState();
    private final ProgramsAndCohorts rosters = new ProgramsAndCohorts();
    private final WireMockServer server;
    private final AtomicInteger scenarios = new AtomicInteger();
    private volatile int feedPageSize = 5;
    private volatile FeedStyle feedStyle = FeedStyle.BAHMNI;
    private volatile String encounterFeedTemplate = CONTEXT + "/ws/rest/v1/encounter/%s?v=full";

    /** Starts on {@code port} (0 = a free port). */
    public OpenMrsSimulator(int port) {
        // stub request logging off: WireMock formats every request and its response definition for a log line the
        // default (non-verbose) notifier then drops, about a sixth of the simulator's CPU under load. Gzip off, as
        // OpenMRS's Tomcat answers (its connector's compression is off unless configured): Jetty compressed every
        // answer the mediator's OkHttp asks for gzip, ~6% of the simulators' CPU, and the mediator inflated it.
        server = new WireMockServer(WireMockConfiguration.options().port(port).bindAddress("0.0.0.0")
                .containerThreads(64).jettyAcceptors(2).stubRequestLoggingDisabled(true).gzipDisabled(true).extensions(new Transformer()));
        server.start();
        baseStubs();
    }

    /** Base URL with the context path, e.g. {@code http://localhost:9081/openmrs} (what openmrs.url is set to). */
    public String baseUrl() { return "http://localhost:" + server.port() + CONTEXT; }

    public int port() { return server.port(); }

    public WireMockServer wireMock() { return server; }

    private void baseStubs() {
        server.stubFor(any(urlPathMatching(CONTEXT + "/.*")).atPriority(10)
                .willReturn(aResponse().withTransformers(TRANSFORMER)));
    }

    /** Forgets all data, fault stubs and latency; metadata is seeded again. */
    public void reset() {
        synchronized (state) {
            state.clear();
            rosters.clear();
        }
        server.resetAll();
        server.setGlobalFixedDelay(0);
        baseStubs();
        feedPageSize = 5;
        feedStyle = FeedStyle.BAHMNI;
        encounterFeedTemplate = CONTEXT + "/ws/rest/v1/encounter/%s?v=full";
    }

    @Override
    public void close() { server.stop(); }

    // ------------------------------------------------------------------ configuration and faults

    /** A fixed delay on every answer (e.g. 5 ms for benchmarks). */
    public OpenMrsSimulator latency(int millis) {
        server.setGlobalFixedDelay(millis);
        return this;
    }

    public OpenMrsSimulator feedPageSize(int size) {
        this.feedPageSize = size;
        return this;
    }

    public OpenMrsSimulator feedStyle(FeedStyle style) {
        this.feedStyle = style;
        return this;
    }

    /**
     * The global property {@code visits.allowOverlappingVisits} (default true, as in OpenMRS). False, a common
     * setting: a visit overlapping another of the same patient is refused 400, as OpenMRS's VisitValidator does.
     * {@link #reset()} sets it back to true.
     */
    public OpenMrsSimulator allowOverlappingVisits(boolean allow) {
        synchronized (state) {
            state.allowOverlappingVisits = allow;
        }
        return this;
    }

    /** The encounter feed's content path ({@code encounter.feed.publish.url}), %s = encounter uuid. */
    public OpenMrsSimulator encounterFeedTemplate(String template) {
        this.encounterFeedTemplate = template;
        return this;
    }

    /** The next matching request (method, path regex incl. the context path) gets this answer instead; later ones are served normally. */
    public void failNext(String method, String pathRegex, int status, String body) {
        String scenario = "fail-" + scenarios.incrementAndGet();
        server.stubFor(request(method, urlPathMatching(pathRegex)).atPriority(1)
                .inScenario(scenario).whenScenarioStateIs(Scenario.STARTED).willSetStateTo("fired")
                .willReturn(errorResponse(status, body)));
    }

    /** Every matching request gets this answer until the returned stub is removed ({@code wireMock().removeStub}). */
    public StubMapping failAlways(String method, String pathRegex, int status, String body) {
        return server.stubFor(request(method, urlPathMatching(pathRegex)).atPriority(2).willReturn(errorResponse(status, body)));
    }

    /**
     * The next matching request is processed (the write happens) but its answer is held back {@code delayMillis}:
     * a client with a shorter read timeout sees a timeout after the write — the nastiest case for a saga.
     */
    public void slowNext(String method, String pathRegex, int delayMillis) {
        String scenario = "slow-" + scenarios.incrementAndGet();
        server.stubFor(request(method, urlPathMatching(pathRegex)).atPriority(1)
                .inScenario(scenario).whenScenarioStateIs(Scenario.STARTED).willSetStateTo("fired")
                .willReturn(aResponse().withFixedDelay(delayMillis).withTransformers(TRANSFORMER)));
    }

    private static ResponseDefinitionBuilder errorResponse(int status, String body) {
        String b = body != null ? body : Json.write(OpenMrsState.error(status, status >= 500
                ? "[Could not open Hibernate Session for transaction; nested exception is org.hibernate.exception.JDBCConnectionException]"
                : "Simulated failure", "org.openmrs.simulated:1").body);
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json;charset=UTF-8").withBody(b);
    }

    /** How many requests matched (method, path regex) so far. */
    public int requestCount(String method, String pathRegex) {
        return server.countRequestsMatching(RequestPatternBuilder.newRequestPattern(
                RequestMethod.fromString(method), urlPathMatching(pathRegex)).build()).getCount();
    }

    // ------------------------------------------------------------------ seeding and inspection

    public void addConcept(String uuid, String name, String datatype, String... answers) {
        synchronized (state) {
            state.concept(uuid, name, datatype, answers);
        }
    }

    /** Adds metadata: resource is patientidentifiertype, location, visittype, encountertype, encounterrole, provider, personattributetype or form. */
    public void addMetadata(String resource, String uuid, String display) {
        if (!METADATA.contains(resource)) throw new IllegalArgumentException("unknown metadata resource " + resource + " (one of " + METADATA + ")");
        synchronized (state) {
            state.meta(resource, uuid, display);
        }
    }

    /** Registers a patient as a clerk would in OpenMRS (publishes a patient feed entry); returns its uuid. */
    public String registerPatient(String givenName, String familyName, String gender, LocalDate birthdate, String identifier) {
        return registerPatientAt(givenName, familyName, gender, birthdate, identifier, LOCATION_CLINIC);
    }

    /** Registers a patient whose OpenMRS ID was issued at {@code location} (a location uuid; added as metadata if new). */
    public String registerPatientAt(String givenName, String familyName, String gender, LocalDate birthdate, String identifier, String location) {
        ObjectNode body = Json.object();
        ObjectNode person = body.putObject("person");
        person.putArray("names").addObject().put("givenName", givenName).put("familyName", familyName);
        person.put("gender", gender);
        if (birthdate != null) person.put("birthdate", OpenMrsDates.format(birthdate));
        body.putArray("identifiers").addObject().put("identifier", identifier).put("identifierType", ID_TYPE_OPENMRS_ID)
                .put("location", location).put("preferred", true);
        synchronized (state) {
            if (!state.metadata.getOrDefault("location", Map.of()).containsKey(location)) state.meta("location", location, "Location " + location);
            return state.createPatient(body).uuid;
        }
    }

    /** Gives a patient another identifier (POST /patient/{uuid}/identifier, as a clerk would). */
    public void addIdentifier(String patientUuid, String identifierType, String identifier, String location) {
        ObjectNode body = Json.object().put("identifier", identifier).put("identifierType", identifierType);
        if (location != null) body.put("location", location);
        synchronized (state) {
            state.addIdentifier(state.patient(patientUuid, false), body);
        }
    }

    /** Adds a program ({@code GET /program/{uuid}}). */
    public void addProgram(String uuid, String name) {
        synchronized (state) {
            rosters.programs.put(uuid, name);
        }
    }

    /** Enrolls a patient in a program (completed == null: still active); returns the enrollment uuid. */
    public String enroll(String patientUuid, String programUuid, LocalDate enrolled, LocalDate completed) {
        synchronized (state) {
            state.patient(patientUuid, false);
            return rosters.enroll(patientUuid, programUuid, enrolled, completed, LOCATION_CLINIC).uuid;
        }
    }

    /** Adds an empty cohort ({@code GET /cohort/{uuid}}, members under {@code /cohort/{uuid}/membership}). */
    public void addCohort(String uuid, String name) {
        synchronized (state) {
            ProgramsAndCohorts.Cohort c = new ProgramsAndCohorts.Cohort();
            c.uuid = uuid;
            c.name = name;
            rosters.cohorts.put(uuid, c);
        }
    }

    /** Adds a patient to a cohort from {@code start} until {@code end} (null: still a member). */
    public void addCohortMember(String cohortUuid, String patientUuid, LocalDate start, LocalDate end) {
        synchronized (state) {
            state.patient(patientUuid, false);
            ProgramsAndCohorts.Membership m = new ProgramsAndCohorts.Membership();
            m.uuid = UUID.randomUUID().toString();
            m.patient = patientUuid;
            m.start = start;
            m.end = end;
            rosters.cohort(cohortUuid).members.add(m);
        }
    }

    /** Changes the preferred name as a clerk would (publishes a patient feed entry). */
    public void renamePatient(String uuid, String givenName, String familyName) {
        synchronized (state) {
            OpenMrsState.Person p = state.patient(uuid, false);
            state.updateName(uuid, p.preferredName().uuid, Json.object().put("givenName", givenName).put("familyName", familyName));
        }
    }

    /** Sets a person attribute as a clerk would (publishes a patient feed entry). */
    public void setAttribute(String patientUuid, String attributeTypeUuid, String value) {
        synchronized (state) {
            state.setAttribute(patientUuid, null, Json.object().put("attributeType", attributeTypeUuid).put("value", value));
        }
    }

    /** Changes person properties (gender, birthdate, dead...) as a clerk would. */
    public void updatePerson(String uuid, ObjectNode changes) {
        synchronized (state) {
            state.updatePerson(uuid, changes);
        }
    }

    /** Records an encounter with observations (concept uuid -> value) as a clinician would; returns its uuid. */
    public String recordEncounter(String patientUuid, String encounterType, OffsetDateTime when, Map<String, Object> observations) {
        ObjectNode body = Json.object().put("patient", patientUuid).put("encounterType", encounterType)
                .put("encounterDatetime", OpenMrsDates.format(when)).put("location", LOCATION_CLINIC);
        ArrayNode obs = body.putArray("obs");
        observations.forEach((concept, value) -> obs.addObject().put("concept", concept).set("value", Json.MAPPER.valueToTree(value)));
        synchronized (state) {
            return state.createEncounter(body).uuid;
        }
    }

    public void voidPatient(String uuid) {
        synchronized (state) {
            state.deletePatient(uuid, false);
        }
    }

    /** Full representation of a patient (voided ones too), empty when it does not exist (never created or purged). */
    public Optional<JsonNode> patient(String uuid) {
        synchronized (state) {
            OpenMrsState.Person p = state.persons.get(uuid);
            return p == null || !p.patient ? Optional.empty() : Optional.of(state.patientRep(p, baseUrl()));
        }
    }

    /** Every provider (seeded and created), default representation. */
    public List<JsonNode> providers() {
        synchronized (state) {
            return state.providers.values().stream().map(p -> (JsonNode) state.providerRep(p, baseUrl())).toList();
        }
    }

    /** Every patient that exists (voided included), full representation. */
    public List<JsonNode> patients() {
        synchronized (state) {
            return state.persons.values().stream().filter(p -> p.patient).map(p -> (JsonNode) state.patientRep(p, baseUrl())).toList();
        }
    }

    public List<JsonNode> visits() {
        synchronized (state) {
            return state.visits.values().stream().map(v -> (JsonNode) state.visitRep(v, baseUrl())).toList();
        }
    }

    public Optional<JsonNode> visit(String uuid) {
        synchronized (state) {
            OpenMrsState.Visit v = state.visits.get(uuid);
            return v == null ? Optional.empty() : Optional.of(state.visitRep(v, baseUrl()));
        }
    }

    public List<JsonNode> encounters() {
        synchronized (state) {
            return state.encounters.values().stream().map(e -> (JsonNode) state.encounterRep(e, baseUrl())).toList();
        }
    }

    public Optional<JsonNode> encounter(String uuid) {
        synchronized (state) {
            OpenMrsState.Encounter e = state.encounters.get(uuid);
            return e == null ? Optional.empty() : Optional.of(state.encounterRep(e, baseUrl()));
        }
    }

    /** Every observation that exists (group members included). */
    public List<JsonNode> observations() {
        synchronized (state) {
            return state.obs.values().stream().map(o -> (JsonNode) state.obsRep(o, baseUrl())).toList();
        }
    }

    /** How many entries the feed ("patient", "encounter") holds. */
    public int feedSize(String category) {
        synchronized (state) {
            return state.feed(category).size();
        }
    }

    /** Entry ids of a feed in order ({@code tag:atomfeed.ict4h.org:<uuid>}). */
    public List<String> feedEntryIds(String category) {
        synchronized (state) {
            return state.feed(category).stream().map(e -> "tag:atomfeed.ict4h.org:" + e.id()).toList();
        }
    }

    // ------------------------------------------------------------------ HTTP

    private final class Transformer implements ResponseDefinitionTransformerV2 {
        @Override
        public ResponseDefinition transform(ServeEvent serveEvent) {
            ResponseDefinition answer = handle(serveEvent.getRequest());
            // a slowNext stub's delay lives on the stub's definition, which the answer replaces: carry it over
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
        if (url == null) return text(400, "bad url");
        String base = url.scheme() + "://" + url.host() + ":" + url.port() + CONTEXT;
        List<String> seg = new ArrayList<>(url.pathSegments());
        if (!seg.isEmpty() && seg.get(seg.size() - 1).isEmpty()) seg.remove(seg.size() - 1);
        // seg[0] = "openmrs", seg[1] = "ws"
        if (seg.size() < 3 || !seg.get(0).equals("openmrs") || !seg.get(1).equals("ws")) return text(404, "Not Found");
        if (!authorised(req.getHeader("Authorization"))) {
            ResponseDefinitionBuilder b = ResponseDefinitionBuilder.responseDefinition().withStatus(401)
                    .withHeader("Content-Type", "application/json;charset=UTF-8")
                    .withHeader("WWW-Authenticate", "Basic realm=\"OpenMRS at " + CONTEXT + "\"")
                    .withBody(Json.write(OpenMrsState.error(401, "User is not logged in [Authentication required]",
                            "org.openmrs.module.webservices.rest.web.filter.AuthorizationFilter:97").body));
            return b.build();
        }
        try {
            synchronized (state) {
                if (seg.get(2).equals("atomfeed")) return feed(seg, url, base);
                if (seg.size() >= 5 && seg.get(2).equals("rest") && seg.get(3).equals("v1")) {
                    return rest(req.getMethod().getName(), seg.subList(4, seg.size()), url, req, base);
                }
            }
            return text(404, "Not Found");
        } catch (OpenMrsState.Failure f) {
            return json(f.status, f.body);
        }
    }

    private static boolean authorised(String header) {
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) return false;
        try {
            String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
            return decoded.equals(USER + ":" + PASSWORD);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private ResponseDefinition rest(String method, List<String> seg, HttpUrl url, Request req, String base) {
        String resource = seg.get(0);
        String uuid = seg.size() > 1 ? seg.get(1) : null;
        String rep = url.queryParameter("v");
        boolean purge = url.queryParameter("purge") != null;
        JsonNode body = null;
        if (method.equals("POST")) {
            try {
                body = Json.parse(req.getBodyAsString());
            } catch (IllegalArgumentException e) {
                throw OpenMrsState.error(400, "Could not read JSON: " + e.getMessage(), "org.springframework.http.converter.HttpMessageNotReadableException");
            }
        }
        if (resource.equals("session")) {
            ObjectNode s = Json.object().put("sessionId", "sim-session").put("authenticated", true);
            s.putObject("user").put("uuid", "A4F30A1B-5EB9-11DF-A648-37A07F9C90FB").put("display", USER).put("username", USER);
            return json(200, s);
        }
        switch (resource) {
            case "patient" -> {
                if (seg.size() >= 3 && seg.get(2).equals("identifier")) {
                    OpenMrsState.Person p = state.patient(uuid, false);
                    String idUuid = seg.size() > 3 ? seg.get(3) : null;
                    if (idUuid == null && method.equals("POST")) {
                        return json(201, state.identifierRep(p, state.addIdentifier(p, body), base));
                    }
                    ArrayNode ids = (ArrayNode) state.patientRep(p, base).get("identifiers");
                    if (idUuid == null) return json(200, Json.object().set("results", ids));
                    if (method.equals("DELETE")) {
                        state.deleteIdentifier(p, idUuid, purge);
                        return noContent();
                    }
                    for (JsonNode i : ids) if (i.path("uuid").asText().equals(idUuid)) return json(200, i);
                    throw OpenMrsState.notFound();
                }
                if (uuid == null && method.equals("GET")) {
                    String identifier = url.queryParameter("identifier");
                    String q = url.queryParameter("q");
                    if (identifier == null && q == null) throw searchRequired();
                    List<OpenMrsState.Person> hits = identifier != null ? state.patientsByIdentifier(identifier) : state.patientsMatching(q);
                    return page(hits, p -> rep(rep, state.patientRep(p, base)), url);
                }
                if (uuid == null && method.equals("POST")) return json(201, rep(rep, state.patientRep(state.createPatient(body), base)));
                if (method.equals("GET")) return json(200, rep(rep, state.patientRep(state.patient(uuid, false), base)));
                if (method.equals("POST")) {
                    state.patient(uuid, false);
                    OpenMrsState.Person p = state.updatePerson(uuid, body.has("person") ? body.get("person") : Json.object());
                    return json(200, state.patientRep(p, base));
                }
                if (method.equals("DELETE")) {
                    state.deletePatient(uuid, purge);
                    return noContent();
                }
            }
            case "person" -> {
                if (seg.size() >= 3) return personSub(method, uuid, seg, body, base);
                if (uuid == null && method.equals("POST")) {
                    OpenMrsState.Person p = state.createPerson(body, null);
                    state.persons.put(p.uuid, p);
                    return json(201, state.personRep(p, base));
                }
                if (uuid == null) throw searchRequired();
                OpenMrsState.Person p = state.persons.get(uuid);
                if (p == null) throw OpenMrsState.notFound();
                if (method.equals("GET")) return json(200, rep(rep, state.personRep(p, base)));
                if (method.equals("POST")) return json(200, state.personRep(state.updatePerson(uuid, body), base));
                if (method.equals("DELETE")) {
                    if (purge && p.patient) throw OpenMrsState.server("could not execute statement; Cannot delete or update a parent row: a foreign key constraint fails (`openmrs`.`patient`)");
                    if (purge) state.persons.remove(uuid);
                    else p.voided = true;
                    return noContent();
                }
            }
            case "visit" -> {
                if (uuid == null && method.equals("GET")) {
                    String patient = url.queryParameter("patient");
                    if (patient == null) throw searchRequired();
                    // as VisitResource: an unknown patient is 404, and ended visits are listed unless includeInactive=false
                    if (!state.persons.containsKey(patient) || !state.persons.get(patient).patient) throw OpenMrsState.notFound();
                    String inactiveParam = url.queryParameter("includeInactive");
                    boolean inactive = inactiveParam == null || Boolean.parseBoolean(inactiveParam);
                    List<OpenMrsState.Visit> hits = state.visitsOf(patient).stream()
                            .filter(v -> !v.voided && (inactive || v.stop == null || v.stop.isAfter(OffsetDateTime.now())))
                            .sorted((a, b) -> b.start.compareTo(a.start)).toList();
                    return page(hits, v -> rep(rep, state.visitRep(v, base)), url);
                }
                if (uuid == null && method.equals("POST")) return json(201, state.visitRep(state.createVisit(body), base));
                OpenMrsState.Visit v = state.visits.get(uuid);
                if (v == null) throw OpenMrsState.notFound();
                if (method.equals("GET")) return json(200, rep(rep, state.visitRep(v, base)));
                if (method.equals("POST")) return json(200, state.visitRep(state.updateVisit(uuid, body), base));
                if (method.equals("DELETE")) {
                    state.deleteVisit(uuid, purge);
                    return noContent();
                }
            }
            case "encounter" -> {
                if (uuid == null && method.equals("GET")) {
                    String patient = url.queryParameter("patient");
                    if (patient == null) throw searchRequired();
                    String type = url.queryParameter("encounterType");
                    List<OpenMrsState.Encounter> hits = state.encountersOf(patient).stream()
                            .filter(e -> !e.voided && (type == null || type.equals(e.type)))
                            .sorted((a, b) -> a.datetime.compareTo(b.datetime)).toList();
                    return page(hits, e -> rep(rep, state.encounterRep(e, base)), url);
                }
                if (uuid == null && method.equals("POST")) return json(201, state.encounterRep(state.createEncounter(body), base));
                OpenMrsState.Encounter e = state.encounters.get(uuid);
                if (e == null) throw OpenMrsState.notFound();
                if (method.equals("GET")) return json(200, rep(rep, state.encounterRep(e, base)));
                if (method.equals("DELETE")) {
                    state.deleteEncounter(uuid, purge);
                    return noContent();
                }
            }
            case "obs" -> {
                if (uuid == null && method.equals("GET")) {
                    String patient = url.queryParameter("patient");
                    if (patient == null) throw searchRequired();
                    String concept = url.queryParameter("concept");
                    List<OpenMrsState.Obs> hits = state.obsOf(patient).stream()
                            .filter(o -> !o.voided && (concept == null || concept.equals(o.concept))).toList();
                    return page(hits, o -> rep(rep, state.obsRep(o, base)), url);
                }
                if (uuid == null && method.equals("POST")) return json(201, state.obsRep(state.createObs(body), base));
                OpenMrsState.Obs o = state.obs.get(uuid);
                if (o == null) throw OpenMrsState.notFound();
                if (method.equals("GET")) return json(200, rep(rep, state.obsRep(o, base)));
                if (method.equals("DELETE")) {
                    state.deleteObs(uuid, purge);
                    return noContent();
                }
            }
            case "concept" -> {
                if (uuid == null && method.equals("GET")) {
                    String q = url.queryParameter("q");
                    List<OpenMrsState.Concept> hits = state.concepts.values().stream()
                            .filter(c -> q == null || c.name().toLowerCase(Locale.ROOT).contains(q.toLowerCase(Locale.ROOT))).toList();
                    return page(hits, c -> state.conceptRep(c.uuid(), base), url);
                }
                if (method.equals("GET")) {
                    if (!state.concepts.containsKey(uuid)) throw OpenMrsState.notFound();
                    return json(200, state.conceptRep(uuid, base));
                }
            }
            case "program" -> {
                if (uuid == null && method.equals("GET")) {
                    return page(List.copyOf(rosters.programs.keySet()), p -> rosters.programRep(state, p, base), url);
                }
                if (method.equals("GET")) {
                    if (!rosters.programs.containsKey(uuid)) throw OpenMrsState.notFound();
                    return json(200, rosters.programRep(state, uuid, base));
                }
            }
            case "programenrollment" -> {
                if (uuid == null && method.equals("GET")) {
                    String patient = url.queryParameter("patient");
                    if (patient == null) throw searchRequired();
                    // ProgramEnrollmentResource: an unknown patient is an empty result, not 404
                    return page(rosters.enrollmentsOf(patient), e -> rep(rep, rosters.enrollmentRep(state, e, base)), url);
                }
                if (uuid == null && method.equals("POST")) {
                    String patient = body.path("patient").asText(null);
                    if (patient == null || !state.persons.containsKey(patient)) throw OpenMrsState.invalid(Map.of("patient", "Invalid patient"));
                    String loc = body.path("location").asText(null);
                    ProgramsAndCohorts.Enrollment e = rosters.enroll(patient, body.path("program").asText(""),
                            LocalDate.parse(body.path("dateEnrolled").asText(LocalDate.now(ZoneOffset.UTC).toString()).substring(0, 10)),
                            body.hasNonNull("dateCompleted") ? LocalDate.parse(body.get("dateCompleted").asText().substring(0, 10)) : null, loc);
                    return json(201, rosters.enrollmentRep(state, e, base));
                }
                ProgramsAndCohorts.Enrollment e = rosters.enrollments.get(uuid);
                if (e == null) throw OpenMrsState.notFound();
                if (method.equals("GET")) return json(200, rep(rep, rosters.enrollmentRep(state, e, base)));
            }
            case "cohort" -> {
                if (uuid == null) throw searchRequired();
                ProgramsAndCohorts.Cohort c = rosters.cohort(uuid);
                if (seg.size() >= 3 && seg.get(2).equals("membership") && method.equals("GET")) {
                    return page(c.members, m -> rosters.membershipRep(c, m, base), url);
                }
                if (seg.size() == 2 && method.equals("GET")) return json(200, rep(rep, rosters.cohortRep(state, c, base)));
                if (seg.size() >= 3) throw OpenMrsState.error(404, "Unknown sub-resource: " + seg.get(2), "org.openmrs.module.webservices.rest.web.api.impl.RestServiceImpl:254");
            }
            case "provider" -> {
                if (uuid == null && method.equals("GET")) {
                    // ProviderResource search: identifier or name containing q (letter case ignored), retired ones
                    // only with includeAll
                    String q = url.queryParameter("q");
                    String needle = q == null ? null : q.toLowerCase(Locale.ROOT);
                    List<OpenMrsState.Provider> hits = state.providers.values().stream()
                            .filter(p -> needle == null || (p.identifier() != null && p.identifier().toLowerCase(Locale.ROOT).contains(needle))
                                    || state.metadata.getOrDefault("provider", Map.of()).getOrDefault(p.uuid(), "").toLowerCase(Locale.ROOT).contains(needle))
                            .toList();
                    return page(hits, p -> rep(rep, state.providerRep(p, base)), url);
                }
                if (uuid == null && method.equals("POST")) return json(201, state.providerRep(state.createProvider(body), base));
                OpenMrsState.Provider p = state.providers.get(uuid);
                if (p == null) throw OpenMrsState.notFound();
                if (method.equals("GET")) return json(200, rep(rep, state.providerRep(p, base)));
            }
            default -> {
                if (METADATA.contains(resource) && method.equals("GET")) {
                    Map<String, String> items = state.metadata.getOrDefault(resource, Map.of());
                    if (uuid == null) {
                        String q = url.queryParameter("q");
                        List<Map.Entry<String, String>> hits = items.entrySet().stream()
                                .filter(en -> q == null || en.getValue().toLowerCase(Locale.ROOT).contains(q.toLowerCase(Locale.ROOT))).toList();
                        return page(hits, en -> metaRep(resource, en.getKey(), en.getValue(), base), url);
                    }
                    if (!items.containsKey(uuid)) throw OpenMrsState.notFound();
                    return json(200, metaRep(resource, uuid, items.get(uuid), base));
                }
                throw OpenMrsState.error(404, "Unknown resource: " + resource, "org.openmrs.module.webservices.rest.web.api.impl.RestServiceImpl:254");
            }
        }
        throw OpenMrsState.error(405, "Request method '" + method + "' not supported", "org.springframework.web.HttpRequestMethodNotSupportedException");
    }

    private ObjectNode metaRep(String resource, String uuid, String display, String base) {
        ObjectNode r = state.ref(resource, uuid, display, base);
        r.put("name", display);
        r.put("retired", false);
        return r;
    }

    private ResponseDefinition personSub(String method, String personUuid, List<String> seg, JsonNode body, String base) {
        OpenMrsState.Person p = state.persons.get(personUuid);
        if (p == null) throw OpenMrsState.notFound();
        String sub = seg.get(2);
        String subUuid = seg.size() > 3 ? seg.get(3) : null;
        if (sub.equals("name") && method.equals("POST") && subUuid != null) {
            state.updateName(personUuid, subUuid, body);
            return json(200, state.personRep(p, base).get("preferredName"));
        }
        if (sub.equals("attribute")) {
            if (method.equals("GET")) return json(200, Json.object().set("results", state.personRep(p, base).get("attributes")));
            if (method.equals("POST")) {
                OpenMrsState.Attribute a = state.setAttribute(personUuid, subUuid, body);
                for (JsonNode at : state.personRep(p, base).get("attributes")) {
                    if (at.path("uuid").asText().equals(a.uuid)) return json(subUuid == null ? 201 : 200, at);
                }
                return json(201, Json.object().put("uuid", a.uuid));
            }
            if (method.equals("DELETE") && subUuid != null) {
                boolean removed = p.attributes.removeIf(a -> a.uuid.equals(subUuid));
                if (!removed) throw OpenMrsState.notFound();
                return noContent();
            }
        }
        if (sub.equals("name") && method.equals("GET")) return json(200, Json.object().set("results", state.personRep(p, base).get("names")));
        if (sub.equals("address") && method.equals("GET")) return json(200, Json.object().set("results", state.personRep(p, base).get("addresses")));
        throw OpenMrsState.error(404, "Unknown sub-resource: " + sub, "org.openmrs.module.webservices.rest.web.api.impl.RestServiceImpl:254");
    }

    private static OpenMrsState.Failure searchRequired() {
        return OpenMrsState.error(400, "The search requires a query: pass q or a search handler's parameters",
                "org.openmrs.module.webservices.rest.web.resource.impl.BaseDelegatingResource:448");
    }

    private static JsonNode rep(String v, ObjectNode full) {
        if ("ref".equals(v)) {
            ObjectNode r = Json.object();
            r.set("uuid", full.get("uuid"));
            r.set("display", full.get("display"));
            r.set("links", full.get("links"));
            return r;
        }
        return full;
    }

    private <T> ResponseDefinition page(List<T> hits, Function<T, JsonNode> render, HttpUrl url) {
        int limit = 50;
        int start = 0;
        try {
            if (url.queryParameter("limit") != null) limit = Math.min(100, Math.max(1, Integer.parseInt(url.queryParameter("limit"))));
            if (url.queryParameter("startIndex") != null) start = Math.max(0, Integer.parseInt(url.queryParameter("startIndex")));
        } catch (NumberFormatException e) {
            throw OpenMrsState.error(400, "limit and startIndex must be numbers", "java.lang.NumberFormatException");
        }
        ObjectNode out = Json.object();
        ArrayNode results = out.putArray("results");
        for (int i = start; i < Math.min(hits.size(), start + limit); i++) results.add(render.apply(hits.get(i)));
        ArrayNode links = Json.array();
        if (start + limit < hits.size()) {
            links.addObject().put("rel", "next").put("uri", url.newBuilder().setQueryParameter("startIndex", String.valueOf(start + limit)).build().toString());
        }
        if (start > 0) {
            links.addObject().put("rel", "prev").put("uri", url.newBuilder().setQueryParameter("startIndex", String.valueOf(Math.max(0, start - limit))).build().toString());
        }
        if (!links.isEmpty()) out.set("links", links);
        return json(200, out);
    }

    // ------------------------------------------------------------------ atom feed

    private ResponseDefinition feed(List<String> seg, HttpUrl url, String base) {
        // /openmrs/ws/atomfeed/{category}/{recent|n}
        if (seg.size() != 5) return text(404, "Not Found");
        String category = seg.get(3);
        if (!category.equals("patient") && !category.equals("encounter")) {
            return text(500, "org.ict4h.atomfeed.server.exceptions.AtomFeedRuntimeException: feed does not exist");
        }
        List<OpenMrsState.FeedEvent> events = state.feed(category);
        int size = feedPageSize;
        int last = Math.max(1, (events.size() + size - 1) / size);
        int n;
        if (seg.get(4).equals("recent")) {
            n = last;
        } else {
            try {
                n = Integer.parseInt(seg.get(4));
            } catch (NumberFormatException e) {
                return text(500, "org.ict4h.atomfeed.server.exceptions.AtomFeedRuntimeException: feedId must not be null and must be greater than 0");
            }
            if (n <= 0) return text(500, "org.ict4h.atomfeed.server.exceptions.AtomFeedRuntimeException: feedId must not be null and must be greater than 0");
            if (n > last) return text(500, "org.ict4h.atomfeed.server.exceptions.AtomFeedRuntimeException: feed does not exist");
        }
        List<OpenMrsState.FeedEvent> onPage = events.subList(Math.min(events.size(), (n - 1) * size), Math.min(events.size(), n * size));
        String feedBase = base + "/ws/atomfeed/" + category + "/";
        DateTimeFormatter iso = DateTimeFormatter.ISO_INSTANT;
        Instant updated = onPage.isEmpty() ? Instant.EPOCH : onPage.get(onPage.size() - 1).at();
        StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.append("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
        x.append("  <title>").append(category.equals("patient") ? "Patient AOP" : "Encounter AOP").append("</title>\n");
        x.append("  <link rel=\"self\" type=\"application/atom+xml\" href=\"").append(esc(url.toString())).append("\" />\n");
        x.append("  <link rel=\"via\" type=\"application/atom+xml\" href=\"").append(feedBase).append(n).append("\" />\n");
        if (n > 1) x.append("  <link rel=\"prev-archive\" type=\"application/atom+xml\" href=\"").append(feedBase).append(n - 1).append("\" />\n");
        if (n < last) x.append("  <link rel=\"next-archive\" type=\"application/atom+xml\" href=\"").append(feedBase).append(n + 1).append("\" />\n");
        x.append("  <author><name>OpenMRS</name></author>\n");
        x.append("  <id>bec795b1-3d17-451d-b43e-a094019f6984+").append(n).append("</id>\n");
        x.append("  <generator uri=\"https://github.com/ICT4H/atomfeed\">OpenMRS Feed Publisher</generator>\n");
        x.append("  <updated>").append(iso.format(updated.truncatedTo(ChronoUnit.SECONDS))).append("</updated>\n");
        for (OpenMrsState.FeedEvent e : onPage) {
            String when = iso.format(e.at().truncatedTo(ChronoUnit.MILLIS));
            x.append("  <entry>\n");
            x.append("    <title>").append(e.title()).append("</title>\n");
            x.append("    <category term=\"").append(category.equals("patient") ? "patient" : "Encounter").append("\" />\n");
            String content;
            if (feedStyle == FeedStyle.GENERIC) {
                x.append("    <category term=\"").append(e.action()).append("\" />\n");
                String resource = category.equals("patient") ? "patient" : "encounter";
                String fhir = category.equals("patient") ? "Patient" : "Encounter";
                content = "{\"rest\":\"/ws/rest/v1/" + resource + "/" + e.resourceUuid() + "?v=full\",\"fhir\":\"/ws/fhir2/R4/" + fhir + "/" + e.resourceUuid() + "\"}";
            } else {
                content = category.equals("patient")
                        ? CONTEXT + "/ws/rest/v1/patient/" + e.resourceUuid() + "?v=full"
                        : String.format(encounterFeedTemplate, e.resourceUuid());
            }
            x.append("    <id>tag:atomfeed.ict4h.org:").append(e.id()).append("</id>\n");
            x.append("    <updated>").append(when).append("</updated>\n");
            x.append("    <published>").append(when).append("</published>\n");
            x.append("    <content type=\"application/vnd.atomfeed+xml\"><![CDATA[").append(content).append("]]></content>\n");
            x.append("  </entry>\n");
        }
        x.append("</feed>\n");
        return ResponseDefinitionBuilder.responseDefinition().withStatus(200)
                .withHeader("Content-Type", "application/atom+xml;charset=UTF-8").withBody(x.toString()).build();
    }

    private static String esc(String s) { return s.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;"); }

    // ------------------------------------------------------------------ responses

    private static ResponseDefinition json(int status, JsonNode body) {
        return ResponseDefinitionBuilder.responseDefinition().withStatus(status)
                .withHeader("Content-Type", "application/json;charset=UTF-8").withBody(Json.write(body)).build();
    }

    private static ResponseDefinition noContent() {
        return ResponseDefinitionBuilder.responseDefinition().withStatus(204).build();
    }

    private static ResponseDefinition text(int status, String body) {
        return ResponseDefinitionBuilder.responseDefinition().withStatus(status)
                .withHeader("Content-Type", "text/html;charset=UTF-8")
                .withBody("<html><body><h1>HTTP Status " + status + "</h1><p>" + body + "</p></body></html>").build();
    }

    /** A fresh random uuid (handy for tests). */
    public static String newUuid() { return UUID.randomUUID().toString(); }

    /** Today at noon UTC (a safe encounter time inside a same-day visit). */
    public static OffsetDateTime todayNoon() { return LocalDate.now(ZoneOffset.UTC).atTime(12, 0).atOffset(ZoneOffset.UTC); }
}
