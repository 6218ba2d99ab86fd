package org.chis.mediator.dhis2;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.chis.common.systems.dhis2.Dhis2Uid;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.openhim.local.CoreAdmin;
import org.chis.openhim.local.OpenHimCore;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.dhis2.Dhis2Simulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Through a real OpenHIM core 4.0.5: the mediator registers and installs its default channels (two HTTP, two
 * polling), requests via core's router land as transactions with the mediator's orchestrations, core's polling
 * channels trigger the pulls, and a Failed tracker push rerun from core's /tasks succeeds without a duplicate.
 */
class Dhis2IntegrationTest {
    static OpenHimCore core;
    static CoreAdmin admin;
    static MediatorFixture f;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static String teFromDhis2;

    @BeforeAll
    static void start() throws Exception {
        core = OpenHimCore.start(OpenHimCore.Options.temp().rerunPollMillis(500));
        admin = core.admin();
        admin.createClient("chis-app", "chis-app-pass", "chis");
        Dhis2Simulator dhis2 = new Dhis2Simulator(0);
        dhis2.today(LocalDate.of(2024, 3, 15));
        CommCareSimulator commcare = new CommCareSimulator(0);
        // something for the polling channels to find when core first triggers them
        teFromDhis2 = dhis2.saveTrackedEntity(null, "DiszpKrYNg8", "nEenWmSyUEp", Map.of("w75KJ2mc4zz", "Fatmata"), "clerk");
        commcare.wireMock().stubFor(get(urlPathEqualTo("/reports/anc.json")).willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withBody(AggregateTest.MONTHLY)));
        String db = MediatorTestSettings.memoryDb("dhis2-it");
        Map<String, String> s = MediatorTestSettings.registeredWith(core.settingsFor(), db)
                .set("aggregate.source.url", "http://localhost:" + commcare.port() + "/reports/anc.json").map();
        f = new MediatorFixture(dhis2, commcare, s, db);
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

    /** GET /channels (once more if core dropped a kept-alive API connection). */
    static JsonNode channels() throws Exception {
        try {
            return admin.api().get("/channels").json();
        } catch (IOException e) {
            return admin.api().get("/channels").json();
        }
    }

    /** A polled transaction: core records the request as GET /trigger; our orchestrations tell which channel it was. */
    static JsonNode polled(String orchestrationPrefix) {
        return admin.waitForTransaction(t -> t.path("request").path("path").asText().equals("/trigger") && t.path("status").asText().equals("Successful")
                && orchestrated(t, orchestrationPrefix), Duration.ofSeconds(30));
    }

    static JsonNode transaction(String path, String status) {
        return admin.waitForTransaction(t -> t.path("request").path("path").asText().equals(path) && t.path("status").asText().equals(status),
                Duration.ofSeconds(30));
    }

    static boolean orchestrated(JsonNode tx, String namePrefix) {
        for (JsonNode o : tx.path("orchestrations")) if (o.path("name").asText().startsWith(namePrefix)) return true;
        return false;
    }

    @Test
    void defaultChannelsAreInstalledIncludingThePollingOnes() throws Exception {
        JsonNode channels = channels();
        Map<String, String> types = new HashMap<>();
        channels.forEach(c -> types.put(c.path("name").asText(), c.path("type").asText()));
        assertThat(types).containsEntry("DHIS2 aggregate", "http").containsEntry("DHIS2 tracker", "http")
                .containsEntry("DHIS2 aggregate pull", "polling").containsEntry("DHIS2 to CommCare import", "polling");
    }

