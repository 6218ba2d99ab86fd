package org.chis.mediator.commcareopenmrs.tracing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.store.StateStore;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.mediator.commcareopenmrs.forms.Forms;
import org.chis.simulators.fhir.FhirSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.opensrp.OpenSrpSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tracing to OpenSRP (trace Tasks, outcomes back through {@code /rest/task/update_status} and the task sync) and the
 * FHIR Appointment no-show rule, through the whole mediator against the OpenMRS, OpenSRP and FHIR simulators with the
 * shipped {@code tracing.json} and {@code forms/opensrp-trace-outcome.json}.
 */
class TracingOpenSrpFhirTest {
    static final Path CONFIG = TracingTest.CONFIG;
    static final String OPENMRS_ID_SYSTEM = "http://moh.example.org/fhir/openmrs-id";
    static OpenMrsSimulator openmrs;
    static OpenSrpSimulator opensrp;
    static FhirSimulator fhir;

    @TempDir
    Path dir;
    MediatorApp app;
    String db;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startSimulators() {
        openmrs = new OpenMrsSimulator(0);
        opensrp = new OpenSrpSimulator(0);
        fhir = new FhirSimulator(0);
    }

    @AfterAll
    static void stopSimulators() {
        openmrs.close();
        opensrp.close();
        fhir.close();
    }

