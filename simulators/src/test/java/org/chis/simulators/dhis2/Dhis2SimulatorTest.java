package org.chis.simulators.dhis2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.dhis2.DataValue;
import org.chis.common.systems.dhis2.DataValueSetBody;
import org.chis.common.systems.dhis2.Dhis2Client;
import org.chis.common.systems.dhis2.ImportSummary;
import org.chis.common.systems.dhis2.TrackerPage;
import org.chis.common.systems.dhis2.TrackerReport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The DHIS2 simulator answers like the releases it plays, read through the suite's own Dhis2Client. */
class Dhis2SimulatorTest {
    static Dhis2Simulator sim;
    static Dhis2Client client;
    static final TransactionContext tx = new TransactionContext("test");

    @BeforeAll
    static void start() {
        sim = new Dhis2Simulator(0);
        client = client(Map.of("dhis2.user", Dhis2Simulator.USER, "dhis2.password", Dhis2Simulator.PASSWORD));
    }

    static Dhis2Client client(Map<String, String> auth) {
        Map<String, String> m = new HashMap<>(auth);
        m.put("dhis2.url", sim.baseUrl());
        return Dhis2Client.fromSettings(new RecordingHttpClient(new OkHttpClient()), Settings.of(m));
    }

    @AfterAll
    static void stop() { sim.close(); }

    @BeforeEach
    void reset() { sim.reset(); sim.today(LocalDate.of(2024, 3, 15)); }

    static DataValueSetBody set(DataValue... values) {
        return new DataValueSetBody("QX4ZTUbOt3a", null, null, null, null, List.of(values));
    }

    static DataValue dv(String de, String pe, String ou, String value) { return new DataValue(de, pe, ou, null, null, value, null); }

