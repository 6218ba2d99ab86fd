package org.chis.mediator.commcareopenmrs.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.store.StateStore;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.mediator.commcareopenmrs.forms.Forms;
import org.chis.openhim.local.CoreAdmin;
import org.chis.openhim.local.OpenHimCore;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.opensrp.OpenSrpSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenSRP trace outcome pull through a real OpenHIM core: the installed polling channel "OpenSRP trace outcomes ->
 * OpenMRS", polled by core, is an audited transaction with the OpenSRP and OpenMRS calls as orchestrations and writes
 * the CHW's outcome as one Tracing encounter; a pull Failed on OpenMRS's encounter write, rerun from core's /tasks,
 * writes it once, and a second rerun nothing.
 */
class TracingOpenSrpIntegrationTest {
    static final String TASKS_CHANNEL = "OpenMRS LTFU -> trace tasks";
    static final String OUTCOMES_CHANNEL = "OpenSRP trace outcomes -> OpenMRS";
    static OpenHimCore core;
    static CoreAdmin admin;
    static OpenMrsSimulator openmrs;
    static OpenSrpSimulator opensrp;
    static MediatorApp app;
    static String db;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        core = OpenHimCore.start(OpenHimCore.Options.temp().rerunPollMillis(500));
        admin = core.admin();
        openmrs = new OpenMrsSimulator(0);
        opensrp = new OpenSrpSimulator(0);
        db = MediatorTestSettings.memoryDb("tracing-opensrp-it");
        Map<String, String> s = MediatorTestSettings.registeredWith(core.settingsFor(), db)
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                // the forms workflow needs CommCare settings; nothing here talks to CommCare
                .commCare("http://127.0.0.1:1", "chis", "unused", "unused")
                .map();
        s.put("feeds.enabled", "false");
        s.put("tracing.enabled", "true");
        s.put("tracing.targets", "opensrp");
        s.put("opensrp.url", opensrp.baseUrl());
        s.put("opensrp.user", OpenSrpSimulator.USER);
        s.put("opensrp.password", OpenSrpSimulator.PASSWORD);
        s.put("http.readTimeoutMs", "10000");
        app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(s, TracingTest.CONFIG)));
        assertThat(app.awaitRegistered(Duration.ofSeconds(60))).as("registered with core").isTrue();
        admin.awaitRouterCache();
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
        if (opensrp != null) opensrp.close();
        if (openmrs != null) openmrs.close();
        if (core != null) core.close();
    }

    @Test
    void corePollsTheOutcomeChannelTheChwsOutcomeIsOneTracingEncounterAndTheNextPollWritesNothing() throws Exception {
        String patient = overdueLinkedPatient("Achieng", "IT-OSRP-1", "be-it-1");
        String task = traceTaskFor("be-it-1");
        updateStatus(task, "Completed", "Found");

        JsonNode ok = poll(OUTCOMES_CHANNEL);
        assertThat(ok.path("status").asText()).as(ok.toString()).isEqualTo("Successful");
        assertThat(orchestrated(ok, "OpenSRP: task sync")).isTrue();
        assertThat(orchestrated(ok, "OpenMRS: create encounter")).isTrue();
        assertThat(ok.toString()).doesNotContain(OpenSrpSimulator.PASSWORD).doesNotContain(OpenMrsSimulator.PASSWORD);
        assertThat(answer(ok).path("written")).singleElement().satisfies(w -> assertThat(w.path("task").asText()).isEqualTo(task));
        assertThat(tracingEncounters(patient)).hasSize(1);

        JsonNode next = poll(OUTCOMES_CHANNEL);
        assertThat(next.path("status").asText()).as(next.toString()).isEqualTo("Completed");
        assertThat(tracingEncounters(patient)).hasSize(1);
    }

    @Test
    void aPullFailedOnTheEncounterWriteRerunFromCoreWritesOneEncounterAndASecondRerunNothing() throws Exception {
        String patient = overdueLinkedPatient("Baraka", "IT-OSRP-2", "be-it-2");
        String task = traceTaskFor("be-it-2");
        updateStatus(task, "Completed", "Moved");

        StubMapping down = openmrs.failAlways("POST", OpenMrsSimulator.CONTEXT + "/ws/rest/v1/encounter", 500, null);
        JsonNode failed;
        try {
            failed = poll(OUTCOMES_CHANNEL);
        } finally {
            openmrs.wireMock().removeStub(down);
        }
        assertThat(failed.path("status").asText()).as(failed.toString()).isEqualTo("Failed");
        assertThat(answer(failed).path("failedTask").asText()).isEqualTo(task);
        assertThat(tracingEncounters(patient)).isEmpty();

        JsonNode rerun = admin.rerunAndWait(failed.path("_id").asText(), Duration.ofSeconds(60));
        assertThat(rerun.path("status").asText()).as(rerun.toString()).isEqualTo("Successful");
        assertThat(rerun.path("parentID").asText()).isEqualTo(failed.path("_id").asText());
        assertThat(tracingEncounters(patient)).hasSize(1);

        // an operator clicking rerun twice: the marker is past the task, nothing written twice
        JsonNode again = admin.rerunAndWait(failed.path("_id").asText(), Duration.ofSeconds(60));
        assertThat(again.path("status").asText()).as(again.toString()).isEqualTo("Completed");
        assertThat(answer(again).path("written")).isEmpty();
        assertThat(tracingEncounters(patient)).hasSize(1);
    }

    // ------------------------------------------------------------------ helpers

    /** An OpenMRS patient last seen 45 days ago, linked to an OpenSRP client as an OpenSRP event about it would. */
    static String overdueLinkedPatient(String given, String id, String baseEntityId) throws Exception {
        String patient = openmrs.registerPatient(given, "Odhiambo", "F", LocalDate.of(1990, 1, 1), id);
        openmrs.recordEncounter(patient, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, OffsetDateTime.now(ZoneOffset.UTC).minusDays(45), Map.of());
        try (StateStore store = StateStore.open(db, "", "", null, "commcare-openmrs")) {
            store.idMap().put(Forms.OPENSRP_CLIENT_TO_PATIENT, baseEntityId, patient);
        }
        return patient;
    }

    /** Core polls the tracing channel; the OpenSRP simulator then has the client's trace Task, whose identifier this returns. */
    static String traceTaskFor(String baseEntityId) throws Exception {
        JsonNode tx = poll(TASKS_CHANNEL);
        assertThat(tx.path("status").asText()).as(tx.toString()).isEqualTo("Successful");
        List<ObjectNode> tasks = opensrp.tasks().stream().filter(t -> t.path("for").asText().equals(baseEntityId)).toList();
        assertThat(tasks).hasSize(1);
        return tasks.get(0).path("identifier").asText();
    }

    static String channelId(String name) throws Exception {
        for (JsonNode c : admin.api().get("/channels").json()) {
            if (c.path("name").asText().equals(name)) {
                assertThat(c.path("type").asText()).isEqualTo("polling");
                return c.path("_id").asText();
            }
        }
        throw new AssertionError("channel " + name + " not installed");
    }

    /** What core's agenda job does when the polling channel is due; returns that poll's transaction once it is final. */
    static JsonNode poll(String channel) throws Exception {
        String id = channelId(channel);
        Set<String> before = new HashSet<>();
        for (JsonNode t : admin.transactions()) before.add(t.path("_id").asText());
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + core.pollingPort() + "/trigger"))
                .timeout(Duration.ofSeconds(60)).header("channel-id", id).GET().build();
        http.send(req, HttpResponse.BodyHandlers.ofString());
        return admin.waitForTransaction(t -> t.path("channelID").asText().equals(id) && !before.contains(t.path("_id").asText())
                && !t.path("status").asText().equals("Processing"), Duration.ofSeconds(60));
    }

    static JsonNode answer(JsonNode tx) { return Json.parse(tx.path("response").path("body").asText()); }

    static boolean orchestrated(JsonNode tx, String prefix) {
        for (JsonNode o : tx.path("orchestrations")) if (o.path("name").asText().startsWith(prefix)) return true;
        return false;
    }

    /** The CHW's app giving the outcome, as OpenSRP apps do: update_status, the outcome in businessStatus. */
    static void updateStatus(String identifier, String status, String businessStatus) throws Exception {
        String body = Json.write(Json.array().add(Json.object().put("identifier", identifier).put("status", status).put("businessStatus", businessStatus)));
        String auth = Base64.getEncoder().encodeToString((OpenSrpSimulator.USER + ":" + OpenSrpSimulator.PASSWORD).getBytes(StandardCharsets.UTF_8));
        HttpRequest r = HttpRequest.newBuilder(URI.create(opensrp.baseUrl() + "/rest/task/update_status")).header("Authorization", "Basic " + auth)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        HttpResponse<String> answer = http.send(r, HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isBetween(200, 201);
    }

    static List<JsonNode> tracingEncounters(String patient) {
        return openmrs.encounters().stream().filter(e -> !e.path("voided").asBoolean())
                .filter(e -> e.path("encounterType").path("uuid").asText().equals(OpenMrsSimulator.ENCOUNTER_TYPE_TRACING))
                .filter(e -> e.path("patient").path("uuid").asText().equals(patient)).toList();
    }
}
