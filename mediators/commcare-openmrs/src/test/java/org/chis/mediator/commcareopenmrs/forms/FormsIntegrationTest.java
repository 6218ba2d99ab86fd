package org.chis.mediator.commcareopenmrs.forms;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.chis.common.json.Json;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.openhim.local.CoreAdmin;
import org.chis.openhim.local.OpenHimCore;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Through a real OpenHIM core 4.0.5: the mediator registers and installs its default channels; a CommCare form sent
 * to core's router lands as a Successful transaction with the saga's orchestrations; a form that fails (OpenMRS 500)
 * is Failed and rolled back, and its rerun from core's /tasks succeeds with exactly one encounter.
 */
class FormsIntegrationTest {
    static OpenHimCore core;
    static CoreAdmin admin;
    static FormsFixture f;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        core = OpenHimCore.start(OpenHimCore.Options.temp().rerunPollMillis(500));
        admin = core.admin();
        admin.createClient("chis-app", "chis-app-pass", "chis");
        String db = MediatorTestSettings.memoryDb("forms-it");
        f = new FormsFixture(new OpenMrsSimulator(0), new CommCareSimulator(0), MediatorTestSettings.registeredWith(core.settingsFor(), db).map(), db);
        assertThat(f.app.awaitRegistered(Duration.ofSeconds(60))).as("registered with core").isTrue();
        admin.awaitRouterCache();
    }

    @AfterAll
    static void stop() {
        if (f != null) f.close();
        if (core != null) core.close();
    }

    static HttpResponse<String> router(String path, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(core.routerUrl() + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("chis-app:chis-app-pass".getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        return http.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static JsonNode transactionOfForm(String formId, String status) {
        return admin.waitForTransaction(t -> t.path("request").path("path").asText().equals(Forms.COMMCARE_PATH)
                && t.path("request").path("body").asText().contains(formId) && t.path("status").asText().equals(status), Duration.ofSeconds(30));
    }

    static boolean orchestrated(JsonNode tx, String name) {
        for (JsonNode o : tx.path("orchestrations")) if (o.path("name").asText().equals(name)) return true;
        return false;
    }

    @Test
    void theDefaultChannelsAreInstalled() throws Exception {
        Map<String, String> types = new HashMap<>();
        admin.api().get("/channels").json().forEach(c -> types.put(c.path("name").asText(), c.path("urlPattern").asText()));
        assertThat(types).containsEntry("CommCare forms -> OpenMRS", "^/commcare/forms$").containsEntry("OpenSRP events -> OpenMRS", "^/opensrp/events$");
    }

    @Test
    void aFormRoutedThroughCoreIsATransactionWithTheSagaOrchestrations() throws Exception {
        String formId = UUID.randomUUID().toString();
        var form = FormsFixture.registration(formId, UUID.randomUUID().toString(), "NID-IT-1");
        // another person than the other test's (the matcher would rightly find her and see nothing new)
        ((ObjectNode) form.get("form")).put("first_name", "Zawadi").put("last_name", "Otieno").put("dob", "1988-07-01");
        HttpResponse<String> r = router(Forms.COMMCARE_PATH, Json.write(form));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode tx = transactionOfForm(formId, "Successful");
        assertThat(orchestrated(tx, "OpenMRS: create patient")).isTrue();
        assertThat(orchestrated(tx, "OpenMRS: create encounter")).isTrue();
        assertThat(orchestrated(tx, "CommCare: submit form")).isTrue();
        assertThat(tx.path("properties").path("encounter").asText()).isEqualTo(Json.parse(r.body()).path("encounter").asText());
        // secrets never reach core's records
        assertThat(tx.toString()).doesNotContain(OpenMrsSimulator.PASSWORD).doesNotContain(CommCareSimulator.API_KEY);
    }

    @Test
    void aFailedFormRerunFromTasksSucceedsWithOneEncounter() throws Exception {
        String formId = UUID.randomUUID().toString(), caseId = UUID.randomUUID().toString();
        f.openmrs.failNext("POST", FormsFixture.REST + "/encounter", 500, null);
        HttpResponse<String> r = router(Forms.COMMCARE_PATH, Json.write(FormsFixture.registration(formId, caseId, "NID-IT-2")));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
        JsonNode failed = transactionOfForm(formId, "Failed");
        assertThat(failed.path("properties").path("rollback").asText()).isEqualTo("complete");
        assertThat(orchestrated(failed, "rollback: start visit")).isTrue();
        assertThat(orchestrated(failed, "rollback: create patient")).isTrue();
        assertThat(f.openmrs.patients()).noneMatch(p -> p.toString().contains("NID-IT-2"));

        String taskId = admin.rerun(failed.path("_id").asText());
        JsonNode task = admin.waitForTask(taskId, Duration.ofSeconds(60));
        String rerunId = task.path("transactions").get(0).path("rerunID").asText();
        JsonNode child = admin.waitForTransaction(t -> t.path("_id").asText().equals(rerunId) && !t.path("status").asText().equals("Processing"),
                Duration.ofSeconds(30));
        assertThat(child.path("status").asText()).isEqualTo("Successful");
        assertThat(child.path("parentID").asText()).isEqualTo(failed.path("_id").asText());
        String encounter = child.path("properties").path("encounter").asText();

        // an operator clicking rerun twice: answered from the ledger, still one encounter
        JsonNode again = admin.waitForTask(admin.rerun(failed.path("_id").asText()), Duration.ofSeconds(60));
        String secondId = again.path("transactions").get(0).path("rerunID").asText();
        JsonNode second = admin.waitForTransaction(t -> t.path("_id").asText().equals(secondId) && !t.path("status").asText().equals("Processing"),
                Duration.ofSeconds(30));
        assertThat(second.path("status").asText()).isEqualTo("Completed");
        assertThat(second.path("properties").path("duplicate").asText()).isEqualTo("true");
        assertThat(f.encounters()).filteredOn(e -> e.path("uuid").asText().equals(encounter)).hasSize(1);
        assertThat(f.openmrs.patients()).filteredOn(p -> p.toString().contains("NID-IT-2")).hasSize(1);
        assertThat(f.commcare.caseById(caseId).orElseThrow().properties()).containsEntry("openmrs_last_encounter_uuid", encounter);
    }

    @Test
    void aConsoleEditOfTheOpenmrsUrlAndUserAppliesToTheNextForm() throws Exception {
        String urn = f.app.registration().urn();
        try (OpenMrsSimulator moved = new OpenMrsSimulator(0)) {
            // what an operator does in the console when OpenMRS moves: the mediator is not restarted
            ObjectNode before = admin.editMediatorConfig(urn, Map.of("openmrsUrl", moved.baseUrl(), "openmrsUser", OpenMrsSimulator.USER));
            try {
                CoreAdmin.awaitSetting(f.app.settings(), "openmrs.url", moved.baseUrl(), Duration.ofSeconds(30));
                String formId = UUID.randomUUID().toString();
                var form = FormsFixture.registration(formId, UUID.randomUUID().toString(), "NID-IT-MOVED");
                ((ObjectNode) form.get("form")).put("first_name", "Neema").put("last_name", "Mwangi").put("dob", "1991-02-03");
                HttpResponse<String> r = router(Forms.COMMCARE_PATH, Json.write(form));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                assertThat(moved.patients()).filteredOn(p -> p.toString().contains("NID-IT-MOVED")).hasSize(1);
                assertThat(f.openmrs.patients()).noneMatch(p -> p.toString().contains("NID-IT-MOVED"));
                assertThat(orchestrated(transactionOfForm(formId, "Successful"), "OpenMRS: create patient")).isTrue();
            } finally {
                admin.restoreMediatorConfig(urn, before);
                CoreAdmin.awaitSetting(f.app.settings(), "openmrs.url", f.openmrs.baseUrl(), Duration.ofSeconds(30));
            }
        }
    }

    @Test
    void aConsoleEditOfTheReadTimeoutAppliesToTheNextForm() throws Exception {
        String urn = f.app.registration().urn();
        ObjectNode before = admin.editMediatorConfig(urn, Json.object().put("httpReadTimeoutMs", 500));
        try {
            CoreAdmin.awaitSetting(f.app.settings(), "http.readTimeoutMs", "500", Duration.ofSeconds(30));
            // OpenMRS answers the patient search in 2 s: within the old 10 s, past the edited 0.5 s
            f.openmrs.slowNext("GET", FormsFixture.REST + "/patient", 2000);
            String formId = UUID.randomUUID().toString();
            HttpResponse<String> r = router(Forms.COMMCARE_PATH, Json.write(FormsFixture.registration(formId, UUID.randomUUID().toString(), "NID-IT-SLOW")));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
            transactionOfForm(formId, "Failed");
        } finally {
            admin.restoreMediatorConfig(urn, before);
            CoreAdmin.awaitSetting(f.app.settings(), "http.readTimeoutMs", "10000", Duration.ofSeconds(30));
        }
    }
}
