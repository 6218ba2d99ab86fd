package org.chis.mediator.referral;

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
import org.chis.common.systems.openmrs.StableUuid;
import org.chis.openhim.local.CoreAdmin;
import org.chis.openhim.local.OpenHimCore;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.fhir.FhirSimulator;
import org.chis.simulators.opensrp.OpenSrpSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Through a real OpenHIM core 4.0.5: the mediator registers and installs its default channels (two HTTP, one
 * polling), a referral via core's router lands as a transaction with the mediator's orchestrations, a status
 * change goes through too, and a Failed referral rerun from core's /tasks succeeds with no duplicate upstream.
 */
class ReferralIntegrationTest {
    static OpenHimCore core;
    static CoreAdmin admin;
    static ReferralFixture f;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        core = OpenHimCore.start(OpenHimCore.Options.temp().rerunPollMillis(500));
        admin = core.admin();
        admin.createClient("chis-app", "chis-app-pass", "chis");
        String db = MediatorTestSettings.memoryDb("referral-it");
        f = new ReferralFixture(MediatorTestSettings.registeredWith(core.settingsFor(), db).map(), db);
        assertThat(f.app.awaitRegistered(Duration.ofSeconds(60))).as("registered with core").isTrue();
        admin.awaitRouterCache();
    }

    @AfterAll
    static void stop() {
        if (f != null) f.close();
        if (core != null) core.close();
    }

    static HttpResponse<String> router(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(core.routerUrl() + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("chis-app:chis-app-pass".getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode transaction(String path, String status, String referralId) {
        return admin.waitForTransaction(t -> t.path("request").path("path").asText().equals(path) && t.path("status").asText().equals(status)
                && referralId.equals(t.path("properties").path("referral.id").asText()), Duration.ofSeconds(30));
    }

    static boolean orchestrated(JsonNode tx, String namePrefix) {
        for (JsonNode o : tx.path("orchestrations")) if (o.path("name").asText().startsWith(namePrefix)) return true;
        return false;
    }

    static long tasksFor(String referralId) {
        return f.fhir.resources("Task").stream().filter(t -> t.path("identifier").toString().contains("\"" + referralId + "\"")).count();
    }

    @Test
    void defaultChannelsAreInstalledIncludingThePollingOne() throws Exception {
        JsonNode channels = admin.api().get("/channels").json();
        Map<String, String> types = new HashMap<>();
        channels.forEach(c -> types.put(c.path("name").asText(), c.path("type").asText()));
        assertThat(types).containsEntry("Referrals", "http").containsEntry("Referral status", "http").containsEntry("Referral status sync", "polling");
    }

    @Test
    void aReferralAndItsStatusChangeGoThroughCoreWithOrchestrations() throws Exception {
        String caseId = f.commcare.registerCase("client", "Isatu Kallon", null, CommCareSimulator.props());
        String formId = UUID.randomUUID().toString();
        HttpResponse<String> r = router("POST", "/referrals", ReferralFixture.commcareForm(formId, caseId, "IT-1", "urgent", "2018-08-08"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(Json.parse(r.body()).path("fhir").path("task").asText()).startsWith("Task/");
        JsonNode tx = transaction("/referrals", "Successful", formId);
        assertThat(orchestrated(tx, "OpenMRS: create encounter")).isTrue();
        assertThat(orchestrated(tx, "FHIR: create Task")).isTrue();
        assertThat(tx.path("properties").path("fhir.task").asText()).startsWith("Task/");

        HttpResponse<String> moved = router("PUT", "/referrals/" + formId + "/status", "{\"status\": \"in-progress\"}");
        assertThat(moved.statusCode()).as(moved.body()).isEqualTo(200);
        JsonNode mtx = transaction("/referrals/" + formId + "/status", "Successful", formId);
        assertThat(orchestrated(mtx, "FHIR: update Task")).isTrue();
        assertThat(orchestrated(mtx, "CommCare: submit form")).isTrue();
        assertThat(f.commcare.caseById(caseId).orElseThrow().property("referral_status")).isEqualTo("in-progress");

        HttpResponse<String> illegal = router("PUT", "/referrals/" + formId + "/status", "{\"status\": \"requested\"}");
        assertThat(illegal.statusCode()).isEqualTo(409);
    }

    @Test
    void aFailedReferralRerunFromTasksSucceedsWithoutDuplicates() throws Exception {
        String caseId = f.commcare.registerCase("client", "Kadiatu Jalloh", null, CommCareSimulator.props());
        String formId = UUID.randomUUID().toString();
        var stub = f.openmrs.failAlways("POST", "/openmrs/ws/rest/v1/encounter", 500, "{\"error\":{\"message\":\"database is down\"}}");
        HttpResponse<String> r = router("POST", "/referrals", ReferralFixture.commcareForm(formId, caseId, "IT-2", "routine", "2018-08-08"));
        f.openmrs.wireMock().removeStub(stub);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
        JsonNode failed = transaction("/referrals", "Failed", formId);
        assertThat(orchestrated(failed, "rollback: create EMR patient")).isTrue();
        assertThat(failed.path("error").path("message").asText()).contains("database is down");
        assertThat(tasksFor(formId)).isZero();

        String taskId = admin.rerun(failed.path("_id").asText());
        JsonNode task = admin.waitForTask(taskId, Duration.ofSeconds(60));
        assertThat(task.path("transactions").get(0).path("tstatus").asText()).isEqualTo("Completed");
        String rerunId = task.path("transactions").get(0).path("rerunID").asText();
        JsonNode child = admin.waitForTransaction(t -> t.path("_id").asText().equals(rerunId) && !t.path("status").asText().equals("Processing"),
                Duration.ofSeconds(30));
        assertThat(child.path("status").asText()).isEqualTo("Successful");
        assertThat(child.path("parentID").asText()).isEqualTo(failed.path("_id").asText());
        assertThat(orchestrated(child, "FHIR: create Task")).isTrue();

        // a second rerun is answered from the ledger: still one Task, one encounter
        JsonNode again = admin.waitForTask(admin.rerun(failed.path("_id").asText()), Duration.ofSeconds(60));
        String secondId = again.path("transactions").get(0).path("rerunID").asText();
        JsonNode second = admin.waitForTransaction(t -> t.path("_id").asText().equals(secondId) && !t.path("status").asText().equals("Processing"),
                Duration.ofSeconds(30));
        assertThat(second.path("status").asText()).isEqualTo("Completed");
        assertThat(second.path("properties").path("duplicate").asText()).isEqualTo("true");
        assertThat(tasksFor(formId)).isEqualTo(1);
        String enc = StableUuid.of("referral", formId, "encounter");
        assertThat(f.openmrs.encounters().stream().filter(e -> e.path("uuid").asText().equals(enc)).count()).isEqualTo(1);
    }

    @Test
    void aConsoleEditOfTheFhirUrlAppliesToTheNextReferral() throws Exception {
        String urn = f.app.registration().urn();
        try (FhirSimulator moved = new FhirSimulator(0)) {
            ObjectNode before = admin.editMediatorConfig(urn, Map.of("fhirUrl", moved.baseUrl()));
            try {
                CoreAdmin.awaitSetting(f.app.settings(), "fhir.url", moved.baseUrl(), Duration.ofSeconds(30));
                String caseId = f.commcare.registerCase("client", "Mariama Sesay", null, CommCareSimulator.props());
                String formId = UUID.randomUUID().toString();
                HttpResponse<String> r = router("POST", "/referrals", ReferralFixture.commcareForm(formId, caseId, "IT-MOVED", "urgent", "2018-08-08"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                assertThat(moved.resources("Task")).filteredOn(t -> t.path("identifier").toString().contains("\"" + formId + "\"")).hasSize(1);
                assertThat(tasksFor(formId)).isZero();
            } finally {
                admin.restoreMediatorConfig(urn, before);
                CoreAdmin.awaitSetting(f.app.settings(), "fhir.url", f.fhir.baseUrl(), Duration.ofSeconds(30));
            }
        }
    }

    @Test
    void aConsoleEditOfTheOpensrpServerAndItsCredentialsAppliesToTheNextStatusPushBack() throws Exception {
        String urn = f.app.registration().urn();
        // OpenSRP moved to a server with other credentials: only those are accepted there (401 otherwise)
        try (OpenSrpSimulator moved = new OpenSrpSimulator(0, "referral-2", "rotated-secret")) {
            ObjectNode before = admin.editMediatorConfig(urn, Map.of("opensrpUrl", moved.baseUrl(), "opensrpUser", "referral-2",
                    "opensrpPassword", "rotated-secret"));
            try {
                CoreAdmin.awaitSetting(f.app.settings(), "opensrp.password", "rotated-secret", Duration.ofSeconds(30));
                int oldUpdates = f.opensrp.taskStatusUpdates();
                String eventId = UUID.randomUUID().toString(), taskIdentifier = UUID.randomUUID().toString();
                moved.addTask(ReferralLifecycleTest.opensrpTask(taskIdentifier, eventId, "be-it"));
                HttpResponse<String> r = router("POST", "/referrals", ReferralLifecycleTest.opensrpReferral(eventId, taskIdentifier, "be-it"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                HttpResponse<String> seen = router("PUT", "/referrals/" + taskIdentifier + "/status", "{\"status\": \"in-progress\"}");
                assertThat(seen.statusCode()).as(seen.body()).isEqualTo(200);
                assertThat(Json.parse(seen.body()).path("pushedBackTo").asText()).isEqualTo("opensrp-task");
                assertThat(moved.task(taskIdentifier).orElseThrow().path("status").asText()).isEqualTo("In Progress");
                assertThat(f.opensrp.taskStatusUpdates()).isEqualTo(oldUpdates);
            } finally {
                // core keeps a password the GET masked as it is now, so the old one is put back by value
                admin.restoreMediatorConfig(urn, before.deepCopy().put("opensrpPassword", OpenSrpSimulator.PASSWORD));
                CoreAdmin.awaitSetting(f.app.settings(), "opensrp.password", OpenSrpSimulator.PASSWORD, Duration.ofSeconds(30));
            }
        }
    }
}
