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
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.fhir.FhirSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.opensrp.OpenSrpSimulator;
import org.chis.simulators.rapidpro.RapidProSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;

/**
 * Upstream 5xx and timeouts at every step of a saga, here sms-codecard's forwarding (find the patient in OpenMRS,
 * create the encounter, add the OpenSRP event): the message must fail with a 5xx, leave no orphan (no live encounter,
 * no accepted event), and the same message sent again once the upstream is back must make exactly one encounter
 * and one event. Likewise commcare-openmrs' forms saga (find patient, create patient, start visit, create encounter,
 * create obs, end visit, CommCare case lookup and write-back): no live patient, visit, encounter or obs left in the
 * OpenMRS simulator, and the resent form makes exactly one patient, visit and encounter. And the referral saga
 * (OpenMRS patient and encounter, FHIR Patient, ServiceRequest and Task): nothing live in OpenMRS or on the FHIR
 * server, the resent referral makes exactly one of each.
 * <p>
 * Then the case a plain timeout does not cover: the upstream did the write and only its answer was lost
 * ({@link LostAnswer}), at every create step of the three sagas. For sms-codecard's OpenSRP event (OpenSRP cannot
 * delete, and takes a resend as an update) what is checked is the state, not POST counts: one event with the
 * message's formSubmissionId, on a live encounter, after the first delivery and after each resend.
 */
class SagaStepFaultTest {
    static final String JOHN = "+255712000002";
    /** One report per case: the card's duplicate key is (id, visit), so each case reports another visit (ANC1..ANC8). */
    static String report(int visit) { return "ANC 1000Y ANC" + visit + " LMP 01022026 WT 60"; }
    static final String EVENT_PATH = "/opensrp/rest/event/add";

    static OpenMrsSimulator openmrs;
    static RapidProSimulator rapidpro;
    static OpenSrpSimulator opensrpEvents;
    static WireMockServer opensrp;
    static MediatorApp app;
    static OpenMrsSimulator formsOpenmrs;
    static CommCareSimulator formsHq;
    static MediatorApp forms;
    static OpenMrsSimulator refOpenmrs;
    static FhirSimulator refFhir;
    static MediatorApp referral;
    /** Longer than http.readTimeoutMs (1000): a timeout, or an answer lost after the write. */
    static final int LATE_MS = 2500;

    @BeforeAll
    static void start() {
        openmrs = new OpenMrsSimulator(0);
        rapidpro = new RapidProSimulator(0);
        opensrpEvents = new OpenSrpSimulator(0);
        opensrp = opensrpEvents.wireMock();
        openmrs.addMetadata("encountertype", "2549af50-75c8-4aeb-87ca-4bb2cef6c69a", "ANC");
        openmrs.addConcept("1425AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Antenatal visit number", "Numeric");
        openmrs.registerPatient("Amina", "Juma", "F", LocalDate.of(1998, 3, 4), "1000Y");
        Map<String, String> s = MediatorTestSettings.standalone(MediatorTestSettings.memoryDb("faults-saga")).map();
        s.put("openmrs.url", openmrs.baseUrl());
        s.put("openmrs.user", OpenMrsSimulator.USER);
        s.put("openmrs.password", OpenMrsSimulator.PASSWORD);
        s.put("rapidpro.url", rapidpro.baseUrl());
        s.put("rapidpro.token", rapidpro.token());
        s.put("opensrp.url", opensrpEvents.baseUrl());
        s.put("opensrp.user", OpenSrpSimulator.USER);
        s.put("opensrp.password", OpenSrpSimulator.PASSWORD);
        s.put("sms.clock.fixed", "2026-06-15T09:00:00Z");
        s.put("sms.timezone", "UTC");
        s.put("sms.workers", "4");
        s.put("sms.maxAttempts", "100"); // every fault here is answered 5xx, not the "gave up" reply
        s.put("http.readTimeoutMs", "1000");
        app = org.chis.mediator.smscodecard.Main.start(Settings.of(s, Path.of("../mediator-configs/sms-codecard").toAbsolutePath().normalize()));

        formsOpenmrs = new OpenMrsSimulator(0);
        formsHq = new CommCareSimulator(0);
        Map<String, String> f = MediatorTestSettings.standalone(MediatorTestSettings.memoryDb("faults-forms-saga")).map();
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

        refOpenmrs = new OpenMrsSimulator(0);
        refFhir = new FhirSimulator(0);
        Map<String, String> r = MediatorTestSettings.standalone(MediatorTestSettings.memoryDb("faults-referral-saga")).map();
        r.put("openmrs.url", refOpenmrs.baseUrl());
        r.put("openmrs.user", OpenMrsSimulator.USER);
        r.put("openmrs.password", OpenMrsSimulator.PASSWORD);
        r.put("fhir.url", refFhir.baseUrl());
        r.put("referral.outputs", "emr,fhir");
        r.put("pushback.commcare", "none"); // intake pushes nothing back; status changes are not under test here
        r.put("emr.identifierType", OpenMrsSimulator.ID_TYPE_OLD);
        r.put("emr.location", OpenMrsSimulator.LOCATION_CLINIC);
        r.put("emr.encounterType", OpenMrsSimulator.ENCOUNTER_TYPE_REFERRAL);
        r.put("emr.concept.reason", OpenMrsSimulator.CONCEPT_REFERRAL_REASON);
        r.put("emr.concept.dangerSigns", OpenMrsSimulator.CONCEPT_COMMENT);
        r.put("emr.concept.urgency", "");
        r.put("http.readTimeoutMs", "1000");
        referral = org.chis.mediator.referral.Main.start(Settings.of(r, Path.of("../mediator-configs/referral").toAbsolutePath().normalize()));
        warmUp();
    }

