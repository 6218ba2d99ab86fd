package org.chis.mediator.smscodecard;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.mediator.smscodecard.reply.Reference;
import org.chis.openhim.local.CoreAdmin;
import org.chis.openhim.local.OpenHimCore;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.opensrp.OpenSrpSimulator;
import org.chis.simulators.rapidpro.RapidProSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Through a REAL OpenHIM core 4.0.5: the mediator registers and installs its default channel; a RapidPro webhook
 * sent to core's router becomes a Successful transaction with the mediator's orchestrations; one that fails
 * upstream is Failed (503), and rerun with core's /tasks API it succeeds once, with the reply sent by broadcast.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SmsCodecardIntegrationTest {
    static final String CHANNEL = "sms-codecard inbound SMS";
    static OpenHimCore core;
    static CoreAdmin admin;
    static SmsFixture f;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        core = OpenHimCore.start(OpenHimCore.Options.temp().rerunPollMillis(300).cacheRefreshMillis(500));
        admin = core.admin();
        admin.createClient("rapidpro-ws", "rapidpro-pass", "rapidpro");
        f = new SmsFixture(MediatorTestSettings.registeredWith(core.settingsFor(), MediatorTestSettings.memoryDb("sms-it"))
                .inbound("openhim-core", "core-to-sms-pw")
                .set("mediator.heartbeat.periodMs", "1000")
                .set("sms.maxAttempts", "5")
                .map());
        assertThat(f.app.awaitRegistered(Duration.ofSeconds(30))).isTrue();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (channel() == null && System.nanoTime() < deadline) Thread.sleep(100);
        assertThat(channel()).as("default channel installed").isNotNull();
        admin.awaitRouterCache();
    }

    @AfterAll
    static void stop() {
        if (f != null) f.close();
        if (core != null) core.close();
    }

    static JsonNode channel() {
        try {
            for (JsonNode c : admin.api().get("/channels").json()) if (c.path("name").asText().equals(CHANNEL)) return c;
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    static HttpResponse<String> router(String body) throws Exception { return router(body, null); }

    /** @param webhookToken what the flow sends as X-Webhook-Token (null: none) */
    static HttpResponse<String> router(String body, String webhookToken) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(core.routerUrl() + "/sms/inbound")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("rapidpro-ws:rapidpro-pass".getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (webhookToken != null) r.header("X-Webhook-Token", webhookToken);
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static List<String> names(JsonNode tx) {
        List<String> n = new ArrayList<>();
        tx.path("orchestrations").forEach(o -> n.add(o.path("name").asText()));
        return n;
    }

    @Test
    void aWebhookThroughCoreIsRecordedWithOrchestrationsAndAFailedOneIsRerunOnce() throws Exception {
        String ok = RapidProSimulator.flowWebhook(SmsFixture.uuid(501), "c-501", "John", "tel:" + SmsFixture.JOHN, "eng",
                "ANC 1000Y ANC1 LMP 01022026 WT 60").toString();
        HttpResponse<String> r = router(ok);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = Json.parse(r.body());
        assertThat(body.path("kind").asText()).isEqualTo("ok");
        assertThat(body.path("reply").asText()).startsWith("OK ANC saved: ID 1000Y ANC1 EDD 08-11-2026.");
        JsonNode tx = admin.waitForTransaction(t -> t.path("request").path("body").asText().contains(SmsFixture.uuid(501))
                && t.path("status").asText().equals("Successful"), Duration.ofSeconds(20));
        assertThat(names(tx)).contains("OpenMRS: find patient by identifier", "OpenMRS: create encounter", "OpenSRP: add event");
        assertThat(tx.path("properties").path("sms.ref").asText()).isEqualTo(Reference.of(SmsFixture.uuid(501)));

        // OpenMRS refuses encounters for a while: Failed, nothing kept
        var down = f.openmrs.failAlways("POST", "/openmrs/ws/rest/v1/encounter", 503, null);
        String failing = RapidProSimulator.flowWebhook(SmsFixture.uuid(502), "c-502", "Asha", "tel:" + SmsFixture.ASHA, "swa",
                "KLINIKI 1001W ANC1 TMH 01022026").toString();
        HttpResponse<String> fr = router(failing);
        assertThat(fr.statusCode()).isEqualTo(503);
        JsonNode failed = admin.waitForTransaction(t -> t.path("request").path("body").asText().contains(SmsFixture.uuid(502))
                && t.path("status").asText().equals("Failed"), Duration.ofSeconds(20));
        assertThat(names(failed)).contains("OpenMRS: create encounter");
        assertThat(f.warehouse().records()).hasSize(1);
        f.openmrs.wireMock().removeStub(down);

        JsonNode task = admin.waitForTask(admin.rerun(failed.path("_id").asText()), Duration.ofSeconds(20));
        String rerunId = task.path("transactions").get(0).path("rerunID").asText();
        JsonNode child = admin.waitForTransaction(t -> t.path("_id").asText().equals(rerunId)
                && t.path("status").asText().equals("Successful"), Duration.ofSeconds(20));
        assertThat(names(child)).contains("OpenMRS: create encounter", "RapidPro: send broadcast");
        // the rerun's answer goes to nobody: the Swahili reply went by SMS, once
        List<JsonNode> sent = f.rapidpro.broadcastsTo("tel:" + SmsFixture.ASHA);
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).path("text").path("swa").asText()).startsWith("SAWA KLINIKI imehifadhiwa: ID 1001W ANC1");
        assertThat(f.warehouse().records()).hasSize(2);
        assertThat(f.liveEncounters()).hasSize(2);

        // a second rerun of the same message: answered from the ledger (the room's duplicate: Completed, property
        // duplicate), no new record, no second SMS
        JsonNode task2 = admin.waitForTask(admin.rerun(rerunId), Duration.ofSeconds(20));
        String rerun2 = task2.path("transactions").get(0).path("rerunID").asText();
        JsonNode again = admin.waitForTransaction(t -> t.path("_id").asText().equals(rerun2) && t.path("status").asText().equals("Completed"), Duration.ofSeconds(20));
        assertThat(again.path("properties").path("duplicate").asText()).isEqualTo("true");
        assertThat(f.rapidpro.broadcastsTo("tel:" + SmsFixture.ASHA)).hasSize(1);
        assertThat(f.warehouse().records()).hasSize(2);
        assertThat(f.liveEncounters()).hasSize(2);

        // REG through the same channel: OpenSRP refusing -> Failed, the patient purged; the rerun registers the
        // client once and the reply with its id goes by SMS
        int patientsBefore = f.openmrs.patients().size();
        var opensrpDown = f.opensrp.stubFor(post(urlPathEqualTo("/opensrp/rest/event/add")).atPriority(1)
                .willReturn(aResponse().withStatus(500)));
        String reg = RapidProSimulator.flowWebhook(SmsFixture.uuid(511), "c-511", "Asha", "tel:" + SmsFixture.ASHA, "swa",
                "SAJILI Rehema Juma KE 35 NAMBA 2001V").toString();
        assertThat(router(reg).statusCode()).isEqualTo(503);
        JsonNode regFailed = admin.waitForTransaction(t -> t.path("request").path("body").asText().contains(SmsFixture.uuid(511))
                && t.path("status").asText().equals("Failed"), Duration.ofSeconds(20));
        assertThat(names(regFailed)).contains("OpenMRS: create patient", "OpenSRP: add event", "OpenMRS: purge patient");
        assertThat(f.openmrs.patients()).hasSize(patientsBefore);
        f.opensrp.removeStub(opensrpDown);
        JsonNode regTask = admin.waitForTask(admin.rerun(regFailed.path("_id").asText()), Duration.ofSeconds(20));
        String regRerun = regTask.path("transactions").get(0).path("rerunID").asText();
        JsonNode registered = admin.waitForTransaction(t -> t.path("_id").asText().equals(regRerun)
                && t.path("status").asText().equals("Successful"), Duration.ofSeconds(20));
        assertThat(names(registered)).contains("OpenMRS: create patient", "OpenSRP: add event", "RapidPro: send broadcast");
        assertThat(f.rapidpro.broadcastsTo("tel:" + SmsFixture.ASHA)).hasSize(2);
        assertThat(f.rapidpro.broadcastsTo("tel:" + SmsFixture.ASHA).get(1).path("text").path("swa").asText())
                .startsWith("SAWA SAJILI: Rehema Juma amesajiliwa, namba 2001V.");
        assertThat(f.openmrs.patients()).hasSize(patientsBefore + 1);
        assertThat(f.opensrpEvents.clients()).hasSize(1);
        assertThat(f.warehouse().records()).hasSize(3);
    }

    @Test
    void aCallerWithoutAnOpenHimClientIsRejectedByCore() throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(core.routerUrl() + "/sms/inbound")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        assertThat(http.send(r, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
    }

    // last: its message adds a warehouse record, which the other test counts
    @Test
    @Order(Integer.MAX_VALUE)
    void aConsoleEditOfTheUpstreamsTheirCredentialsAndTheWebhookTokenAppliesToTheNextMessage() throws Exception {
        String urn = f.app.registration().urn();
        // an operator moves OpenMRS, and OpenSRP to a server with other credentials, without restarting the mediator
        try (OpenMrsSimulator moved = new OpenMrsSimulator(0); OpenSrpSimulator movedSrp = new OpenSrpSimulator(0, "sms-2", "rotated-secret")) {
            SmsFixture.seedOpenMrs(moved, new HashMap<>());
            ObjectNode before = admin.editMediatorConfig(urn, Map.of("openmrsUrl", moved.baseUrl(), "webhookToken", "flow-secret",
                    "opensrpUrl", movedSrp.baseUrl(), "opensrpUser", "sms-2", "opensrpPassword", "rotated-secret"));
            try {
                CoreAdmin.awaitSetting(f.app.settings(), "openmrs.url", moved.baseUrl(), Duration.ofSeconds(30));
                CoreAdmin.awaitSetting(f.app.settings(), "opensrp.password", "rotated-secret", Duration.ofSeconds(30));
                int oldEncounters = f.openmrs.encounters().size();
                int oldEvents = f.opensrpEvents.events().size();
                String message = RapidProSimulator.flowWebhook(SmsFixture.uuid(503), "c-503", "John", "tel:" + SmsFixture.JOHN, "eng",
                        "ANC 1002U ANC1 LMP 01022026 WT 58").toString();
                // the new token is asked for at once: the flow's old call without it is refused
                assertThat(router(message).statusCode()).isEqualTo(401);
                HttpResponse<String> r = router(message, "flow-secret");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(Json.parse(r.body()).path("kind").asText()).isEqualTo("ok");
                assertThat(moved.encounters()).hasSize(1);
                assertThat(f.openmrs.encounters()).hasSize(oldEncounters);
                // the moved OpenSRP took the event: it accepts only its own credentials (401 otherwise)
                assertThat(movedSrp.eventsWithFormSubmissionId(SmsFixture.uuid(503))).hasSize(1);
                assertThat(f.opensrpEvents.events()).hasSize(oldEvents);
            } finally {
                // core keeps a password the GET masked as it is now, so the old one is put back by value
                admin.restoreMediatorConfig(urn, before.deepCopy().put("opensrpPassword", OpenSrpSimulator.PASSWORD));
                CoreAdmin.awaitSetting(f.app.settings(), "openmrs.url", f.openmrs.baseUrl(), Duration.ofSeconds(30));
                CoreAdmin.awaitSetting(f.app.settings(), "opensrp.password", OpenSrpSimulator.PASSWORD, Duration.ofSeconds(30));
            }
        }
    }
}
