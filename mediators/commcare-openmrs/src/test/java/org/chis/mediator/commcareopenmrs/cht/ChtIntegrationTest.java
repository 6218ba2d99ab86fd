package org.chis.mediator.commcareopenmrs.cht;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.openhim.local.CoreAdmin;
import org.chis.openhim.local.OpenHimCore;
import org.chis.simulators.cht.ChtSimulator;
import org.chis.simulators.cht.OutboundPush;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Through a real OpenHIM core 4.0.5: CHT's outbound push pointed at core's router ({@code /cht/reports}, the default
 * channel "CHT reports -> OpenMRS", Basic auth of a client with role chis) lands as a Successful transaction with the
 * saga's orchestrations; a push that fails (OpenMRS 500) is Failed and rolled back, CHT's own retry then succeeds,
 * and an operator's rerun of the failed transaction is answered from the ledger: one patient, one encounter.
 */
class ChtIntegrationTest {
    static OpenHimCore core;
    static CoreAdmin admin;
    static OpenMrsSimulator openmrs;
    static CommCareSimulator commcare;
    static ChtSimulator cht;
    static MediatorApp app;

    @BeforeAll
    static void start() throws Exception {
        core = OpenHimCore.start(OpenHimCore.Options.temp().rerunPollMillis(500));
        admin = core.admin();
        admin.createClient("cht-outbound", "cht-outbound-pass", "chis");
        openmrs = new OpenMrsSimulator(0);
        commcare = new CommCareSimulator(0);
        cht = new ChtSimulator(0);
        Map<String, String> s = MediatorTestSettings.registeredWith(core.settingsFor(), MediatorTestSettings.memoryDb("cht-it"))
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                .commCare(commcare.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY)
                .map();
        s.put("feeds.enabled", "false");
        s.put("cht.url", cht.baseUrl());
        s.put("cht.user", ChtSimulator.USER);
        s.put("cht.password", ChtSimulator.PASSWORD);
        app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(s, ChtTest.CONFIG)));
        assertThat(app.awaitRegistered(Duration.ofSeconds(60))).as("registered with core").isTrue();
        admin.awaitRouterCache();
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
        if (cht != null) cht.close();
        if (commcare != null) commcare.close();
        if (openmrs != null) openmrs.close();
        if (core != null) core.close();
    }

    /** The shipped outbound config as a deployment sets it: destination = core's router, a client of core. */
    static ObjectNode outbound() throws Exception {
        ObjectNode config = (ObjectNode) Json.parse(Files.readString(ChtTest.CONFIG.resolve("cht/outbound-home-visit.json"))).get("openmrs-home-visit").deepCopy();
        ObjectNode dest = (ObjectNode) config.get("destination");
        dest.put("base_url", core.routerUrl());
        ((ObjectNode) dest.get("auth")).put("username", "cht-outbound").put("password", "cht-outbound-pass");
        return config;
    }

    static JsonNode transactionOf(String docId, String status) {
        return admin.waitForTransaction(t -> t.path("request").path("path").asText().equals(ChtReports.PATH)
                && t.path("request").path("body").asText().contains(docId) && t.path("status").asText().equals(status), Duration.ofSeconds(30));
    }

    static boolean orchestrated(JsonNode tx, String name) {
        for (JsonNode o : tx.path("orchestrations")) if (o.path("name").asText().equals(name)) return true;
        return false;
    }

    @Test
    void aChtPushThroughCoreFailsRollsBackAndChtsRetryAndTheOperatorsRerunMakeOneEncounter() throws Exception {
        Map<String, String> channels = new HashMap<>();
        admin.api().get("/channels").json().forEach(c -> channels.put(c.path("name").asText(), c.path("urlPattern").asText()));
        assertThat(channels).containsEntry("CHT reports -> OpenMRS", "^/cht/reports$").containsEntry("OpenMRS feeds -> CHT", "^/cht/feeds/poll$");

        ObjectNode doc = ChtTest.homeVisit("r-it-1", "p-it-1", "80001");
        openmrs.failNext("POST", ".*/ws/rest/v1/encounter", 500, null);
        OutboundPush.Attempt failedPush = cht.push("openmrs-home-visit", outbound(), doc);
        assertThat(failedPush.status()).as(failedPush.answer()).isEqualTo(502);
        JsonNode failed = transactionOf("r-it-1", "Failed");
        assertThat(failed.path("properties").path("rollback").asText()).isEqualTo("complete");
        assertThat(orchestrated(failed, "rollback: create patient")).isTrue();
        assertThat(openmrs.patients()).isEmpty();

        // CHT retries a push that did not get a 2xx (every 5 minutes): this time OpenMRS is up
        OutboundPush.Attempt retried = cht.push("openmrs-home-visit", outbound(), doc);
        assertThat(retried.status()).as(retried.answer()).isEqualTo(201);
        JsonNode ok = transactionOf("r-it-1", "Successful");
        assertThat(orchestrated(ok, "OpenMRS: create patient")).isTrue();
        assertThat(orchestrated(ok, "OpenMRS: create encounter")).isTrue();
        assertThat(ok.path("properties").path("chtDoc").asText()).isEqualTo("r-it-1");
        assertThat(ok.toString()).doesNotContain(OpenMrsSimulator.PASSWORD).doesNotContain("cht-outbound-pass");

        // and an operator reruns the failed transaction from the console: answered from the ledger
        JsonNode task = admin.waitForTask(admin.rerun(failed.path("_id").asText()), Duration.ofSeconds(60));
        String rerunId = task.path("transactions").get(0).path("rerunID").asText();
        JsonNode child = admin.waitForTransaction(t -> t.path("_id").asText().equals(rerunId) && !t.path("status").asText().equals("Processing"),
                Duration.ofSeconds(30));
        assertThat(child.path("status").asText()).isEqualTo("Completed");
        assertThat(child.path("properties").path("duplicate").asText()).isEqualTo("true");
        assertThat(openmrs.patients()).hasSize(1);
        assertThat(openmrs.encounters().stream().filter(e -> !e.path("voided").asBoolean())).hasSize(1);
    }
}