    /** What core's agenda job does when a polling channel is due: GET the polling port's /trigger with the channel id. */
    static void triggerPolling(String channelName) throws Exception {
        String id = null;
        for (JsonNode c : channels()) if (c.path("name").asText().equals(channelName)) id = c.path("_id").asText();
        assertThat(id).as("channel " + channelName).isNotNull();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + core.pollingPort() + "/trigger"))
                .timeout(Duration.ofSeconds(60)).header("channel-id", id).GET().build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    @Test
    void corePollsTheImportAndTheAggregatePull() throws Exception {
        triggerPolling("DHIS2 to CommCare import");
        triggerPolling("DHIS2 aggregate pull");
        JsonNode imported = polled("DHIS2: trackedEntities changed");
        assertThat(orchestrated(imported, "DHIS2: trackedEntities changed")).isTrue();
        assertThat(f.commcare.casesByExternalId(teFromDhis2)).hasSize(1);
        JsonNode pulled = polled("Report source: read");
        assertThat(orchestrated(pulled, "DHIS2: dataValueSets anc-monthly")).isTrue();
        assertThat(orchestrated(pulled, "Report source: read")).isTrue();
        assertThat(f.dhis2.dataValue("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "Prlt0C1RF0s", null)).hasValue("12");
    }

    @Test
    void aggregateConflictsShowAsCompletedWithErrorsInCore() throws Exception {
        HttpResponse<String> r = router("POST", "/dhis2/aggregate", """
                {"report": "anc-monthly", "rows": [{"location": "njandama-mchp", "period": "202402", "anc1": 3},
                                                    {"location": "njandama-mchp", "period": "202408", "anc1": 4}]}""");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode tx = transaction("/dhis2/aggregate", "Completed with error(s)");
        assertThat(tx.path("properties").path("dhis2.conflicts").asText()).isEqualTo("1");
        // core itself polls the installed pull channel once right after install (CoreLink schedules it), which may
        // already have sent this value from the source report: then DHIS2 counts it as updated, not imported
        assertThat(tx.path("properties").path("dhis2.imported").asInt() + tx.path("properties").path("dhis2.updated").asInt()).isEqualTo(1);
        assertThat(orchestrated(tx, "DHIS2: dataValueSets anc-monthly chunk 1")).isTrue();
    }

    @Test
    void aFailedTrackerPushRerunFromTasksSucceedsWithoutDuplicates() throws Exception {
        f.dhis2.failNext("POST", "/api/tracker", 500, null);
        String form = TrackerTest.form("it-form-1", "it-case-1", "ngelehun-chc", "9.9", "yes");
        HttpResponse<String> r = router("POST", "/dhis2/tracker", form);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
        JsonNode failed = transaction("/dhis2/tracker", "Failed");
        assertThat(orchestrated(failed, "DHIS2: tracker import child-programme")).isTrue();
        assertThat(failed.path("error").path("message").asText()).contains("500");
        assertThat(f.dhis2.trackedEntities()).noneMatch(t -> t.path("trackedEntity").asText().equals(Dhis2Uid.derive("trackedEntity", "it-case-1")));

        String taskId = admin.rerun(failed.path("_id").asText());
        JsonNode task = admin.waitForTask(taskId, Duration.ofSeconds(60));
        assertThat(task.path("transactions").get(0).path("tstatus").asText()).isEqualTo("Completed");
        String rerunId = task.path("transactions").get(0).path("rerunID").asText();
        JsonNode child = admin.waitForTransaction(t -> t.path("_id").asText().equals(rerunId) && !t.path("status").asText().equals("Processing"),
                Duration.ofSeconds(30));
        assertThat(child.path("status").asText()).isEqualTo("Successful");
        assertThat(child.path("parentID").asText()).isEqualTo(failed.path("_id").asText());
        assertThat(orchestrated(child, "DHIS2: tracker import child-programme")).isTrue();

        // a second rerun (an operator clicking twice) is answered from the ledger: still one of each
        JsonNode again = admin.waitForTask(admin.rerun(failed.path("_id").asText()), Duration.ofSeconds(60));
        String secondId = again.path("transactions").get(0).path("rerunID").asText();
        JsonNode second = admin.waitForTransaction(t -> t.path("_id").asText().equals(secondId) && !t.path("status").asText().equals("Processing"),
                Duration.ofSeconds(30));
        assertThat(second.path("status").asText()).isEqualTo("Completed");
        assertThat(second.path("properties").path("duplicate").asText()).isEqualTo("true");
        String te = Dhis2Uid.derive("trackedEntity", "it-case-1");
        assertThat(f.dhis2.trackedEntities()).filteredOn(t -> t.path("trackedEntity").asText().equals(te)).hasSize(1);
        assertThat(f.dhis2.events()).filteredOn(e -> e.path("trackedEntity").asText().equals(te)).hasSize(1);
    }

    @Test
    void aFailedPushOfAPersonKnownToDhis2RerunFromTasksGoesToThemOnce() throws Exception {
        // registered outside the import's org unit: the import poll of another test would otherwise send it to a
        // CommCare case the CommCare simulator never had (in real life the form's case exists)
        f.dhis2.metadata().orgUnit("OutsideOrg1", "Outside the import");
        String theirs = f.dhis2.saveTrackedEntity(null, "OutsideOrg1", "nEenWmSyUEp", Map.of("lZGmxYbs97q", "SL-IT-1"), "clerk");
        f.dhis2.failNext("POST", "/api/tracker", 500, null);
        String form = TrackerFindTest.form("it-find-1", "it-find-case-1", "SL-IT-1", "2024-03-02", "9.5");
        HttpResponse<String> r = router("POST", "/dhis2/tracker", form);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
        JsonNode failed = admin.waitForTransaction(t -> t.path("request").path("body").asText().contains("it-find-1")
                && t.path("status").asText().equals("Failed"), Duration.ofSeconds(30));
        assertThat(orchestrated(failed, "DHIS2: find tracked entity by lZGmxYbs97q")).isTrue();

        JsonNode task = admin.waitForTask(admin.rerun(failed.path("_id").asText()), Duration.ofSeconds(60));
        String rerunId = task.path("transactions").get(0).path("rerunID").asText();
        JsonNode child = admin.waitForTransaction(t -> t.path("_id").asText().equals(rerunId) && !t.path("status").asText().equals("Processing"),
                Duration.ofSeconds(30));
        assertThat(child.path("status").asText()).isEqualTo("Successful");
        assertThat(child.path("properties").path("dhis2.trackedEntity").asText()).isEqualTo(theirs);
        assertThat(child.path("properties").path("dhis2.foundBy").asText()).isEqualTo("lZGmxYbs97q");
        assertThat(f.dhis2.trackedEntities()).filteredOn(t -> t.path("attributes").toString().contains("SL-IT-1")).hasSize(1);
        assertThat(f.dhis2.enrollments()).filteredOn(e -> e.path("trackedEntity").asText().equals(theirs)).hasSize(1);
        assertThat(f.dhis2.events()).filteredOn(e -> e.path("trackedEntity").asText().equals(theirs)).hasSize(1);
    }

    @Test
    void aConsoleEditOfTheDhis2UrlAppliesToTheNextPush() throws Exception {
        String urn = f.app.registration().urn();
        try (Dhis2Simulator moved = new Dhis2Simulator(0)) {
            moved.today(LocalDate.of(2024, 3, 15));
            ObjectNode before = admin.editMediatorConfig(urn, Map.of("dhis2Url", moved.baseUrl(), "dhis2User", Dhis2Simulator.USER));
            try {
                CoreAdmin.awaitSetting(f.app.settings(), "dhis2.url", moved.baseUrl(), Duration.ofSeconds(30));
                long oldRequests = f.dhis2.dataValueSetRequests();
                HttpResponse<String> r = router("POST", "/dhis2/aggregate", """
                        {"report": "anc-monthly", "rows": [{"location": "njandama-mchp", "period": "202402", "anc1": 41}]}""");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(moved.dataValueSetRequests()).isEqualTo(1);
                assertThat(moved.valuesReceived()).isEqualTo(1);
                assertThat(f.dhis2.dataValueSetRequests()).isEqualTo(oldRequests);
            } finally {
                admin.restoreMediatorConfig(urn, before);
                CoreAdmin.awaitSetting(f.app.settings(), "dhis2.url", f.dhis2.baseUrl(), Duration.ofSeconds(30));
            }
        }
    }

    @Test
    void aConsoleEditOfTheCommcareUrlAppliesToTheNextImport() throws Exception {
        triggerPolling("DHIS2 to CommCare import"); // what DHIS2 holds so far goes to the first CommCare
        String urn = f.app.registration().urn();
        try (CommCareSimulator moved = new CommCareSimulator(0)) {
            ObjectNode before = admin.editMediatorConfig(urn, Map.of("commcareUrl", moved.baseUrl()));
            try {
                CoreAdmin.awaitSetting(f.app.settings(), "commcare.url", moved.baseUrl(), Duration.ofSeconds(30));
                String te = f.dhis2.saveTrackedEntity(null, "DiszpKrYNg8", "nEenWmSyUEp", Map.of("w75KJ2mc4zz", "Isatu"), "clerk");
                triggerPolling("DHIS2 to CommCare import");
                assertThat(moved.casesByExternalId(te)).hasSize(1);
                assertThat(f.commcare.casesByExternalId(te)).isEmpty();
            } finally {
                admin.restoreMediatorConfig(urn, before);
                CoreAdmin.awaitSetting(f.app.settings(), "commcare.url", f.commcare.baseUrl(), Duration.ofSeconds(30));
            }
        }
    }
}