    @ParameterizedTest
    @ValueSource(strings = {"2.37.9", "2.39.1", "2.41.0"})
    void cleanImportThenResendUpdates(String version) {
        sim.version(version);
        ImportSummary first = client.postDataValueSet(tx, "t", set(dv("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "12"),
                dv("cYeuwXTCPkU", "202402", "DiszpKrYNg8", "7")), false, null);
        assertThat(first.httpStatus()).isEqualTo(200);
        assertThat(first.status()).isEqualTo("SUCCESS");
        assertThat(first.imported()).isEqualTo(2);
        ImportSummary again = client.postDataValueSet(tx, "t", set(dv("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "13")), false, null);
        assertThat(again.updated()).isEqualTo(1);
        assertThat(sim.dataValue("fbfJHSPpUQD", "202402", "DiszpKrYNg8")).hasValue("13");
        assertThat(sim.dataValueCount()).isEqualTo(2);
    }

    @Test
    void conflictsBefore238AreABareSummaryWith200() {
        sim.version("2.37.9");
        ImportSummary s = client.postDataValueSet(tx, "t", set(dv("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "1"),
                dv("fbfJHSPpUQD", "202406", "DiszpKrYNg8", "2"), dv("fbfJHSPpUQD", "202402", "nowhere0000", "3")), false, null);
        assertThat(s.httpStatus()).isEqualTo(200);
        assertThat(s.status()).isEqualTo("WARNING");
        assertThat(s.imported()).isEqualTo(1);
        assertThat(s.ignored()).isEqualTo(2);
        assertThat(s.conflicts()).extracting(ImportSummary.Conflict::object).containsExactlyInAnyOrder("202406", "nowhere0000");
        assertThat(s.conflicts()).allSatisfy(c -> assertThat(c.indexes()).isEmpty());
    }

    @Test
    void conflictsFrom238AreWrappedWith409AndIndexes() {
        sim.version("2.39.1");
        ImportSummary s = client.postDataValueSet(tx, "t", set(dv("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "1"),
                dv("fbfJHSPpUQD", "202406", "DiszpKrYNg8", "2"), dv("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "-4")), false, null);
        assertThat(s.httpStatus()).isEqualTo(409);
        assertThat(s.status()).isEqualTo("WARNING");
        assertThat(s.imported()).isEqualTo(1);
        assertThat(s.conflicts()).extracting(ImportSummary.Conflict::errorCode).containsExactlyInAnyOrder("E7641", "E7619");
        assertThat(s.conflicts()).flatExtracting(ImportSummary.Conflict::indexes).containsExactlyInAnyOrder(1, 2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2.37.9", "2.40.4"})
    void unknownDataSetIsATotalRejection(String version) {
        sim.version(version);
        ImportSummary s = client.postDataValueSet(tx, "t", new DataValueSetBody("nosuchset00", null, null, null, null,
                List.of(dv("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "1"))), false, null);
        assertThat(s.rejectedAll()).isTrue();
        assertThat(s.httpStatus()).isEqualTo(version.startsWith("2.37") ? 200 : 409);
        assertThat(sim.dataValueCount()).isZero();
    }

    @Test
    void dryRunCountsButStoresNothing() {
        ImportSummary s = client.postDataValueSet(tx, "t", set(dv("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "1")), true, null);
        assertThat(s.imported()).isEqualTo(1);
        assertThat(sim.dataValueCount()).isZero();
        assertThat(sim.valuesReceived()).isEqualTo(1);
    }

    @Test
    void badCredentialsTokenAndServerErrors() {
        assertThatThrownBy(() -> client(Map.of("dhis2.user", "admin", "dhis2.password", "wrong")).postDataValueSet(tx, "t",
                set(dv("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "1")), false, null))
                .isInstanceOf(UpstreamException.class).hasMessageContaining("401");
        ImportSummary viaToken = client(Map.of("dhis2.token", Dhis2Simulator.TOKEN)).postDataValueSet(tx, "t",
                set(dv("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "1")), false, null);
        assertThat(viaToken.imported()).isEqualTo(1);
        sim.failNext("POST", "/api/dataValueSets", 500, null);
        assertThatThrownBy(() -> client.postDataValueSet(tx, "t", set(dv("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "1")), false, null))
                .isInstanceOf(UpstreamException.class).hasMessageContaining("500");
        assertThat(client.postDataValueSet(tx, "t", set(dv("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "1")), false, null).updated()).isEqualTo(1);
    }

    static ObjectNode bundle(String te, String en, String ev, String orgUnit) {
        ObjectNode b = Json.object();
        ObjectNode t = b.putArray("trackedEntities").addObject().put("trackedEntity", te).put("trackedEntityType", "nEenWmSyUEp").put("orgUnit", orgUnit);
        t.putArray("attributes").addObject().put("attribute", "w75KJ2mc4zz").put("value", "Amina");
        ObjectNode e = t.putArray("enrollments").addObject().put("enrollment", en).put("program", "IpHINAT79UW").put("orgUnit", orgUnit)
                .put("enrolledAt", "2024-03-01").put("occurredAt", "2024-03-01");
        e.putArray("events").addObject().put("event", ev).put("programStage", "A03MvHHogjR").put("orgUnit", orgUnit)
                .put("occurredAt", "2024-03-02").putArray("dataValues").addObject().put("dataElement", "UXz7xuGCEhU").put("value", "3.4");
        return b;
    }

    @Test
    void trackerCreatesThenUpdatesTheSameUids() {
        TrackerReport r = client.importTracker(tx, "t", bundle("teAAAAAAAA1", "enAAAAAAAA1", "evAAAAAAAA1", "DiszpKrYNg8"), "CREATE_AND_UPDATE", "ALL");
        assertThat(r.ok()).isTrue();
        assertThat(r.created()).isEqualTo(3);
        TrackerReport again = client.importTracker(tx, "t", bundle("teAAAAAAAA1", "enAAAAAAAA1", "evAAAAAAAA1", "DiszpKrYNg8"), "CREATE_AND_UPDATE", "ALL");
        assertThat(again.updated()).isEqualTo(3);
        assertThat(sim.trackedEntities()).hasSize(1);
        assertThat(sim.events()).hasSize(1);
        assertThat(sim.events().get(0).path("trackedEntity").asText()).isEqualTo("teAAAAAAAA1");
    }

    @Test
    void trackerValidationErrorsAre409PerObjectAndAtomic() {
        TrackerReport r = client.importTracker(tx, "t", bundle("teAAAAAAAA2", "enAAAAAAAA2", "evAAAAAAAA2", "nowhere0000"), "CREATE_AND_UPDATE", "ALL");
        assertThat(r.httpStatus()).isEqualTo(409);
        assertThat(r.ok()).isFalse();
        assertThat(r.errors()).extracting(TrackerReport.ObjectReport::errorCode).containsOnly("E1049");
        assertThat(r.errors()).extracting(TrackerReport.ObjectReport::trackerType).containsExactlyInAnyOrder("TRACKED_ENTITY", "ENROLLMENT", "EVENT");
        assertThat(sim.trackedEntities()).isEmpty();
        TrackerReport create = client.importTracker(tx, "t", bundle("teAAAAAAAA3", "enAAAAAAAA3", "evAAAAAAAA3", "DiszpKrYNg8"), "CREATE", "ALL");
        assertThat(create.ok()).isTrue();
        TrackerReport dup = client.importTracker(tx, "t", bundle("teAAAAAAAA3", "enAAAAAAAA3", "evAAAAAAAA3", "DiszpKrYNg8"), "CREATE", "ALL");
        assertThat(dup.errors()).extracting(TrackerReport.ObjectReport::errorCode).contains("E1002");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2.40.4", "2.41.0"})
    void exportsPageInBothShapesAndFilterByUpdatedAfter(String version) {
        sim.version(version);
        List<String> uids = new ArrayList<>();
        for (int i = 0; i < 5; i++) uids.add(sim.saveTrackedEntity(null, "DiszpKrYNg8", "nEenWmSyUEp", Map.of("w75KJ2mc4zz", "p" + i), "clerk"));
        Map<String, String> q = Map.of("trackedEntityType", "nEenWmSyUEp", "orgUnit", "ImspTQPwCqd", "ouMode", "DESCENDANTS");
        List<String> seen = new ArrayList<>();
        int page = 1;
        TrackerPage p;
        do {
            p = client.exportPage(tx, "t", "trackedEntities", q, page++, 2);
            p.items().forEach(n -> seen.add(n.path("trackedEntity").asText()));
        } while (p.hasNext() && page < 10);
        assertThat(seen).containsExactlyElementsOf(uids);
        String third = sim.trackedEntity(uids.get(2)).orElseThrow().path("updatedAt").asText();
        Map<String, String> since = new HashMap<>(q);
        since.put("updatedAfter", third);
        assertThat(client.exportPage(tx, "t", "trackedEntities", since, 1, 50).items()).extracting(n -> n.path("trackedEntity").asText())
                .containsExactlyElementsOf(uids.subList(2, 5));
        JsonNode edited = sim.trackedEntity(uids.get(0)).orElseThrow();
        assertThat(edited.path("updatedBy").path("username").asText()).isEqualTo("clerk");
    }

    /** A tracked entity search by attribute (what a client does before creating one), in the 2.40 and 2.41 shapes. */
    @ParameterizedTest
    @ValueSource(strings = {"2.40.4", "2.41.0"})
    void trackedEntitiesFilterByAttributeFindsThePersonInTheAccessibleScope(String version) {
        sim.version(version);
        String amina = sim.saveTrackedEntity(null, "g8upMTyEZGZ", "nEenWmSyUEp", Map.of("lZGmxYbs97q", "SL-77", "w75KJ2mc4zz", "Amina"), "clerk");
        sim.saveTrackedEntity(null, "DiszpKrYNg8", "nEenWmSyUEp", Map.of("lZGmxYbs97q", "SL-78"), "clerk");
        Map<String, String> q = new HashMap<>(Map.of("trackedEntityType", "nEenWmSyUEp", "ouMode", "ACCESSIBLE", "filter", "lZGmxYbs97q:EQ:sl-77"));
        assertThat(client.exportPage(tx, "t", "trackedEntities", q, 1, 2).items()).extracting(n -> n.path("trackedEntity").asText())
                .containsExactly(amina); // values compare case-insensitively
        q.put("filter", "lZGmxYbs97q:eq:SL-79");
        assertThat(client.exportPage(tx, "t", "trackedEntities", q, 1, 2).items()).isEmpty();
        q.put("orgUnit", "DiszpKrYNg8");
        var r = client.get(tx, "t", "tracker/trackedEntities", q);
        if (version.startsWith("2.41")) {
            // OperationsParamsValidator.validateOrgUnitMode: ACCESSIBLE is the user's whole search scope
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.json().path("message").asText())
                    .isEqualTo("orgUnitMode ACCESSIBLE cannot be used with orgUnits. Please remove the orgUnit parameter and try again.");
        } else {
            assertThat(r.status()).isEqualTo(200);
        }
    }

    /** ValidationCode E1064 (2.38+ wording): a second tracked entity with a unique attribute's value is refused, nothing written. */
    @Test
    void aDuplicateValueOfAUniqueAttributeIsE1064AndNothingIsWritten() throws Exception {
        sim.saveTrackedEntity("teUnique001", "DiszpKrYNg8", "nEenWmSyUEp", Map.of("lZGmxYbs97q", "SL-90"), "clerk");
        JsonNode r = rawPost("/api/tracker?async=false&importStrategy=CREATE_AND_UPDATE&atomicMode=ALL", """
                {"trackedEntities": [{"trackedEntity": "teUnique002", "trackedEntityType": "nEenWmSyUEp", "orgUnit": "DiszpKrYNg8",
                  "attributes": [{"attribute": "lZGmxYbs97q", "value": "SL-90"}]}]}""", 409);
        assertThat(r.path("status").asText()).isEqualTo("ERROR");
        assertThat(r.has("bundleReport")).isFalse();
        JsonNode e = r.path("validationReport").path("errorReports").get(0);
        assertThat(e.path("errorCode").asText()).isEqualTo("E1064");
        assertThat(e.path("trackerType").asText()).isEqualTo("TRACKED_ENTITY");
        assertThat(e.path("uid").asText()).isEqualTo("teUnique002");
        assertThat(e.path("message").asText()).isEqualTo("Non-unique attribute value `SL-90` for attribute `lZGmxYbs97q`");
        assertThat(r.path("stats").path("ignored").asInt()).isEqualTo(1);
        assertThat(sim.trackedEntities()).hasSize(1);
    }

    /** Program type WITHOUT_REGISTRATION: events stand alone; an enrollment into it is E1014; a registration program's event needs one (E1033). */
    @Test
    void eventProgramEventsNeedNoEnrollmentAndRefuseOne() throws Exception {
        TrackerReport ok = client.importTracker(tx, "t", Json.parse("""
                {"events": [{"event": "evNoReg0001", "program": "eBAyeGv0exc", "programStage": "Zj7UnCAulEk", "orgUnit": "DiszpKrYNg8",
                  "occurredAt": "2024-03-01", "status": "COMPLETED", "dataValues": [{"dataElement": "qrur9Dvnyt5", "value": "34"}]}]}"""),
                "CREATE_AND_UPDATE", "ALL");
        assertThat(ok.ok()).isTrue();
        assertThat(ok.created()).isEqualTo(1);
        TrackerReport enrol = client.importTracker(tx, "t", Json.parse("""
                {"enrollments": [{"enrollment": "enNoReg0001", "trackedEntity": "teNoReg0001", "program": "eBAyeGv0exc",
                  "orgUnit": "DiszpKrYNg8", "enrolledAt": "2024-03-01"}]}"""), "CREATE_AND_UPDATE", "ALL");
        assertThat(enrol.errors()).extracting(TrackerReport.ObjectReport::errorCode).containsExactly("E1014");
        TrackerReport withoutEnrollment = client.importTracker(tx, "t", Json.parse("""
                {"events": [{"event": "evNoReg0002", "program": "IpHINAT79UW", "programStage": "A03MvHHogjR", "orgUnit": "DiszpKrYNg8",
                  "occurredAt": "2024-03-01"}]}"""), "CREATE_AND_UPDATE", "ALL");
        assertThat(withoutEnrollment.errors()).extracting(TrackerReport.ObjectReport::errorCode).containsExactly("E1033");
        assertThat(sim.events()).hasSize(1);
    }

    static JsonNode rawPost(String path, String body, int expectedStatus) throws Exception {
        var req = HttpRequest.newBuilder(URI.create(sim.baseUrl() + path))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("admin:district".getBytes()))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        var r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(expectedStatus);
        return Json.parse(r.body());
    }

    /** Audit against DHIS2 core (ImportConflict.createConflict, DataValueImportConflict, ErrorCode): 2.38+ conflict fields. */
    @Test
    void conflictsFrom238CarryObjectsByTypeAndGroupByCodeAndAllObjects() throws Exception {
        sim.version("2.40.4");
        JsonNode m = rawPost("/api/dataValueSets", """
                {"dataSet":"QX4ZTUbOt3a","dataValues":[
                 {"dataElement":"fbfJHSPpUQD","period":"202406","orgUnit":"DiszpKrYNg8","value":"1"},
                 {"dataElement":"cYeuwXTCPkU","period":"202406","orgUnit":"DiszpKrYNg8","value":"2"},
                 {"dataElement":"fbfJHSPpUQD","period":"202402","orgUnit":"nowhere0000","value":"3"},
                 {"dataElement":"fbfJHSPpUQD","period":"202402","orgUnit":"DiszpKrYNg8","value":""},
                 {"dataElement":"cYeuwXTCPkU","period":"202402","orgUnit":"DiszpKrYNg8","value":"-1"}]}""", 409);
        assertThat(m.path("status").asText()).isEqualTo("WARNING");
        assertThat(m.path("message").asText()).isEqualTo("One more conflicts encountered, please check import summary.");
        JsonNode conflicts = m.path("response").path("conflicts");
        Map<String, JsonNode> byKey = new LinkedHashMap<>();
        conflicts.forEach(c -> byKey.put(c.path("errorCode").asText() + "@" + c.path("indexes").toString(), c));
        // one E7641 per data element: the grouping key holds the period and the data element
        assertThat(byKey).containsOnlyKeys("E7641@[0]", "E7641@[1]", "E7612@[2]", "E7618@[3]", "E7619@[4]");
        JsonNode future = byKey.get("E7641@[0]");
        assertThat(future.path("objects")).isEqualTo(Json.parse("{\"period\":\"202406\",\"dataElement\":\"fbfJHSPpUQD\"}"));
        assertThat(future.path("object").asText()).isEqualTo("202406");
        assertThat(future.path("property").asText()).isEqualTo("period");
        JsonNode orgUnit = byKey.get("E7612@[2]");
        assertThat(orgUnit.path("objects")).isEqualTo(Json.parse("{\"organisationUnit\":\"nowhere0000\"}"));
        assertThat(orgUnit.path("property").asText()).isEqualTo("orgUnit");
        JsonNode empty = byKey.get("E7618@[3]");
        assertThat(empty.path("value").asText()).isEqualTo("Data value or comment not specified for data element: `fbfJHSPpUQD`");
        assertThat(byKey.get("E7619@[4]").path("objects")).isEqualTo(Json.parse(
                "{\"dataElement\":\"cYeuwXTCPkU\",\"value\":\"value_not_zero_or_positive_integer\"}"));
        assertThat(m.path("response").path("rejectedIndexes").toString()).isEqualTo("[0,1,2,3,4]");
    }

    @Test
    void unknownDataSetFrom238NamesItInAnE7600Conflict() throws Exception {
        sim.version("2.39.1");
        JsonNode m = rawPost("/api/dataValueSets", "{\"dataSet\":\"nosuchset00\",\"dataValues\":[]}", 409);
        assertThat(m.path("status").asText()).isEqualTo("ERROR");
        assertThat(m.path("message").asText()).isEqualTo("An error occurred, please check import summary.");
        JsonNode c = m.path("response").path("conflicts").get(0);
        assertThat(c.path("value").asText()).isEqualTo("Data set not found or not accessible: `nosuchset00`");
        assertThat(c.path("objects")).isEqualTo(Json.parse("{\"dataSet\":\"nosuchset00\"}"));
        assertThat(c.path("property").asText()).isEqualTo("dataSet");
    }

    /** ImportReport.withValidationErrors (atomic ALL): status ERROR, every object ignored, no bundleReport. */
    @Test
    void trackerValidationFailureHasNoBundleReport() throws Exception {
        JsonNode r = rawPost("/api/tracker?async=false&importStrategy=CREATE_AND_UPDATE",
                Json.write(bundle("teAAAAAAAA4", "enAAAAAAAA4", "evAAAAAAAA4", "nowhere0000")), 409);
        assertThat(r.path("status").asText()).isEqualTo("ERROR");
        assertThat(r.has("bundleReport")).isFalse();
        assertThat(r.path("stats").path("ignored").asInt()).isEqualTo(3);
        assertThat(r.path("validationReport").path("errorReports")).hasSize(3);
        JsonNode ok = rawPost("/api/tracker?async=false&importStrategy=CREATE_AND_UPDATE",
                Json.write(bundle("teAAAAAAAA5", "enAAAAAAAA5", "evAAAAAAAA5", "DiszpKrYNg8")), 200);
        assertThat(ok.path("bundleReport").path("typeReportMap").path("EVENT").path("stats").path("created").asInt()).isEqualTo(1);
    }

    /**
     * DHIS2BasicAuthenticationEntryPoint: wrong Basic credentials are a 401 WebMessage "Unauthorized" (no WWW-Authenticate
     * challenge); no credentials at all is a redirect to the login page (HTML), not a 401.
     */
    @Test
    void wrongCredentialsAreA401WebMessageAndNoneARedirectToTheLoginPage() throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/api/system/info"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("admin:wrong".getBytes())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(Json.parse(wrong.body())).isEqualTo(Json.parse(
                "{\"httpStatus\":\"Unauthorized\",\"httpStatusCode\":401,\"status\":\"ERROR\",\"message\":\"Unauthorized\"}"));
        assertThat(wrong.headers().firstValue("WWW-Authenticate")).isEmpty();
        HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/api/system/info")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(302);
        assertThat(none.headers().firstValue("Location")).hasValue(sim.baseUrl() + "/dhis-web-commons/security/login.action");
        HttpResponse<String> login = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build()
                .send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/api/dataValueSets")).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).isEqualTo(200);
        assertThat(login.body()).contains("loginForm");
    }
}
