package org.chis.bench.faults;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.chis.common.config.Settings;
import org.chis.common.openhim.MediatorApp;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.rapidpro.RapidProSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Upstream 5xx and timeouts at every step of a saga, here sms-codecard's forwarding (find the patient in OpenMRS,
 * create the encounter, add the OpenSRP event): the message must fail with a 5xx, leave no orphan (no live encounter,
 * no accepted event), and the same message sent again once the upstream is back must make exactly one encounter
 * and one event. Other mediators' sagas join as they land.
 */
class SagaStepFaultTest {
    static final String JOHN = "+255712000002";
    /** One report per case: the card's duplicate key is (id, visit), so each case reports another visit (ANC1..ANC8). */
    static String report(int visit) { return "ANC 1000Y ANC" + visit + " LMP 01022026 WT 60"; }
    static final String EVENT_PATH = "/opensrp/rest/event/add";

    static OpenMrsSimulator openmrs;
    static RapidProSimulator rapidpro;
    static WireMockServer opensrp;
    static MediatorApp app;

    @BeforeAll
    static void start() {
        openmrs = new OpenMrsSimulator(0);
        rapidpro = new RapidProSimulator(0);
        opensrp = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        opensrp.start();
        opensrp.stubFor(post(urlPathEqualTo(EVENT_PATH)).atPriority(10).willReturn(aResponse().withStatus(201)));
        openmrs.addMetadata("encountertype", "2549af50-75c8-4aeb-87ca-4bb2cef6c69a", "ANC");
        openmrs.addConcept("1425AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Antenatal visit number", "Numeric");
        openmrs.registerPatient("Amina", "Juma", "F", LocalDate.of(1998, 3, 4), "1000Y");
        Map<String, String> s = new HashMap<>();
        s.put("mediator.port", "0");
        s.put("mediator.host", "localhost");
        s.put("mediator.bind", "127.0.0.1");
        s.put("mediator.inbound.username", "");
        s.put("mediator.inbound.password", "");
        s.put("core.register", "false");
        s.put("db.url", "jdbc:h2:mem:faults-saga-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        s.put("openmrs.url", openmrs.baseUrl());
        s.put("openmrs.user", OpenMrsSimulator.USER);
        s.put("openmrs.password", OpenMrsSimulator.PASSWORD);
        s.put("rapidpro.url", rapidpro.baseUrl());
        s.put("rapidpro.token", rapidpro.token());
        s.put("opensrp.url", "http://127.0.0.1:" + opensrp.port() + "/opensrp");
        s.put("opensrp.user", "sms-mediator");
        s.put("opensrp.password", "opensrp-secret");
        s.put("sms.clock.fixed", "2026-06-15T09:00:00Z");
        s.put("sms.timezone", "UTC");
        s.put("sms.workers", "4");
        s.put("sms.maxAttempts", "100"); // every fault here is answered 5xx, not the "gave up" reply
        s.put("http.readTimeoutMs", "1000");
        app = org.chis.mediator.smscodecard.Main.start(Settings.of(s, Path.of("../mediator-configs/sms-codecard").toAbsolutePath().normalize()));
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
        if (openmrs != null) openmrs.close();
        if (rapidpro != null) rapidpro.close();
        if (opensrp != null) opensrp.stop();
        FaultReport.print();
    }

    record Step(String name, WireMockServer server, MappingBuilder request) {}

    @Test
    void everyStepFailingLeavesNoOrphanAndTheRetryWritesOnce() throws Exception {
        List<Step> steps = List.of(
                new Step("OpenMRS find patient", openmrs.wireMock(), any(urlPathMatching("/openmrs/ws/rest/v1/patient.*"))),
                new Step("OpenMRS create encounter", openmrs.wireMock(), post(urlPathEqualTo("/openmrs/ws/rest/v1/encounter"))),
                new Step("OpenSRP add event", opensrp, post(urlPathEqualTo(EVENT_PATH))));
        int n = 0;
        int tried = 0;
        int survived = 0;
        List<String> bad = new ArrayList<>();
        for (Step step : steps) {
            for (String fault : List.of("500", "timeout")) {
                n++;
                String messageUuid = String.format("00000000-0000-4000-8000-%012d", 500 + n);
                int encountersBefore = liveEncounters();
                var answer = aResponse().withStatus(500).withHeader("Content-Type", "application/json").withBody("{\"error\":\"injected\"}");
                if (fault.equals("timeout")) answer = answer.withFixedDelay(2500); // > http.readTimeoutMs
                StubMapping stub = step.server().stubFor(step.request().atPriority(1).willReturn(answer));
                Http.Reply failed = sms(messageUuid, n);
                step.server().removeStub(stub);
                int orphanEncounters = liveEncounters() - encountersBefore;
                int acceptedEvents = acceptedEvents(messageUuid);
                Http.Reply retry = sms(messageUuid, n);
                Http.Reply again = sms(messageUuid, n);
                int encountersAfter = liveEncounters() - encountersBefore;
                int eventsAfter = acceptedEvents(messageUuid);
                tried++;
                boolean ok = failed.status() >= 500 && orphanEncounters == 0 && acceptedEvents == 0
                        && retry.status() == 200 && again.status() == 200 && encountersAfter == 1 && eventsAfter == 1;
                if (ok) survived++;
                else bad.add(step.name() + " " + fault + ": answered " + failed.status() + ", orphans " + orphanEncounters + " encounter(s) + "
                        + acceptedEvents + " event(s); retry " + retry.status() + "/" + again.status() + " -> " + encountersAfter
                        + " encounter(s), " + eventsAfter + " event(s); retry said " + retry.message());
            }
        }
        String detail = "sms-codecard forwarding saga, 3 steps x {HTTP 500, timeout}: "
                + (bad.isEmpty() ? "every fault answered 5xx with nothing left behind; each retry (sent twice) made exactly 1 encounter and 1 event"
                : "FAILED " + bad);
        FaultReport.record("upstream 5xx / timeout at every saga step (zero orphans, retry writes once)", tried, survived, detail);
        assertThat(bad).isEmpty();
    }

    static Http.Reply sms(String messageUuid, int visit) throws Exception {
        String body = RapidProSimulator.flowWebhook(messageUuid, UUID.nameUUIDFromBytes(JOHN.getBytes()).toString(), "Worker",
                "tel:" + JOHN, "eng", report(visit)).toString();
        return Http.postJson("http://127.0.0.1:" + app.port() + "/sms/inbound", body, null);
    }

    static int liveEncounters() {
        return (int) openmrs.encounters().stream().filter(e -> !e.path("voided").asBoolean(false)).count();
    }

    /** Events OpenSRP answered 2xx for this message (formSubmissionId = message uuid). */
    static int acceptedEvents(String messageUuid) {
        return (int) opensrp.getAllServeEvents().stream()
                .filter(e -> e.getRequest().getUrl().startsWith(EVENT_PATH))
                .filter(e -> e.getResponse().getStatus() / 100 == 2)
                .filter(e -> e.getRequest().getBodyAsString().contains(messageUuid))
                .count();
    }
}
