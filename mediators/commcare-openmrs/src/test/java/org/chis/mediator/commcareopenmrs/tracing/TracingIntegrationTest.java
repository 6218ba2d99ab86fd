package org.chis.mediator.commcareopenmrs.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
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
 * The tracing poll through a real OpenHIM core: the mediator installs the "OpenMRS LTFU -> trace tasks" polling
 * channel, core's poll is an audited transaction with the OpenMRS and CommCare calls as orchestrations, and a second
 * poll is Completed without a second trace case.
 */
class TracingIntegrationTest {
    static final Path CONFIG = Path.of("../../mediator-configs/commcare-openmrs").toAbsolutePath().normalize();
    static OpenHimCore core;
    static CoreAdmin admin;
    static OpenMrsSimulator openmrs;
    static CommCareSimulator hq;
    static MediatorApp app;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        core = OpenHimCore.start(OpenHimCore.Options.temp());
        admin = core.admin();
        openmrs = new OpenMrsSimulator(0);
        hq = new CommCareSimulator(0);
        Map<String, String> s = MediatorTestSettings.registeredWith(core.settingsFor(), MediatorTestSettings.memoryDb("tracing-it"))
                .upstream("openmrs", openmrs.baseUrl(), OpenMrsSimulator.USER, OpenMrsSimulator.PASSWORD)
                .commCare(hq.baseUrl(), CommCareSimulator.DOMAIN, CommCareSimulator.USER, CommCareSimulator.API_KEY)
                .map();
        s.put("feeds.categories", "patient");
        s.put("tracing.enabled", "true");
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

    static String channelId(String name) throws Exception {
        for (JsonNode c : admin.api().get("/channels").json()) {
            if (c.path("name").asText().equals(name)) {
                assertThat(c.path("type").asText()).isEqualTo("polling");
                return c.path("_id").asText();
            }
        }
        throw new AssertionError("channel " + name + " not installed");
    }

    /** What core's agenda job does when the polling channel is due. */
    static void triggerPoll(String channelId) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + core.pollingPort() + "/trigger"))
                .timeout(Duration.ofSeconds(60)).header("channel-id", channelId).GET().build();
        http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    static boolean orchestrated(JsonNode tx, String prefix) {
        for (JsonNode o : tx.path("orchestrations")) if (o.path("name").asText().startsWith(prefix)) return true;
        return false;
    }

    @Test
    void corePollsTheTracingChannelAnAuditedTransactionMakesOneTraceCaseAndTheNextPollNone() throws Exception {
        String patient = openmrs.registerPatient("Wanjiru", "Kamau", "F", LocalDate.of(1988, 7, 1), "IT-LTFU-1");
        openmrs.recordEncounter(patient, OpenMrsSimulator.ENCOUNTER_TYPE_VISIT_NOTE, OffsetDateTime.now(ZoneOffset.UTC).minusDays(40), Map.of());
        String feed = channelId("OpenMRS feeds -> CommCare");
        triggerPoll(feed);
        admin.waitForTransaction(t -> t.path("channelID").asText().equals(feed) && t.path("status").asText().equals("Successful"), Duration.ofSeconds(60));
        assertThat(hq.casesByExternalId(patient)).hasSize(1);

        String tracing = channelId("OpenMRS LTFU -> trace tasks");
        triggerPoll(tracing);
        JsonNode ok = admin.waitForTransaction(t -> t.path("channelID").asText().equals(tracing) && t.path("status").asText().equals("Successful"),
                Duration.ofSeconds(60));
        assertThat(orchestrated(ok, "CommCare: list cases")).isTrue();
        assertThat(orchestrated(ok, "OpenMRS: list encounters")).isTrue();
        assertThat(orchestrated(ok, "CommCare: submit form")).isTrue();
        assertThat(ok.toString()).doesNotContain(CommCareSimulator.API_KEY).doesNotContain(OpenMrsSimulator.PASSWORD);
        assertThat(hq.cases().stream().filter(c -> "trace".equals(c.caseType()))).singleElement()
                .satisfies(c -> assertThat(c.property("openmrs_uuid")).isEqualTo(patient));

        triggerPoll(tracing);
        admin.waitForTransaction(t -> t.path("channelID").asText().equals(tracing) && t.path("status").asText().equals("Completed"), Duration.ofSeconds(60));
        assertThat(hq.cases().stream().filter(c -> "trace".equals(c.caseType()))).hasSize(1);
    }
}