    /**
     * One ordinary form and referral first: a cold mediator's first call (class loading, JIT, the FHIR validator's
     * R4 load) can outlast the 1 s read timeout on a busy machine, which would be a fault we did not inject.
     */
    static void warmUp() {
        try {
            JsonNode template = Json.parse(Files.readString(
                    Path.of("../mediators/commcare-openmrs/src/test/resources/demo/registration-form.json"), StandardCharsets.UTF_8));
            Http.Reply form = Http.postJson(formsUrl(), registration(template, 0), null);
            String formId = UUID.randomUUID().toString();
            Http.Reply ref = Http.postJson(referralUrl(), referralForm(formId, "WARM-" + formId.substring(0, 8)), null);
            if (form.status() != 201 || ref.status() != 201) {
                throw new IllegalStateException("warm-up failed: form " + form.status() + " " + form.message() + "; referral " + ref.status() + " " + ref.message());
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
        if (openmrs != null) openmrs.close();
        if (rapidpro != null) rapidpro.close();
        if (opensrpEvents != null) opensrpEvents.close();
        if (forms != null) forms.close();
        if (formsOpenmrs != null) formsOpenmrs.close();
        if (formsHq != null) formsHq.close();
        if (referral != null) referral.close();
        if (refOpenmrs != null) refOpenmrs.close();
        if (refFhir != null) refFhir.close();
        FaultReport.print();
    }

    record Step(String name, WireMockServer server, MappingBuilder request) {}

    /** Puts the fault on the step's upstream call: 500 at once, 500 after the read timeout, or the write done and its answer lost. */
    static StubMapping inject(Step step, String fault) {
        if (fault.equals("lost answer")) return LostAnswer.inject(step.server(), step.request(), LATE_MS);
        var answer = aResponse().withStatus(500).withHeader("Content-Type", "application/json").withBody("{\"error\":\"injected\"}");
        if (fault.equals("timeout")) answer = answer.withFixedDelay(LATE_MS); // > http.readTimeoutMs
        return step.server().stubFor(step.request().atPriority(1).willReturn(answer));
    }

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
                tried++;
                String problem = smsCase(step, fault, ++n);
                if (problem == null) survived++;
                else bad.add(problem);
            }
        }
        String detail = "sms-codecard forwarding saga, 3 steps x {HTTP 500, timeout}: "
                + (bad.isEmpty() ? "every fault answered 5xx with nothing left behind; each retry (sent twice) made exactly 1 encounter and 1 event"
                : "FAILED " + bad);
        FaultReport.record("upstream 5xx / timeout at every saga step (zero orphans, retry writes once)", tried, survived, detail);
        assertThat(bad).isEmpty();
    }

    /** One sms case: the fault at the step, then the same message twice. Null when it survived, else what went wrong. */
    static String smsCase(Step step, String fault, int n) throws Exception {
        String messageUuid = String.format("00000000-0000-4000-8000-%012d", 500 + n);
        int encountersBefore = liveEncounters();
        StubMapping stub = inject(step, fault);
        Http.Reply failed = sms(messageUuid, n);
        step.server().removeStub(stub);
        int orphanEncounters = liveEncounters() - encountersBefore;
        int storedEvents = storedEvents(messageUuid);
        Http.Reply retry = sms(messageUuid, n);
        Http.Reply again = sms(messageUuid, n);
        int encountersAfter = liveEncounters() - encountersBefore;
        int eventsAfter = storedEvents(messageUuid);
        boolean ok = failed.status() >= 500 && orphanEncounters == 0 && storedEvents == 0
                && retry.status() == 200 && again.status() == 200 && encountersAfter == 1 && eventsAfter == 1 && eventOnLiveEncounter(messageUuid);
        return ok ? null : step.name() + " " + fault + ": answered " + failed.status() + ", orphans " + orphanEncounters + " encounter(s) + "
                + storedEvents + " event(s); retry " + retry.status() + "/" + again.status() + " -> " + encountersAfter
                + " encounter(s), " + eventsAfter + " event(s) stored, on a live encounter: " + eventOnLiveEncounter(messageUuid)
                + "; retry said " + abbreviate(retry.message());
    }

    /**
     * The OpenSRP event saved and its answer lost. OpenSRP cannot delete and takes a resend as an update (same id and
     * formSubmissionId), so POST counts mean nothing here: what must hold after the first delivery and after each
     * resend is one live encounter and one stored event with the message's formSubmissionId, pointing at it.
     */
    static String smsLostEventCase(Step step, int n) throws Exception {
        String messageUuid = String.format("00000000-0000-4000-8000-%012d", 500 + n);
        int encountersBefore = liveEncounters();
        StubMapping stub = inject(step, "lost answer");
        Http.Reply first = sms(messageUuid, n);
        step.server().removeStub(stub);
        String afterFirst = consistency(messageUuid, encountersBefore);
        Http.Reply retry = sms(messageUuid, n);
        String afterRetry = consistency(messageUuid, encountersBefore);
        Http.Reply again = sms(messageUuid, n);
        String afterAgain = consistency(messageUuid, encountersBefore);
        // answered 200 when the lookup found the event, 503 (encounter kept) only if the lookup failed too
        boolean ok = (first.status() == 200 || first.status() >= 500) && retry.status() == 200 && again.status() == 200
                && afterFirst.equals("1/1/true") && afterRetry.equals("1/1/true") && afterAgain.equals("1/1/true");
        return ok ? null : step.name() + " lost answer: answered " + first.status() + " then " + retry.status() + "/" + again.status()
                + "; live encounters/events/event on a live encounter after each: " + afterFirst + ", " + afterRetry + ", " + afterAgain
                + "; first said " + abbreviate(first.message());
    }

    /** "live encounters added / stored events with the formSubmissionId / that event's encounter is live". */
    static String consistency(String messageUuid, int encountersBefore) {
        return (liveEncounters() - encountersBefore) + "/" + storedEvents(messageUuid) + "/" + eventOnLiveEncounter(messageUuid);
    }

    @Test
    void everySmsCreateWhoseAnswerIsLostLeavesNoOrphanAndTheRetryWritesOnce() throws Exception {
        Step encounter = new Step("OpenMRS create encounter", openmrs.wireMock(), post(urlPathEqualTo("/openmrs/ws/rest/v1/encounter")));
        Step event = new Step("OpenSRP add event", opensrp, post(urlPathEqualTo(EVENT_PATH)));
        int n = 6; // after the 6 cases above: each case reports its own visit
        int survived = 0;
        List<String> bad = new ArrayList<>();
        String problem = smsCase(encounter, "lost answer", ++n);
        if (problem == null) survived++;
        else bad.add(problem);
        problem = smsLostEventCase(event, ++n);
        if (problem == null) survived++;
        else bad.add(problem);
        String detail = "sms-codecard forwarding saga, each create step written upstream but its answer lost (after http.readTimeoutMs): "
                + (bad.isEmpty() ? "encounter: answered 5xx, purged by its planned uuid, the retry made exactly 1 encounter and 1 event; "
                        + "OpenSRP event: looked up by its stable id (found: the message completed, no rollback; lookup failing too: 503, "
                        + "encounter kept for the resend); after the first delivery and "
                        + "each resend 1 live encounter and 1 event with the formSubmissionId, pointing at it" : "FAILED " + bad);
        FaultReport.record("upstream wrote, answer lost (timeout after the write) at every sms create step", 2, survived, detail);
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
                tried++;
                String problem = formsCase(template, step, fault, ++n);
                if (problem == null) survived++;
                else bad.add(problem);
            }
        }
        String detail = "commcare-openmrs forms saga, " + steps.size() + " steps x {HTTP 500, timeout}: "
                + (bad.isEmpty() ? "every fault answered 5xx with no patient, visit, encounter or obs left in OpenMRS; each retry (sent twice) "
                        + "made exactly 1 patient, 1 visit, 1 encounter and its obs, the second send a duplicate"
                : "FAILED " + bad);
        FaultReport.record("upstream 5xx / timeout at every forms saga step (zero orphans, retry writes once)", tried, survived, detail);
        assertThat(bad).isEmpty();
    }

    /** One forms case: the fault at the step, then the same form twice. Null when it survived. */
    static String formsCase(JsonNode template, Step step, String fault, int n) throws Exception {
        String form = registration(template, n);
        int[] before = openmrsCounts();
        StubMapping stub = inject(step, fault);
        Http.Reply failed = Http.postJson(formsUrl(), form, null);
        step.server().removeStub(stub);
        int[] orphans = delta(before, openmrsCounts());
        Http.Reply retry = Http.postJson(formsUrl(), form, null);
        int[] afterRetry = delta(before, openmrsCounts());
        Http.Reply again = Http.postJson(formsUrl(), form, null);
        int[] afterAgain = delta(before, openmrsCounts());
        boolean ok = failed.status() >= 500 && Arrays.stream(orphans).allMatch(c -> c == 0)
                && retry.status() == 201 && again.status() == 200
                && afterRetry[0] == 1 && afterRetry[1] == 1 && afterRetry[2] == 1 && afterRetry[3] > 0
                && Arrays.equals(afterRetry, afterAgain);
        return ok ? null : step.name() + " " + fault + ": answered " + failed.status() + ", orphans (patients, visits, encounters, obs) "
                + Arrays.toString(orphans) + "; retry " + retry.status() + "/" + again.status() + " -> "
                + Arrays.toString(afterRetry) + " then " + Arrays.toString(afterAgain)
                + "; failed said " + abbreviate(failed.message()) + "; retry said " + abbreviate(retry.message());
    }

    @Test
    void everyFormsCreateWhoseAnswerIsLostLeavesNoOrphanAndTheRetryWritesOnce() throws Exception {
        List<Step> steps = List.of(
                new Step("OpenMRS create patient", formsOpenmrs.wireMock(), post(urlPathEqualTo(REST + "/patient"))),
                new Step("OpenMRS start visit", formsOpenmrs.wireMock(), post(urlPathEqualTo(REST + "/visit"))),
                new Step("OpenMRS create encounter", formsOpenmrs.wireMock(), post(urlPathEqualTo(REST + "/encounter"))),
                new Step("OpenMRS create obs", formsOpenmrs.wireMock(), post(urlPathEqualTo(REST + "/obs"))));
        JsonNode template = Json.parse(Files.readString(
                Path.of("../mediators/commcare-openmrs/src/test/resources/demo/registration-form.json"), StandardCharsets.UTF_8));
        int n = 100;
        int survived = 0;
        List<String> bad = new ArrayList<>();
        for (Step step : steps) {
            String problem = formsCase(template, step, "lost answer", ++n);
            if (problem == null) survived++;
            else bad.add(problem);
        }
        String detail = "commcare-openmrs forms saga, each create step (patient, visit, encounter, obs) written in OpenMRS but its answer lost: "
                + (bad.isEmpty() ? "answered 5xx, the rollback purged what was written by its planned (stable) uuid; each retry (sent twice) "
                        + "made exactly 1 patient, 1 visit, 1 encounter and its obs" : "FAILED " + bad);
        FaultReport.record("upstream wrote, answer lost (timeout after the write) at every forms create step", steps.size(), survived, detail);
        assertThat(bad).isEmpty();
    }

    static final String FHIR = "/fhir";

    @Test
    void everyReferralSagaStepFailingLeavesNoOrphanAndTheRetryWritesOnce() throws Exception {
        List<Step> steps = List.of(
                new Step("OpenMRS find patient", refOpenmrs.wireMock(), get(urlPathEqualTo(REST + "/patient"))),
                new Step("OpenMRS create patient", refOpenmrs.wireMock(), post(urlPathEqualTo(REST + "/patient"))),
                new Step("OpenMRS look for the encounter", refOpenmrs.wireMock(), get(urlPathMatching(REST + "/encounter/.+"))),
                new Step("OpenMRS create encounter", refOpenmrs.wireMock(), post(urlPathEqualTo(REST + "/encounter"))),
                new Step("FHIR create Patient", refFhir.wireMock(), post(urlPathEqualTo(FHIR + "/Patient"))),
                new Step("FHIR create ServiceRequest", refFhir.wireMock(), post(urlPathEqualTo(FHIR + "/ServiceRequest"))),
                new Step("FHIR create Task", refFhir.wireMock(), post(urlPathEqualTo(FHIR + "/Task"))));
        int tried = 0;
        int survived = 0;
        List<String> bad = new ArrayList<>();
        for (Step step : steps) {
            for (String fault : List.of("500", "timeout")) {
                tried++;
                String problem = referralCase(step, fault);
                if (problem == null) survived++;
                else bad.add(problem);
            }
        }
        String detail = "referral saga (POST /referrals, CommCare form; EMR and FHIR outputs), " + steps.size() + " steps x {HTTP 500, timeout}: "
                + (bad.isEmpty() ? "every fault answered 5xx with a message, no OpenMRS patient/encounter and no FHIR Patient/ServiceRequest/Task "
                        + "left; each retry (sent twice) made exactly 1 of each, the second send a duplicate" : "FAILED " + bad);
        FaultReport.record("upstream 5xx / timeout at every referral saga step (zero orphans, retry writes once)", tried, survived, detail);
        assertThat(bad).isEmpty();
    }

    @Test
    void everyReferralCreateWhoseAnswerIsLostLeavesNoOrphanAndTheRetryWritesOnce() throws Exception {
        List<Step> steps = List.of(
                new Step("OpenMRS create patient", refOpenmrs.wireMock(), post(urlPathEqualTo(REST + "/patient"))),
                new Step("OpenMRS create encounter", refOpenmrs.wireMock(), post(urlPathEqualTo(REST + "/encounter"))),
                new Step("FHIR create Patient", refFhir.wireMock(), post(urlPathEqualTo(FHIR + "/Patient"))),
                new Step("FHIR create ServiceRequest", refFhir.wireMock(), post(urlPathEqualTo(FHIR + "/ServiceRequest"))),
                new Step("FHIR create Task", refFhir.wireMock(), post(urlPathEqualTo(FHIR + "/Task"))));
        int survived = 0;
        List<String> bad = new ArrayList<>();
        for (Step step : steps) {
            String problem = referralCase(step, "lost answer");
            if (problem == null) survived++;
            else bad.add(problem);
        }
        String detail = "referral saga, each create step written upstream but its answer lost: "
                + (bad.isEmpty() ? "answered 5xx; OpenMRS writes purged by their planned uuid, FHIR resources (server ids never seen) found by "
                        + "identifier + created-by tag and deleted; each retry (sent twice) made exactly 1 of each" : "FAILED " + bad);
        FaultReport.record("upstream wrote, answer lost (timeout after the write) at every referral create step", steps.size(), survived, detail);
        assertThat(bad).isEmpty();
    }

    /** One referral case: a new patient's referral with the fault at the step, then the same referral twice. Null when it survived. */
    static String referralCase(Step step, String fault) throws Exception {
        String formId = UUID.randomUUID().toString();
        String clientId = "FAULT-" + formId.substring(0, 8);
        String form = referralForm(formId, clientId);
        int[] before = referralCounts();
        StubMapping stub = inject(step, fault);
        Http.Reply failed = Http.postJson(referralUrl(), form, null);
        step.server().removeStub(stub);
        int[] orphans = delta(before, referralCounts());
        Http.Reply retry = Http.postJson(referralUrl(), form, null);
        Http.Reply again = Http.postJson(referralUrl(), form, null);
        int[] after = delta(before, referralCounts());
        boolean explained = failed.message().contains("failed") && failed.message().contains("undone");
        boolean ok = failed.status() >= 500 && explained && Arrays.stream(orphans).allMatch(c -> c == 0)
                && retry.status() == 201 && again.status() == 200 && again.message().contains("\"duplicate\":true")
                && Arrays.stream(after).allMatch(c -> c == 1);
        return ok ? null : step.name() + " " + fault + ": answered " + failed.status() + ", orphans (OpenMRS patients, encounters; FHIR Patient, "
                + "ServiceRequest, Task) " + Arrays.toString(orphans) + "; retry " + retry.status() + "/" + again.status() + " -> "
                + Arrays.toString(after) + "; failed said " + abbreviate(failed.message()) + "; retry said " + abbreviate(retry.message());
    }

    static String referralUrl() { return "http://127.0.0.1:" + referral.port() + "/referrals"; }

    /** Live OpenMRS patients and encounters, and FHIR Patients, ServiceRequests and Tasks (not deleted), in the referral's upstreams. */
    static int[] referralCounts() {
        return new int[] {live(refOpenmrs.patients()), live(refOpenmrs.encounters()), refFhir.count("Patient"),
                refFhir.count("ServiceRequest"), refFhir.count("Task")};
    }

    /** A CommCare referral form as HQ's data forwarding sends it (mediator-configs/referral/sources/commcare.json). */
    static String referralForm(String formId, String clientId) {
        return """
                {"id": "%s", "received_on": "2026-06-15T09:12:00.000000Z",
                 "form": {"@xmlns": "http://openrosa.org/formdesigner/chw-referral", "@name": "Referral",
                          "client_id": "%s", "client_given_name": "Aminata", "client_family_name": "Kamara", "client_sex": "f",
                          "client_dob": "2020-01-01", "client_phone": "+23276123456",
                          "referral_reason": "Fever for 3 days", "danger_signs": "convulsions high_fever",
                          "referral_urgency": "urgent", "referral_facility": "ngelehun-chc", "referral_type": "Sick Child",
                          "case": {"@case_id": "%s", "@xmlns": "http://commcarehq.org/case/transaction/v2"},
                          "meta": {"instanceID": "%s", "timeEnd": "%s", "username": "chw1",
                                   "userID": "a3f1c2d4e5b64a7f8e9d0c1b2a3f4e5d"}}}
                """.formatted(formId, clientId, UUID.randomUUID(), formId,
                Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.MILLIS));
    }

    static String formsUrl() { return "http://127.0.0.1:" + forms.port() + "/commcare/forms"; }

    /** The demo registration form as a new person each time (own form id, case id, national id, family name). */
    static String registration(JsonNode template, int n) { return newPersonForm(template, "FAULT", "Fault", n); }

    /** {@link #registration} with the tags the national id and family name start with (to tell test runs apart). */
    static String newPersonForm(JsonNode template, String idTag, String nameTag, int n) {
        ObjectNode f = template.deepCopy();
        String id = UUID.randomUUID().toString();
        f.put("id", id);
        ((ObjectNode) f.get("metadata")).put("instanceID", id);
        ObjectNode q = (ObjectNode) f.get("form");
        ((ObjectNode) q.get("meta")).put("instanceID", id);
        q.put("national_id", idTag + "-" + n + "-" + id.substring(0, 8));
        q.put("last_name", nameTag + n + id.substring(0, 4));
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

    /** Events OpenSRP holds for this message (formSubmissionId = message uuid); a resend updates, never adds. */
    static int storedEvents(String messageUuid) { return opensrpEvents.eventsWithFormSubmissionId(messageUuid).size(); }

    /** The message's event names (identifiers.OPENMRS_UUID) an encounter that is live in OpenMRS. */
    static boolean eventOnLiveEncounter(String messageUuid) {
        var events = opensrpEvents.eventsWithFormSubmissionId(messageUuid);
        if (events.size() != 1) return false;
        String encounter = events.get(0).path("identifiers").path(OpenSrpSimulator.OPENMRS_UUID).asText("");
        return openmrs.encounters().stream().anyMatch(e -> encounter.equals(e.path("uuid").asText()) && !e.path("voided").asBoolean(false));
    }
}