    @BeforeEach
    void reset() {
        openmrs.reset();
        opensrp.reset();
        fhir.reset();
        db = "jdbc:h2:mem:tracing-opensrp-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    }

    @AfterEach
    void stop() {
        if (app != null) app.close();
    }

    void start(String rulesFile) {
        Map<String, String> s = MediatorTestSettings.standalone(db)
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                // the forms workflow needs CommCare settings; nothing here talks to CommCare
                .commCare("http://127.0.0.1:1", "chis", "unused", "unused")
                .map();
        s.put("tracing.enabled", "true");
        s.put("tracing.targets", "opensrp");
        s.put("tracing.rules", rulesFile);
        s.put("opensrp.url", opensrp.baseUrl());
        s.put("opensrp.user", OpenSrpSimulator.USER);
        s.put("opensrp.password", OpenSrpSimulator.PASSWORD);
        s.put("fhir.url", fhir.baseUrl());
        app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(s, CONFIG)));
    }

    @Test
    void anOverduePatientGetsOneOpensrpTaskAndTheChwsOutcomeComesBackAsOneTracingEncounter() throws Exception {
        start("tracing.json");
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        String overdue = patient("Achieng", "Odhiambo", "100-1");
        openmrs.recordEncounter(overdue, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, now.minusDays(45), Map.of());
        String notDue = patient("Baraka", "Mwangi", "100-2");
        openmrs.recordEncounter(notDue, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, now.minusDays(5), Map.of());
        link("be-achieng", overdue);
        link("be-baraka", notDue);

        JsonNode first = poll();
        assertThat(first.path("tasksCreated").asInt()).as(Json.write(first)).isEqualTo(1);
        assertThat(opensrp.tasks()).hasSize(1);
        ObjectNode task = opensrp.tasks().get(0);
        assertThat(task.path("for").asText()).isEqualTo("be-achieng");
        assertThat(task.path("status").asText()).isEqualTo("Ready");
        assertThat(task.path("businessStatus").asText()).isEqualTo("Not Visited");
        assertThat(task.path("planIdentifier").asText()).isEqualTo("chis-ltfu-tracing");
        assertThat(task.path("groupIdentifier").asText()).isEqualTo("amani-clinic");
        assertThat(task.path("code").asText()).isEqualTo("LTFU Trace");
        assertThat(task.path("owner").asText()).isEqualTo("chw1");
        long version = task.path("serverVersion").asLong();

        assertThat(poll().path("tasksCreated").asInt()).isZero();
        // the ledger lost: the derived identifier finds the task in OpenSRP, which is left as it is
        sql("DELETE FROM ledger WHERE source_key LIKE 'trace-task:%'");
        assertThat(poll().path("tasksCreated").asInt()).isEqualTo(1);
        assertThat(opensrp.tasks()).hasSize(1);
        assertThat(opensrp.tasks().get(0).path("serverVersion").asLong()).isEqualTo(version);

        JsonNode nothingYet = outcomes();
        assertThat(nothingYet.path("written")).isEmpty();
        assertThat(tracingEncounters(overdue)).isEmpty();

        // the CHW's app: traced, she moved (as OpenSRP apps do: update_status, the outcome in businessStatus)
        HttpResponse<String> updated = updateStatus(task.path("identifier").asText(), "Completed", "Moved");
        assertThat(updated.statusCode()).as(updated.body()).isBetween(200, 201);
        JsonNode pulled = outcomes();
        assertThat(pulled.path("written")).as(Json.write(pulled)).hasSize(1);
        assertThat(tracingEncounters(overdue)).hasSize(1);
        List<JsonNode> obs = openmrs.observations().stream().filter(o -> !o.path("voided").asBoolean())
                .filter(o -> o.path("concept").path("uuid").asText().equals(OpenMrsSimulator.CONCEPT_TRACE_OUTCOME)).toList();
        assertThat(obs).hasSize(1);
        assertThat(Json.write(obs.get(0).path("value"))).contains(OpenMrsSimulator.CONCEPT_TRACE_MOVED);

        assertThat(outcomes().path("written")).isEmpty();
        // the marker lost: the task is read again, its outcome is the same event (derived formSubmissionId), nothing twice
        sql("DELETE FROM feed_marker WHERE feed = 'opensrp:trace-tasks'");
        JsonNode reread = outcomes();
        assertThat(reread.path("written")).isEmpty();
        assertThat(reread.path("unchanged").asInt()).isEqualTo(1);
        assertThat(tracingEncounters(overdue)).hasSize(1);
        // the traced missed visit stays one task
        assertThat(poll().path("tasksCreated").asInt()).isZero();
        assertThat(opensrp.tasks()).hasSize(1);
    }

    @Test
    void opensrpFailingLeavesTheTaskAndTheOutcomeToTheNextPoll() throws Exception {
        start("tracing.json");
        String overdue = patient("Achieng", "Odhiambo", "100-1");
        openmrs.recordEncounter(overdue, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, OffsetDateTime.now(ZoneOffset.UTC).minusDays(45), Map.of());
        link("be-achieng", overdue);
        opensrp.wireMock().stubFor(post(urlPathEqualTo("/opensrp/rest/task/add")).atPriority(1)
                .willReturn(aResponse().withStatus(500).withBody("Internal Server Error")));
        assertThat(poll().path("failed").asInt()).isEqualTo(1);
        assertThat(opensrp.tasks()).isEmpty();
        // TaskResource's 201 for a task it could not save names it: a failure too, the task is tried again
        opensrp.reset();
        opensrp.wireMock().stubFor(post(urlPathEqualTo("/opensrp/rest/task/add")).atPriority(1)
                .willReturn(aResponse().withStatus(201).withBody("Tasks with identifiers not processed: x")));
        JsonNode unsaved = poll();
        assertThat(unsaved.path("failed").asInt()).isEqualTo(1);
        assertThat(Json.write(unsaved.path("errors"))).contains("not processed");
        opensrp.reset();
        // an unknown identifier is answered 200 "null" by TaskResource: not a task, so it is added
        opensrp.wireMock().stubFor(get(urlPathMatching("/opensrp/rest/task/[^/]+")).atPriority(1)
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody("null")));
        assertThat(poll().path("tasksCreated").asInt()).isEqualTo(1);
        assertThat(opensrp.tasks()).hasSize(1);
        assertThat(poll().path("tasksCreated").asInt()).isZero();
    }

    @Test
    void aFhirAppointmentNoShowMakesOneTraceTaskUnlessOldKeptOrFollowedByAVisit() throws Exception {
        Path rules = dir.resolve("tracing.json");
        ObjectNode doc = (ObjectNode) Json.parse(Files.readString(CONFIG.resolve("tracing.json")));
        doc.putArray("rules").add(Json.parse("""
                {"name": "missed-appointment", "label": "Missed appointment", "kind": "appointment-noshow",
                 "expect": ["%s"], "days": 30}""".formatted(OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE)))
                .add(Json.parse("""
                {"name": "missed-appointment-by-id", "label": "Missed appointment", "kind": "appointment-noshow",
                 "identifierSystem": "%s", "days": 30}""".formatted(OPENMRS_ID_SYSTEM)));
        Files.writeString(rules, Json.write(doc));
        start(rules.toString());
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        // OpenMRS's FHIR module: the Patient id is the OpenMRS uuid
        String missed = patient("Achieng", "Odhiambo", "100-1");
        appointment("a-1", "noshow", now.minusDays(10), "Patient/" + missed);
        // another FHIR server's Patient, known to OpenMRS by its identifier
        String byId = patient("Baraka", "Mwangi", "100-2");
        fhir.put((ObjectNode) Json.parse("""
                {"resourceType": "Patient", "id": "fhir-p2", "identifier": [{"system": "%s", "value": "100-2"}]}""".formatted(OPENMRS_ID_SYSTEM)));
        appointment("a-2", "noshow", now.minusDays(3), "Patient/fhir-p2");
        // came to the clinic after the missed appointment: no trace
        String cameAnyway = patient("Chebet", "Kiprono", "100-3");
        appointment("a-3", "noshow", now.minusDays(12), "Patient/" + cameAnyway);
        openmrs.recordEncounter(cameAnyway, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, now.minusDays(4), Map.of());
        // kept, or too long ago: no trace
        String kept = patient("Daudi", "Omondi", "100-4");
        appointment("a-4", "fulfilled", now.minusDays(5), "Patient/" + kept);
        appointment("a-5", "noshow", now.minusDays(60), "Patient/" + kept);
        for (String[] l : List.of(new String[] {"be-1", missed}, new String[] {"be-2", byId}, new String[] {"be-3", cameAnyway}, new String[] {"be-4", kept})) {
            link(l[0], l[1]);
        }

        JsonNode first = poll();
        assertThat(first.path("tasksCreated").asInt()).as(Json.write(first)).isEqualTo(2);
        assertThat(opensrp.tasks()).extracting(t -> t.path("for").asText()).containsExactlyInAnyOrder("be-1", "be-2");
        assertThat(opensrp.tasks()).extracting(t -> t.path("reasonReference").asText()).containsExactlyInAnyOrder("Appointment/a-1", "Appointment/a-2");
        assertThat(poll().path("tasksCreated").asInt()).isZero();
        assertThat(opensrp.tasks()).hasSize(2);
    }

    @Test
    void aBadOpensrpSectionOrRuleKindNamesEveryMistake() {
        JsonNode bad = Json.parse("""
                {"opensrp": {"code": "", "outcomes": ["Found", "Not Visited"]},
                 "rules": [{"name": "a", "kind": "appointment-no-show", "days": 30},
                           {"name": "b", "kind": "appointment-noshow", "after": ["x"], "days": 0},
                           {"name": "c", "after": ["x"], "identifierSystem": "http://x", "days": 5}]}""");
        assertThatThrownBy(() -> TracingRules.parse(bad, "tracing.json")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("tracing.json: $.opensrp.code: must not be empty")
                .hasMessageContaining("tracing.json: $.opensrp.outcomes: 'Not Visited' is the status of a task not yet done")
                .hasMessageContaining("tracing.json: $.rules[0].kind: 'appointment-no-show' is not one of encounter-gap, appointment-noshow")
                .hasMessageContaining("tracing.json: $.rules[1].after: an appointment-noshow rule has no 'after'")
                .hasMessageContaining("tracing.json: $.rules[1].days: must be a whole number of days >= 1")
                .hasMessageContaining("tracing.json: $.rules[2].identifierSystem: only an appointment-noshow rule reads FHIR identifiers");
    }

    // ------------------------------------------------------------------ helpers

    String patient(String given, String family, String id) {
        return openmrs.registerPatient(given, family, "F", LocalDate.of(1990, 1, 1), id);
    }

    /** The OpenSRP client -> patient link an OpenSRP event about the client writes (id map opensrp-client->patient). */
    void link(String baseEntityId, String patient) throws Exception {
        try (StateStore store = StateStore.open(db, "", "", null, "commcare-openmrs")) {
            store.idMap().put(Forms.OPENSRP_CLIENT_TO_PATIENT, baseEntityId, patient);
        }
    }

    void appointment(String id, String status, OffsetDateTime start, String patientReference) {
        ObjectNode a = Json.object().put("resourceType", "Appointment").put("id", id).put("status", status)
                .put("start", start.toInstant().toString()).put("end", start.plusMinutes(30).toInstant().toString());
        a.putArray("participant").addObject().put("status", "accepted").putObject("actor").put("reference", patientReference);
        fhir.put(a);
    }

    JsonNode poll() throws Exception { return call(Tracing.POLL_PATH); }

    JsonNode outcomes() throws Exception { return call(Tracing.OPENSRP_OUTCOMES_PATH); }

    JsonNode call(String path) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}", StandardCharsets.UTF_8)).build();
        HttpResponse<String> answer = http.send(r, HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return TracingTest.body(answer);
    }

    HttpResponse<String> updateStatus(String identifier, String status, String businessStatus) throws Exception {
        String body = Json.write(Json.array().add(Json.object().put("identifier", identifier).put("status", status).put("businessStatus", businessStatus)));
        String auth = Base64.getEncoder().encodeToString((OpenSrpSimulator.USER + ":" + OpenSrpSimulator.PASSWORD).getBytes(StandardCharsets.UTF_8));
        HttpRequest r = HttpRequest.newBuilder(URI.create(opensrp.baseUrl() + "/rest/task/update_status")).header("Authorization", "Basic " + auth)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    List<JsonNode> tracingEncounters(String patient) {
        return openmrs.encounters().stream().filter(e -> !e.path("voided").asBoolean())
                .filter(e -> e.path("encounterType").path("uuid").asText().equals(OpenMrsSimulator.ENCOUNTER_TYPE_TRACING))
                .filter(e -> e.path("patient").path("uuid").asText().equals(patient)).toList();
    }

    void sql(String statement) throws Exception {
        try (StateStore store = StateStore.open(db, "", "", null, "commcare-openmrs"); Connection c = store.dataSource().getConnection();
             Statement st = c.createStatement()) {
            st.executeUpdate(statement);
        }
    }
}
