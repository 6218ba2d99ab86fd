package org.chis.bench.faults;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.rapidpro.RapidProSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Upstream 5xx and timeouts at every step of a saga, here sms-codecard's forwarding (find the patient in OpenMRS,
 * create the encounter, add the OpenSRP event): the message must fail with a 5xx, leave no orphan (no live encounter,
 * no accepted event), and the same message sent again once the upstream is back must make exactly one encounter
 * and one event. Likewise commcare-openmrs' forms saga (find patient, create patient, start visit, create encounter,
 * create obs, end visit, CommCare case lookup and write-back): no live patient, visit, encounter or obs left in the
 * OpenMRS simulator, and the resent form makes exactly one patient, visit and encounter.
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
    static OpenMrsSimulator formsOpenmrs;
    static CommCareSimulator formsHq;
    static MediatorApp forms;

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

        formsOpenmrs = new OpenMrsSimulator(0);
        formsHq = new CommCareSimulator(0);
        Map<String, String> f = new HashMap<>();
        f.put("mediator.port", "0");
        f.put("mediator.host", "localhost");
        f.put("mediator.bind", "127.0.0.1");
        f.put("mediator.inbound.username", "");
        f.put("mediator.inbound.password", "");
        f.put("core.register", "false");
        f.put("db.url", "jdbc:h2:mem:faults-forms-saga-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        f.put("openmrs.url", formsOpenmrs.baseUrl());
        f.put("openmrs.user", OpenMrsSimulator.USER);
        f.put("openmrs.password", OpenMrsSimulator.PASSWORD);
        f.put("commcare.url", formsHq.baseUrl());
        f.put("commcare.domain", CommCareSimulator.DOMAIN);
        f.put("commcare.user", CommCareSimulator.USER);
        f.put("commcare.apiKey", CommCareSimulator.API_KEY);
        f.put("http.readTimeoutMs", "1000");
        forms = org.chis.mediator.commcareopenmrs.Main.start(MediatorApp.create("commcare-openmrs",
                Settings.of(f, Path.of("../mediator-configs/commcare-openmrs").toAbsolutePath().normalize())));
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
        if (openmrs != null) openmrs.close();
        if (rapidpro != null) rapidpro.close();
        if (opensrp != null) opensrp.stop();
        if (forms != null) forms.close();
        if (formsOpenmrs != null) formsOpenmrs.close();
        if (formsHq != null) formsHq.close();
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

    static final String REST = "/openmrs/ws/rest/v1";

    @Test
    void everyFormsSagaStepFailingLeavesNoOrphanAndTheRetryWritesOnce() throws Exception {
        List<Step> steps = List.of(
                new Step("OpenMRS find patient", formsOpenmrs.wireMock(), get(urlPathEqualTo(REST + "/patient"))),
                new Step("OpenMRS create patient", formsOpenmrs.wireMock(), post(urlPathEqualTo(REST + "/patient"))),
                new Step("OpenMRS start visit", formsOpenmrs.wireMock(), post(urlPathEqualTo(REST + "/visit"))),
                new Step("OpenMRS create encounter", formsOpenmrs.wireMock(), post(urlPathEqualTo(REST + "/encounter"))),
                new Step("OpenMRS create obs", formsOpenmrs.wireMock(), post(urlPathEqualTo(REST + "/obs"))),
                new Step("OpenMRS end visit", formsOpenmrs.wireMock(), post(urlPathMatching(REST + "/visit/[0-9a-f-]{36}"))),
                new Step("CommCare case lookup", formsHq.wireMock(), get(urlPathMatching("/a/" + CommCareSimulator.DOMAIN + "/api/.*"))),
                new Step("CommCare case write-back", formsHq.wireMock(), post(urlPathMatching("/a/" + CommCareSimulator.DOMAIN + "/receiver/.*"))));
        JsonNode template = Json.parse(Files.readString(
                Path.of("../mediators/commcare-openmrs/src/test/resources/demo/registration-form.json"), StandardCharsets.UTF_8));
        int n = 0;
        int tried = 0;
        int survived = 0;
        List<String> bad = new ArrayList<>();
        for (Step step : steps) {
            for (String fault : List.of("500", "timeout")) {
                n++;
                String form = registration(template, n);
                int[] before = openmrsCounts();
                var answer = aResponse().withStatus(500).withHeader("Content-Type", "application/json").withBody("{\"error\":\"injected\"}");
                if (fault.equals("timeout")) answer = answer.withFixedDelay(2500); // > http.readTimeoutMs
                StubMapping stub = step.server().stubFor(step.request().atPriority(1).willReturn(answer));
                Http.Reply failed = Http.postJson(formsUrl(), form, null);
                step.server().removeStub(stub);
                int[] orphans = delta(before, openmrsCounts());
                Http.Reply retry = Http.postJson(formsUrl(), form, null);
                int[] afterRetry = delta(before, openmrsCounts());
                Http.Reply again = Http.postJson(formsUrl(), form, null);
                int[] afterAgain = delta(before, openmrsCounts());
                tried++;
                boolean ok = failed.status() >= 500 && java.util.Arrays.stream(orphans).allMatch(c -> c == 0)
                        && retry.status() == 201 && again.status() == 200
                        && afterRetry[0] == 1 && afterRetry[1] == 1 && afterRetry[2] == 1 && afterRetry[3] > 0
                        && java.util.Arrays.equals(afterRetry, afterAgain);
                if (ok) survived++;
                else bad.add(step.name() + " " + fault + ": answered " + failed.status() + ", orphans (patients, visits, encounters, obs) "
                        + java.util.Arrays.toString(orphans) + "; retry " + retry.status() + "/" + again.status() + " -> "
                        + java.util.Arrays.toString(afterRetry) + " then " + java.util.Arrays.toString(afterAgain)
                        + "; failed said " + abbreviate(failed.message()) + "; retry said " + abbreviate(retry.message()));
            }
        }
        String detail = "commcare-openmrs forms saga, " + steps.size() + " steps x {HTTP 500, timeout}: "
                + (bad.isEmpty() ? "every fault answered 5xx with no patient, visit, encounter or obs left in OpenMRS; each retry (sent twice) "
                        + "made exactly 1 patient, 1 visit, 1 encounter and its obs, the second send a duplicate"
                : "FAILED " + bad);
        FaultReport.record("upstream 5xx / timeout at every forms saga step (zero orphans, retry writes once)", tried, survived, detail);
        assertThat(bad).isEmpty();
    }

    static String formsUrl() { return "http://127.0.0.1:" + forms.port() + "/commcare/forms"; }

    /** The demo registration form as a new person each time (own form id, case id, national id, family name). */
    static String registration(JsonNode template, int n) {
        ObjectNode f = template.deepCopy();
        String id = UUID.randomUUID().toString();
        f.put("id", id);
        ((ObjectNode) f.get("metadata")).put("instanceID", id);
        ObjectNode q = (ObjectNode) f.get("form");
        ((ObjectNode) q.get("meta")).put("instanceID", id);
        q.put("national_id", "FAULT-" + n + "-" + id.substring(0, 8));
        q.put("last_name", "Fault" + n + id.substring(0, 4));
        ((ObjectNode) q.get("case")).put("@case_id", UUID.randomUUID().toString());
        return Json.write(f);
    }

    /** Live (not voided) patients, visits, encounters and obs in the forms saga's OpenMRS simulator. */
    static int[] openmrsCounts() {
        return new int[] {live(formsOpenmrs.patients()), live(formsOpenmrs.visits()), live(formsOpenmrs.encounters()),
                live(formsOpenmrs.observations())};
    }

    static int live(List<JsonNode> records) {
        return (int) records.stream().filter(e -> !e.path("voided").asBoolean(false)).count();
    }

    static int[] delta(int[] before, int[] after) {
        int[] d = new int[before.length];
        for (int i = 0; i < d.length; i++) d[i] = after[i] - before[i];
        return d;
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ");
        return one.length() > 160 ? one.substring(0, 160) + "..." : one;
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
