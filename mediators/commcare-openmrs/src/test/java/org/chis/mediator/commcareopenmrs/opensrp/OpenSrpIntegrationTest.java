package org.chis.mediator.commcareopenmrs.opensrp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.openhim.local.CoreAdmin;
import org.chis.openhim.local.OpenHimCore;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.opensrp.OpenSrpSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Through a real OpenHIM core 4.0.5: the mediator installs the two OpenSRP polling channels; core's poll of
 * "OpenSRP event pull -> OpenMRS" is an audited transaction with the sync and the saga as orchestrations, and the
 * next poll reads nothing again; core's poll of the practitioner channel creates the provider once.
 */
class OpenSrpIntegrationTest {
    static final String PULL_CHANNEL = "OpenSRP event pull -> OpenMRS";
    static final String PRACTITIONER_CHANNEL = "OpenSRP practitioners -> OpenMRS providers";
    static OpenHimCore core;
    static CoreAdmin admin;
    static OpenMrsSimulator openmrs;
    static CommCareSimulator commcare;
    static OpenSrpSimulator opensrp;
    static MediatorApp app;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        core = OpenHimCore.start(OpenHimCore.Options.temp().rerunPollMillis(500));
        admin = core.admin();
        openmrs = new OpenMrsSimulator(0);
        commcare = new CommCareSimulator(0);
        opensrp = new OpenSrpSimulator(0);
        Map<String, String> s = MediatorTestSettings.registeredWith(core.settingsFor(), MediatorTestSettings.memoryDb("opensrp-it"))
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                .commCare(commcare.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY)
                .map();
        s.put("feeds.enabled", "false");
        s.put("opensrp.url", opensrp.baseUrl());
        s.put("opensrp.user", OpenSrpSimulator.USER);
        s.put("opensrp.password", OpenSrpSimulator.PASSWORD);
        s.put("opensrp.pull.enabled", "true");
        s.put("opensrp.pull.locationId", OpenSrpPullTest.LOCATION);
        s.put("opensrp.practitioners.enabled", "true");
        s.put("http.readTimeoutMs", "10000");
        app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(s, OpenSrpPullTest.CONFIG)));
        assertThat(app.awaitRegistered(Duration.ofSeconds(60))).as("registered with core").isTrue();
        admin.awaitRouterCache();
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
        if (opensrp != null) opensrp.close();
        if (commcare != null) commcare.close();
        if (openmrs != null) openmrs.close();
        if (core != null) core.close();
    }

    static String channelId(String name) throws Exception {
        for (JsonNode c : admin.api().get("/channels").json()) {
            if (c.path("name").asText().equals(name)) {
                assertThat(c.path("type").asText()).isEqualTo("polling");
                assertThat(c.path("autoRetryEnabled").asBoolean(false)).isFalse();
                return c.path("_id").asText();
            }
        }
        throw new AssertionError("channel " + name + " not installed");
    }

    /** What core's agenda job does when the polling channel is due. */
    static void triggerPoll(String channel) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + core.pollingPort() + "/trigger"))
                .timeout(Duration.ofSeconds(60)).header("channel-id", channelId(channel)).GET().build();
        http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    static List<JsonNode> encounters() { return openmrs.encounters().stream().filter(e -> !e.path("voided").asBoolean()).toList(); }

    static boolean orchestrated(JsonNode tx, String prefix) {
        for (JsonNode o : tx.path("orchestrations")) if (o.path("name").asText().startsWith(prefix)) return true;
        return false;
    }

    @Test
    void coresPollsPullOpensrpEventsAndPractitionersIntoOpenmrsOnce() throws Exception {
        ObjectNode body = OpenSrpPullTest.growthMonitoring("it-1", "it-child-1", "OSRP-IT1");
        opensrp.addClient((ObjectNode) body.get("clients").get(0));
        opensrp.addEvent((ObjectNode) body.get("events").get(0));
        triggerPoll(PULL_CHANNEL);
        JsonNode ok = admin.waitForTransaction(t -> t.path("status").asText().equals("Successful") && orchestrated(t, "OpenSRP: event sync"),
                Duration.ofSeconds(60));
        assertThat(orchestrated(ok, "OpenMRS: create encounter")).isTrue();
        assertThat(ok.toString()).doesNotContain(OpenSrpSimulator.PASSWORD).doesNotContain(OpenMrsSimulator.PASSWORD);
        assertThat(encounters()).hasSize(1);

        // core's own schedule may poll too; whatever the number of polls, the event is one encounter
        triggerPoll(PULL_CHANNEL);
        admin.waitForTransaction(t -> t.path("status").asText().equals("Completed") && orchestrated(t, "OpenSRP: event sync"), Duration.ofSeconds(60));
        assertThat(encounters()).hasSize(1);

        opensrp.addPractitioner(ProviderSyncTest.practitioner("p-it", "chw.it", "Integration Worker", true));
        triggerPoll(PRACTITIONER_CHANNEL);
        admin.waitForTransaction(t -> t.path("status").asText().equals("Successful") && orchestrated(t, "OpenMRS: create provider"),
                Duration.ofSeconds(60));
        triggerPoll(PRACTITIONER_CHANNEL);
        admin.waitForTransaction(t -> t.path("status").asText().equals("Completed") && orchestrated(t, "OpenSRP: list practitioners"), Duration.ofSeconds(60));
        assertThat(openmrs.providers()).filteredOn(p -> p.path("identifier").asText().equals("chw.it")).hasSize(1);
    }
}
