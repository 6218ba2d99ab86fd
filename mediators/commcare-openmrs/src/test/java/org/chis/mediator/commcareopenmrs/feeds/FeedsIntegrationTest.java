package org.chis.mediator.commcareopenmrs.feeds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.openhim.local.CoreAdmin;
import org.chis.openhim.local.OpenHimCore;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The feeds through a real OpenHIM core: the mediator installs its polling channel, core's poll lands as an audited
 * transaction with the mediator's orchestrations, and a Failed poll rerun from /tasks succeeds without duplicates.
 */
class FeedsIntegrationTest {
    static final Path CONFIG = Path.of("../../mediator-configs/commcare-openmrs").toAbsolutePath().normalize();
    static final String CHANNEL = "OpenMRS feeds -> CommCare";
    static OpenHimCore core;
    static CoreAdmin admin;
    static OpenMrsSimulator openmrs;
    static CommCareSimulator hq;
    static MediatorApp app;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        core = OpenHimCore.start(OpenHimCore.Options.temp().rerunPollMillis(500));
        admin = core.admin();
        openmrs = new OpenMrsSimulator(0);
        hq = new CommCareSimulator(0);
        Map<String, String> s = MediatorTestSettings.registeredWith(core.settingsFor(), MediatorTestSettings.memoryDb("feeds-it"))
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                .commCare(hq.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY)
                .map();
        s.put("http.readTimeoutMs", "10000");
        app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(s, CONFIG)));
        assertThat(app.awaitRegistered(Duration.ofSeconds(60))).as("registered with core").isTrue();
        admin.awaitRouterCache();
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
        if (openmrs != null) openmrs.close();
        if (hq != null) hq.close();
        if (core != null) core.close();
    }

    static String channelId() throws Exception {
        for (JsonNode c : admin.api().get("/channels").json()) {
            if (c.path("name").asText().equals(CHANNEL)) {
                assertThat(c.path("type").asText()).isEqualTo("polling");
                return c.path("_id").asText();
            }
        }
        throw new AssertionError("channel " + CHANNEL + " not installed");
    }

    /** What core's agenda job does when the polling channel is due. */
    static void triggerPoll() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + core.pollingPort() + "/trigger"))
                .timeout(Duration.ofSeconds(60)).header("channel-id", channelId()).GET().build();
        http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    static boolean orchestrated(JsonNode tx, String prefix) {
        for (JsonNode o : tx.path("orchestrations")) if (o.path("name").asText().startsWith(prefix)) return true;
        return false;
    }

    @Test
    void aPollThroughCoreIsAnAuditedTransactionAndAFailedOneRerunsFromTasks() throws Exception {
        String uuid = openmrs.registerPatient("Nyokabi", "Wambūi-Ñuñez", "F", LocalDate.of(1990, 5, 17), "IT-1");
        triggerPoll();
        JsonNode ok = admin.waitForTransaction(t -> t.path("status").asText().equals("Successful") && orchestrated(t, "CommCare: submit form"),
                Duration.ofSeconds(60));
        assertThat(orchestrated(ok, "OpenMRS: feed page patient")).isTrue();
        assertThat(orchestrated(ok, "OpenMRS: get patient")).isTrue();
        // credentials never reach core's records
        assertThat(ok.toString()).doesNotContain(CommCareSimulator.API_KEY).doesNotContain(OpenMrsSimulator.PASSWORD);
        assertThat(hq.casesByExternalId(uuid)).singleElement().satisfies(c -> assertThat(c.caseName()).isEqualTo("Nyokabi Wambūi-Ñuñez"));

        // OpenMRS's feed is down: the poll fails, nothing is skipped
        StubMapping down = openmrs.failAlways("GET", "/openmrs/ws/atomfeed/.*", 500, null);
        String second = openmrs.registerPatient("Otieno", "Odhiambo", "M", LocalDate.of(1985, 1, 2), "IT-2");
        triggerPoll();
        JsonNode failed = admin.waitForTransaction(t -> t.path("status").asText().equals("Failed") && orchestrated(t, "OpenMRS: feed page"),
                Duration.ofSeconds(60));
        assertThat(failed.path("response").path("status").asInt()).isEqualTo(502);
        assertThat(hq.casesByExternalId(second)).isEmpty();

        openmrs.wireMock().removeStub(down);
        String taskId = admin.rerun(failed.path("_id").asText());
        JsonNode task = admin.waitForTask(taskId, Duration.ofSeconds(60));
        String rerunId = task.path("transactions").get(0).path("rerunID").asText();
        JsonNode child = admin.waitForTransaction(t -> t.path("_id").asText().equals(rerunId) && !t.path("status").asText().equals("Processing"),
                Duration.ofSeconds(60));
        // core's own schedule may have polled in between; either way the patient arrives exactly once
        assertThat(child.path("status").asText()).isIn("Successful", "Completed");
        assertThat(child.path("parentID").asText()).isEqualTo(failed.path("_id").asText());
        assertThat(hq.casesByExternalId(second)).hasSize(1);
        assertThat(hq.casesByExternalId(uuid)).hasSize(1);
    }

    @Test
    void aConsoleEditOfTheCommcareUrlAndKeyAppliesToTheNextPoll() throws Exception {
        String urn = app.registration().urn();
        try (CommCareSimulator moved = new CommCareSimulator(0)) {
            // the operator points the mediator at another HQ in the console; no restart
            ObjectNode before = admin.editMediatorConfig(urn, Map.of("commcareUrl", moved.baseUrl(), "commcareApiKey", CommCareSimulator.API_KEY));
            try {
                CoreAdmin.awaitSetting(app.settings(), "commcare.url", moved.baseUrl(), Duration.ofSeconds(30));
                String uuid = openmrs.registerPatient("Achieng", "Owino", "F", LocalDate.of(1993, 4, 5), "IT-MOVED");
                triggerPoll();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (moved.casesByExternalId(uuid).isEmpty() && System.nanoTime() < deadline) Thread.sleep(200);
                assertThat(moved.casesByExternalId(uuid)).singleElement().satisfies(c -> assertThat(c.caseName()).isEqualTo("Achieng Owino"));
                assertThat(hq.casesByExternalId(uuid)).isEmpty();
            } finally {
                admin.restoreMediatorConfig(urn, before);
                CoreAdmin.awaitSetting(app.settings(), "commcare.url", hq.baseUrl(), Duration.ofSeconds(30));
            }
        }
    }
}
