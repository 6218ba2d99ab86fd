package org.chis.mediator.commcareopenmrs.cht;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import java.io.IOException;
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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.store.StateStore;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.simulators.cht.ChtSimulator;
import org.chis.simulators.cht.OutboundPush;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * CHT <-> OpenMRS through the whole mediator (not registered with a core) against the CHT, OpenMRS and CommCare
 * simulators: reports pushed by the CHT simulator's outbound push with the shipped outbound config and mapping, and
 * the OpenMRS feeds polled into CHT people and reports.
 */
class ChtTest {
    static final Path CONFIG = Path.of("../../mediator-configs/commcare-openmrs").toAbsolutePath().normalize();
    static OpenMrsSimulator openmrs;
    static CommCareSimulator commcare;
    static ChtSimulator cht;

    MediatorApp app;
    String db;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startSimulators() {
        openmrs = new OpenMrsSimulator(0);
        commcare = new CommCareSimulator(0);
        cht = new ChtSimulator(0);
    }

    @AfterAll
    static void stopSimulators() {
        openmrs.close();
        commcare.close();
        cht.close();
    }

    @BeforeEach
    void start() {
        openmrs.reset();
        commcare.reset();
        cht.reset();
        db = "jdbc:h2:mem:cht-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        Map<String, String> s = MediatorTestSettings.standalone(db)
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                .commCare(commcare.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY)
                .map();
        s.put("feeds.enabled", "false");
        s.put("cht.feeds.enabled", "true");
        s.put("cht.url", cht.baseUrl());
        s.put("cht.user", ChtSimulator.USER);
        s.put("cht.password", ChtSimulator.PASSWORD);
        s.put("cht.person.parentPlace", ChtSimulator.CHW_AREA);
        s.put("cht.person.identifierType", OpenMrsSimulator.ID_TYPE_OPENMRS_ID);
        s.put("http.readTimeoutMs", "10000");
        app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(s, CONFIG)));
    }

    @AfterEach
    void stop() { app.close(); }

    @Test
    void aNewPatientsHomeVisitPushedByChtBecomesPatientVisitEncounterObsOnceAndIsNotSentBack() throws Exception {
        ObjectNode doc = homeVisit("r-100", "p-100", "60412");
        OutboundPush.Attempt first = cht.push("openmrs-home-visit", outbound(), doc);
        assertThat(first.status()).as(first.answer()).isEqualTo(201);
        JsonNode body = answer(first);
        String patient = body.path("patient").path("uuid").asText();
        assertThat(body.path("patient").path("created").asBoolean()).isTrue();

        JsonNode p = openmrs.patient(patient).orElseThrow();
        assertThat(Json.write(p.path("person").path("names"))).contains("Akinyi").contains("Otieno");
        assertThat(Json.write(p.path("identifiers"))).contains("60412");
        List<JsonNode> encounters = active(openmrs.encounters());
        assertThat(encounters).hasSize(1);
        assertThat(encounters.get(0).path("uuid").asText()).isEqualTo(body.path("encounter").asText());
        // reported_date 2024-12-06T07:00:00Z, told in the mapping's zone (Nairobi, +03:00)
        assertThat(encounters.get(0).path("encounterDatetime").asText()).startsWith("2024-12-06T10:00:00");
        assertThat(active(openmrs.observations())).hasSize(4);
        assertThat(active(openmrs.visits())).hasSize(1);

        // CHT retries until it gets a 2xx, and an operator may rerun the transaction: the doc id is the key
        OutboundPush.Attempt again = cht.push("openmrs-home-visit", outbound(), doc);
        assertThat(again.status()).isEqualTo(200);
        assertThat(answer(again).path("duplicate").asBoolean()).isTrue();
        assertThat(openmrs.patients()).hasSize(1);
        assertThat(active(openmrs.encounters())).hasSize(1);

        // a second visit of the same CHT person finds the patient through the id map (CHT person id -> patient)
        OutboundPush.Attempt second = cht.push("openmrs-home-visit", outbound(), homeVisit("r-101", "p-100", "60412", 1733472000000L));
        assertThat(second.status()).as(second.answer()).isEqualTo(201);
        assertThat(answer(second).path("patient").path("uuid").asText()).isEqualTo(patient);
        assertThat(openmrs.patients()).hasSize(1);

        // the OpenMRS feeds show what came from CHT: echo, nothing goes back to CHT
        JsonNode poll = drain();
        assertThat(poll.path("feeds").path("cht:patient").path("echo").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(poll.path("feeds").path("cht:patient").path("created").asInt()).isZero();
        assertThat(poll.path("feeds").path("cht:encounter").path("echo").asInt()).isEqualTo(2);
        assertThat(poll.path("feeds").path("cht:encounter").path("created").asInt()).isZero();
        assertThat(cht.people()).isEmpty();
        assertThat(cht.reports()).isEmpty();
    }

    @Test
    void aFailureAtAStepRollsBackEverythingAndChtsRetrySucceeds() throws Exception {
        openmrs.failNext("POST", ".*/ws/rest/v1/obs", 500, "{\"error\":{\"message\":\"database down\"}}");
        ObjectNode doc = homeVisit("r-200", "p-200", "60413");
        OutboundPush.Attempt failed = cht.push("openmrs-home-visit", outbound(), doc);
        assertThat(failed.status()).isEqualTo(502);
        assertThat(failed.answer()).contains("everything it created was undone, safe to rerun");
        assertThat(active(openmrs.encounters())).isEmpty();
        assertThat(openmrs.patients()).isEmpty();
        assertThat(active(openmrs.visits())).isEmpty();

        OutboundPush.Attempt retried = cht.push("openmrs-home-visit", outbound(), doc);
        assertThat(retried.status()).as(retried.answer()).isEqualTo(201);
        assertThat(openmrs.patients()).hasSize(1);
        assertThat(active(openmrs.encounters())).hasSize(1);
    }

    @Test
    void aBadPayloadIs4xxWithAMessageAndWritesNothing() throws Exception {
        HttpResponse<String> noForm = post(ChtReports.PATH, "{\"id\":\"r-300\",\"patient_id\":\"1\"}");
        assertThat(noForm.statusCode()).isEqualTo(400);
        assertThat(noForm.body()).contains("no 'form' (map doc.form to it)");
        HttpResponse<String> unknown = post(ChtReports.PATH, "{\"id\":\"r-301\",\"form\":\"pregnancy\"}");
        assertThat(unknown.statusCode()).isEqualTo(422);
        assertThat(unknown.body()).contains("no mapping for CHT form 'pregnancy'");
        ObjectNode noWeight = homeVisit("r-302", "p-302", "60414");
        ((ObjectNode) noWeight.get("fields")).with("vitals").put("weight", "heavy");
        OutboundPush.Attempt bad = cht.push("openmrs-home-visit", outbound(), noWeight);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.answer()).contains("not a number");
        assertThat(openmrs.patients()).isEmpty();
        assertThat(openmrs.encounters()).isEmpty();
    }

    @Test
    void openmrsPatientsAndEncountersBecomeChtPeopleAndReportsAndAReplayedFeedWritesNothingTwice() throws Exception {
        String patient = openmrs.registerPatient("Wanjiru", "Kamau", "F", LocalDate.of(1988, 7, 1), "10000X");
        String encounter = openmrs.recordEncounter(patient, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS,
                OffsetDateTime.now(ZoneOffset.UTC).minusHours(1).withNano(0), Map.of(OpenMrsSimulator.CONCEPT_WEIGHT, 64.2));
        JsonNode poll = drain();
        assertThat(poll.path("feeds").path("cht:patient").path("created").asInt()).isEqualTo(1);

        assertThat(cht.people()).hasSize(1);
        JsonNode person = cht.people().get(0);
        assertThat(person.path("name").asText()).isEqualTo("Wanjiru Kamau");
        assertThat(person.path("sex").asText()).isEqualTo("female");
        assertThat(person.path("date_of_birth").asText()).isEqualTo("1988-07-01");
        assertThat(person.path("parent").path("_id").asText()).isEqualTo(ChtSimulator.CHW_AREA);
        assertThat(person.path("openmrs_patient_uuid").asText()).isEqualTo(patient);
        assertThat(person.path("openmrs_id").asText()).isEqualTo("10000X");
        assertThat(cht.reports()).hasSize(1);
        JsonNode report = cht.reports().get(0);
        assertThat(report.path("form").asText()).isEqualTo("OPENMRS_ENCOUNTER");
        assertThat(report.path("fields").path("patient_uuid").asText()).isEqualTo(person.path("_id").asText());
        assertThat(report.path("fields").path("openmrs_encounter_uuid").asText()).isEqualTo(encounter);
        assertThat(report.path("fields").path("last_weight").asText()).isEqualTo("64.2");

        // the same entries read again: after the marker is lost, and after the ledger is lost too (restored database)
        sql("DELETE FROM feed_marker WHERE feed LIKE 'cht:%'");
        drain();
        sql("DELETE FROM feed_marker WHERE feed LIKE 'cht:%'");
        sql("DELETE FROM ledger WHERE source_key LIKE 'openmrs-feed:cht:%'");
        JsonNode replay = drain();
        assertThat(replay.path("feeds").path("cht:patient").path("unchanged").asInt()).isEqualTo(1);
        assertThat(cht.people()).hasSize(1);
        assertThat(cht.reports()).hasSize(1);

        // a CHT report about this person now finds the OpenMRS patient through the id map, not a new one
        OutboundPush.Attempt visit = cht.push("openmrs-home-visit", outbound(), homeVisit("r-400", person.path("_id").asText(), "70001"));
        assertThat(visit.status()).as(visit.answer()).isEqualTo(201);
        assertThat(answer(visit).path("patient").path("uuid").asText()).isEqualTo(patient);
        assertThat(openmrs.patients()).hasSize(1);
    }

    @Test
    void chtRefusingAPersonParksTheEntryAndTheNextPollAfterTheFixCreatesItOnce() throws Exception {
        cht.wireMock().stubFor(WireMock.post("/api/v1/people").atPriority(1)
                .willReturn(WireMock.aResponse().withStatus(503).withBody("Service Unavailable")));
        openmrs.registerPatient("Otieno", "Ouma", "M", LocalDate.of(1979, 1, 5), "10001X");
        JsonNode poll = drain();
        assertThat(poll.path("feeds").path("cht:patient").path("failed").asInt()).isEqualTo(1);
        assertThat(cht.people()).isEmpty();
        cht.wireMock().resetMappings();
        cht.reset();
        sql("UPDATE failed_event SET next_attempt_at = created_at"); // due now instead of after feeds.retry.baseSeconds
        JsonNode retry = drain();
        assertThat(retry.path("feeds").path("cht:patient").path("resolved").asInt()).isEqualTo(1);
        assertThat(cht.people()).hasSize(1);
        drain();
        assertThat(cht.people()).hasSize(1);
    }

    // ------------------------------------------------------------------ helpers

    /** A home_visit report as the CHT app saves it: fields, and the submitting CHW's contact with its lineage. */
    static ObjectNode homeVisit(String id, String personId, String patientId) { return homeVisit(id, personId, patientId, 1733468400000L); }

    static ObjectNode homeVisit(String id, String personId, String patientId, long reportedDate) {
        ObjectNode doc = Json.object().put("_id", id).put("_rev", "1-abc").put("type", "data_record").put("form", "home_visit")
                .put("reported_date", reportedDate);
        ObjectNode f = doc.putObject("fields").put("patient_uuid", personId).put("patient_id", patientId).put("patient_given_name", "Akinyi")
                .put("patient_family_name", "Otieno").put("patient_sex", "female").put("patient_date_of_birth", "1994-03-12");
        f.putObject("vitals").put("weight", "61.5").put("temperature", "38.2").put("muac", "25");
        f.putObject("danger_signs").put("fever", "yes");
        doc.putObject("contact").put("_id", "chw-akinyi").putObject("parent").put("_id", ChtSimulator.CHW_AREA).putObject("parent")
                .put("_id", ChtSimulator.HEALTH_FACILITY);
        return doc;
    }

    /** The shipped outbound config, its destination pointed at this mediator (in a deployment: OpenHIM's channel). */
    ObjectNode outbound() throws IOException {
        JsonNode all = Json.parse(Files.readString(CONFIG.resolve("cht/outbound-home-visit.json")));
        ObjectNode config = (ObjectNode) all.get("openmrs-home-visit").deepCopy();
        ((ObjectNode) config.get("destination")).put("base_url", "http://127.0.0.1:" + app.port());
        return config;
    }

    /** The mediator's answer to a push: the OpenHIM envelope's response body. */
    static JsonNode answer(OutboundPush.Attempt a) {
        return Json.parse(Json.parse(a.answer()).path("response").path("body").asText("{}"));
    }

    static List<JsonNode> active(List<JsonNode> all) { return all.stream().filter(e -> !e.path("voided").asBoolean()).toList(); }

    /** Polls /cht/feeds/poll until nothing more is waiting; returns the last poll's body. */
    JsonNode drain() throws Exception {
        JsonNode last = null;
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = post(Cht.POLL_PATH, "{}");
            last = Json.parse(Json.parse(r.body()).path("response").path("body").asText("{}"));
            if (!last.path("more").asBoolean()) return last;
        }
        throw new AssertionError("CHT feed did not drain: " + last);
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    void sql(String statement) throws Exception {
        try (StateStore store = StateStore.open(db, "", "", null, "commcare-openmrs"); Connection c = store.dataSource().getConnection();
             Statement st = c.createStatement()) {
            st.executeUpdate(statement);
        }
    }
}
